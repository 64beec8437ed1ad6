# Tiny CPU version of tkmrnet-t4n3_hrnet-w48-pnms-tbm_posetrack18-384x288.py: a four-stage HRNet of
# 16-128 channels, input 128x96, tau = 2, the synthetic PoseTrack18 set
# (configs/_base_/tiny/tkmrnet_synthetic.py).
_base_ = ['../tkmrnet-t4n3_hrnet-w48-pnms-tbm_posetrack18-384x288.py',
          '../../_base_/tiny/tkmrnet_synthetic.py']

load_from = 'work_dirs/tkmrnet-s1_hrnet-tiny_synthetic-128x96/epoch_40.pth'
data_root = _base_.tiny_data_root
codec = _base_.tiny_codec
tau = _base_.tiny_tau
model = _base_.tiny_hrnet_s2_model
train_cfg = _base_.tiny_s2_train_cfg
optim_wrapper = _base_.tiny_s2_optim_wrapper
default_hooks = _base_.tiny_default_hooks
randomness = dict(seed=0)
train_dataloader = _base_.tiny_s2_train_dataloader
val_dataloader = _base_.tiny_val_dataloader
test_dataloader = val_dataloader
val_evaluator = _base_.tiny_evaluator
test_evaluator = val_evaluator
