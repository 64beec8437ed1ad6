# Table 7, row 5: the video tracking pipeline with the temporal half of the merge only (every
# hypothesis its own cluster; the shortest path picks the smoothest one per frame).
_base_ = ['./clip-s2_hrnet3d-w48-t9_posetrack18-384x288.py']
val_cfg = dict(tubes=dict(spatial=False))
test_cfg = dict(tubes=dict(spatial=False))
