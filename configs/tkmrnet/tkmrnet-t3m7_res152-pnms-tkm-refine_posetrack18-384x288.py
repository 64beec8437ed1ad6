# TKMRNet Table 3 M7: M5 + refinement with temporal context (Sec. 3.3, Eq. 6): every person's
# candidates re-scored with its counterparts on the path found by Eq. 5 within tau = 5 frames,
# a delayed online step tau frames behind (DelayedKeypointRefiner). Test-time variant of M5.
_base_ = ['./tkmrnet-s2_res152_posetrack18-384x288.py']

# a test-time variant: the stage-2 weights (tools/test.py --checkpoint overrides)
load_from = 'work_dirs/tkmrnet-s2_res152_posetrack18-384x288/epoch_9.pth'
model = dict(test_cfg=dict(refine='context'))
