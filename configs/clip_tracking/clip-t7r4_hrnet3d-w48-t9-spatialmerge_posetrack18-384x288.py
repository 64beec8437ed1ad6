# Table 7, row 4: the video tracking pipeline with the spatial half of the merge only (per frame
# and joint, the largest mean-shift cluster; lambda = 0).
_base_ = ['./clip-s2_hrnet3d-w48-t9_posetrack18-384x288.py']
val_cfg = dict(tubes=dict(temporal=False))
test_cfg = dict(tubes=dict(temporal=False))
