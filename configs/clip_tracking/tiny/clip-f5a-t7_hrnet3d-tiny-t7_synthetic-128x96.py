# Tiny CPU version of clip-f5a-t7_hrnet3d-w48-t7_posetrack18-384x288.py:
# the tiny 3D HRNet with T = 7, trained from the tiny stage 1 as
# clip-s2_hrnet3d-tiny-t3_synthetic-128x96.py (configs/_base_/tiny/clip_tracking_synthetic.py).
_base_ = ['../clip-f5a-t7_hrnet3d-w48-t7_posetrack18-384x288.py',
          '../../_base_/tiny/clip_tracking_synthetic.py']

load_from = 'work_dirs/clip-s1_hrnet-tiny_synthetic-128x96/epoch_40.pth'
data_root = _base_.tiny_data_root
codec = _base_.tiny_codec
model = _base_.tiny_model
train_cfg = _base_.tiny_s2_train_cfg
optim_wrapper = _base_.tiny_s2_optim_wrapper
default_hooks = _base_.tiny_default_hooks
randomness = dict(seed=0)
train_dataloader = dict(_base_.tiny_s2_train_dataloader,
                        dataset=dict(_base_.tiny_s2_train_dataloader.dataset, clip_len=7))
val_dataloader = dict(_base_.tiny_tube_val_dataloader,
                      dataset=dict(_base_.tiny_tube_val_dataloader.dataset, clip_len=7))
test_dataloader = val_dataloader
val_evaluator = _base_.tiny_evaluator
test_evaluator = val_evaluator
val_cfg = dict(tubes=_base_.tiny_tubes)
test_cfg = dict(tubes=_base_.tiny_tubes)
