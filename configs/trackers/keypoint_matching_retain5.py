# TKMRNet's Eq. 5 tracker (configs/trackers/keypoint_matching.py) with the track memory of the IoU
# and OKS trackers it is compared with in Table 3 / Table 4 (iou_hungarian.py, oks_hungarian.py):
# tracks not matched for up to 5 frames stay, matched in a cascade after the previous frame's
# (Eq. 5 against their last pose), so the table rows differ in the similarity only. The tiny
# models lose a person for a frame or two (missed or suppressed boxes): with one frame of memory
# each such gap starts a new id.
_base_ = ['./keypoint_matching.py']

tracker = dict(memory=dict(num_frames_retain=5), cascade=True)
