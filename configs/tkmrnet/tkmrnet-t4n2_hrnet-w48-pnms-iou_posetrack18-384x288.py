# TKMRNet Table 4 N2: N4 tracked by box IoU + Munkres (pNMS kept).
_base_ = ['./tkmrnet-s2_hrnet-w48_posetrack18-384x288.py']

# a test-time variant: the stage-2 weights (tools/test.py --checkpoint overrides)
load_from = 'work_dirs/tkmrnet-s2_hrnet-w48_posetrack18-384x288/epoch_9.pth'
val_cfg = dict(tracker='{{ fileDirname }}/../trackers/iou_hungarian.py')
test_cfg = dict(tracker='{{ fileDirname }}/../trackers/iou_hungarian.py')
