# Tiny CPU version of clip-t7r3_hrnet3d-w48-t9-basemerge_posetrack18-384x288.py:
# the tiny 3D HRNet (T = 3) of clip-s2_hrnet3d-tiny-t3_synthetic-128x96.py, tested only (its
# checkpoint) on the synthetic PoseTrack18 set (configs/_base_/tiny/clip_tracking_synthetic.py).
_base_ = ['../clip-t7r3_hrnet3d-w48-t9-basemerge_posetrack18-384x288.py',
          '../../_base_/tiny/clip_tracking_synthetic.py']

load_from = _base_.tiny_s2_checkpoint
data_root = _base_.tiny_data_root
codec = _base_.tiny_codec
model = _base_.tiny_model
train_cfg = _base_.tiny_s2_train_cfg
optim_wrapper = _base_.tiny_s2_optim_wrapper
default_hooks = _base_.tiny_default_hooks
randomness = dict(seed=0)
train_dataloader = _base_.tiny_s2_train_dataloader
val_dataloader = _base_.tiny_tube_val_dataloader
test_dataloader = val_dataloader
val_evaluator = _base_.tiny_evaluator
test_evaluator = val_evaluator
val_cfg = dict(tubes=_base_.tiny_tubes)
test_cfg = dict(tubes=_base_.tiny_tubes)
