# Table 8: 3D temporal filters in the 'early' stages of HRNet (none: the 2D network on tubes;
# early: stages 1-2, the paper's model; last: stage 4; all), trained and tested as the full model
# but on the paper's "lightweight setup" (our copy lost its clip length; we take T = 3).
_base_ = ['./clip-s2_hrnet3d-w48-t9_posetrack18-384x288.py']
model = dict(backbone=dict(temporal_stages='early'))
train_dataloader = dict(dataset=dict(clip_len=3))
val_dataloader = dict(dataset=dict(clip_len=3))
test_dataloader = val_dataloader
