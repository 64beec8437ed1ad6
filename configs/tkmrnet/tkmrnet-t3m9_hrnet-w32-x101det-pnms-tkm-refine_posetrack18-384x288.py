# TKMRNet Table 3 M9: M8 with the HRNet pose network (HRNet-W32 stage 2; ResNeXt-101 + DCN boxes,
# pNMS, TKM, refinement with temporal context). Test-time variant of the HRNet-W32 stage 2.
_base_ = ['./tkmrnet-s2_hrnet-w32_posetrack18-384x288.py']

load_from = 'work_dirs/tkmrnet-s2_hrnet-w32_posetrack18-384x288/epoch_9.pth'
model = dict(test_cfg=dict(refine='context'))
