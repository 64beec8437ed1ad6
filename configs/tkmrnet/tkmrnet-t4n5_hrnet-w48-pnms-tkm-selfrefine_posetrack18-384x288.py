# TKMRNet Table 4 N5: N4 + self-refinement (as Table 3 M6: a stage 2 of its own whose refinement
# module re-scores the candidates without temporal context, in training and at test time).
_base_ = ['./tkmrnet-s2_hrnet-w48_posetrack18-384x288.py']

model = dict(refine_context=False, test_cfg=dict(refine='self'))
