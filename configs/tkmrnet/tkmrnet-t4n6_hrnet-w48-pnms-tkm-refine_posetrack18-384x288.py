# TKMRNet Table 4 N6 (the full method on PoseTrack18): N4 + refinement with temporal context
# (Eq. 6 over the Eq. 5 path, tau = 5 frames behind). Test-time variant of N4.
_base_ = ['./tkmrnet-s2_hrnet-w48_posetrack18-384x288.py']

load_from = 'work_dirs/tkmrnet-s2_hrnet-w48_posetrack18-384x288/epoch_9.pth'
model = dict(test_cfg=dict(refine='context'))
