# TKMRNet stage 1 on HRNet-W48: the HRNet-W32 stage 1 with 48 base channels.
_base_ = ['./tkmrnet-s1_hrnet-w32_posetrack18-384x288.py']

model = dict(
    backbone=dict(
        extra=dict(stage2=dict(num_channels=(48, 96)), stage3=dict(num_channels=(48, 96, 192)),
                   stage4=dict(num_channels=(48, 96, 192, 384))),
        init_cfg=dict(checkpoint='https://download.openmmlab.com/mmpose/'
                      'pretrain_models/hrnet_w48-8ef0771d.pth')),
    head=dict(in_channels=48))
