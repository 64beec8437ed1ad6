# Tiny CPU version of tkmrnet-s1_res152_posetrack18-384x288.py (TKMRNet stage 1): ResNet-18 with 32
# base channels, input 128x96, the synthetic PoseTrack18 set.
_base_ = ['../tkmrnet-s1_res152_posetrack18-384x288.py', '../../_base_/tiny/tkmrnet_synthetic.py']

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
