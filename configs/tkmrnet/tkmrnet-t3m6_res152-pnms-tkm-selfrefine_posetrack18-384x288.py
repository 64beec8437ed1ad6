# TKMRNet Table 3 M6: M5 + self-refinement (Sec. 4.3: "M6 does not use temporal frames as
# context"). A stage 2 of its own: the refinement module learns to re-score each key frame's
# candidates from their own features (refine_context=False; the matching module as in M5), and
# re-scores them at test time without a temporal path (test_cfg.refine='self').
_base_ = ['./tkmrnet-s2_res152_posetrack18-384x288.py']

model = dict(refine_context=False, test_cfg=dict(refine='self'))
