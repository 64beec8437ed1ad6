# Table 7, row 3: the video tracking pipeline (tracklets sewn by Hungarian on OKS, Sec. 3.2) with
# the Baseline Merge: per joint, the hypothesis with the highest score.
_base_ = ['./clip-s2_hrnet3d-w48-t9_posetrack18-384x288.py']
val_cfg = dict(tubes=dict(merge='baseline'))
test_cfg = dict(tubes=dict(merge='baseline'))
