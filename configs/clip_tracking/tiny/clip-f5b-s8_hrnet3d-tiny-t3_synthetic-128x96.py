# Tiny CPU version of clip-f5b-s8_hrnet3d-w48-t9_posetrack18-384x288.py:
# the tiny 3D HRNet (T = 3) of clip-s2_hrnet3d-tiny-t3_synthetic-128x96.py, tested only (its
# checkpoint) on the synthetic PoseTrack18 set (configs/_base_/tiny/clip_tracking_synthetic.py),
# on tubes of T = 9 frames as the full Fig. 5b (its 3D convolutions slide over any T): with T = 3
# the tracklets of keyframes 4 or 8 frames apart would never overlap, so never be sewn.
_base_ = ['../clip-f5b-s8_hrnet3d-w48-t9_posetrack18-384x288.py',
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
val_dataloader = dict(_base_.tiny_tube_val_dataloader,
                      dataset=dict(_base_.tiny_tube_val_dataloader.dataset, clip_len=9))
test_dataloader = val_dataloader
val_evaluator = _base_.tiny_evaluator
test_evaluator = val_evaluator
val_cfg = dict(tubes=_base_.tiny_tubes)
test_cfg = dict(tubes=_base_.tiny_tubes)
