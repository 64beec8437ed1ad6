# Tiny CPU version of clip-s1_hrnet-w48_posetrack18-384x288.py (stage 1: the 2D HRNet on single
# frames): a four-stage HRNet of 16-128 channels, input 128x96, trained from scratch on the
# synthetic PoseTrack18 set (configs/_base_/tiny/clip_tracking_synthetic.py).
_base_ = ['../clip-s1_hrnet-w48_posetrack18-384x288.py',
          '../../_base_/tiny/clip_tracking_synthetic.py']

load_from = None
data_root = _base_.tiny_data_root
codec = _base_.tiny_codec
model = _base_.tiny_model
train_cfg = _base_.tiny_s1_train_cfg
param_scheduler = _base_.tiny_s1_param_scheduler
optim_wrapper = _base_.tiny_s1_optim_wrapper
default_hooks = _base_.tiny_default_hooks
randomness = dict(seed=0)
train_dataloader = _base_.tiny_s1_train_dataloader
val_dataloader = _base_.tiny_val_dataloader
test_dataloader = val_dataloader
val_evaluator = _base_.tiny_evaluator
test_evaluator = val_evaluator
