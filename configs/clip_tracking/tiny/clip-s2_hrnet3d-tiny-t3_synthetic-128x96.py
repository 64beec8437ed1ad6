# Tiny CPU version of clip-s2_hrnet3d-w48-t9_posetrack18-384x288.py (stage 2: the 3D HRNet on
# tubes): the tiny HRNet of stage 1 with 3D filters in its first two stages, T = 3, initialised
# from the tiny stage 1 by mean inflation (configs/_base_/tiny/clip_tracking_synthetic.py); tested
# with the video tracking pipeline on tubes of 3 frames (Table 7, last row).
_base_ = ['../clip-s2_hrnet3d-w48-t9_posetrack18-384x288.py',
          '../../_base_/tiny/clip_tracking_synthetic.py']

load_from = 'work_dirs/clip-s1_hrnet-tiny_synthetic-128x96/epoch_40.pth'
data_root = _base_.tiny_data_root
codec = _base_.tiny_codec
clip_len = _base_.tiny_clip_len
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
