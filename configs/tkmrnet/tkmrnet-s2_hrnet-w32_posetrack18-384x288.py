# TKMRNet stage 2 on HRNet-W32 (Table 3 M9's pose network; the paper says "HRNet" without the
# width, W32 here and W48 for Table 4): the HRNet-W48 stage 2 with the W32 stage-1 network.
_base_ = ['./tkmrnet-s2_hrnet-w48_posetrack18-384x288.py']

load_from = 'work_dirs/tkmrnet-s1_hrnet-w32_posetrack18-384x288/epoch_20.pth'
model = dict(
    backbone=dict(
        extra=dict(stage2=dict(num_channels=(32, 64)), stage3=dict(num_channels=(32, 64, 128)),
                   stage4=dict(num_channels=(32, 64, 128, 256)))),
    head=dict(in_channels=32),
    matching_head=dict(in_channels=32),
    refine_head=dict(in_channels=32))
