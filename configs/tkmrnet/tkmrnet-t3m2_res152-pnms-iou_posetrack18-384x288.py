# TKMRNet Table 3 M2: M5 tracked by box IoU + Munkres (pNMS kept). Test-time variant of the
# stage-2 model; its poses are stage 1's (stage 2 freezes them).
_base_ = ['./tkmrnet-s2_res152_posetrack18-384x288.py']

# a test-time variant: the stage-2 weights (tools/test.py --checkpoint overrides)
load_from = 'work_dirs/tkmrnet-s2_res152_posetrack18-384x288/epoch_9.pth'
val_cfg = dict(tracker='{{ fileDirname }}/../trackers/iou_hungarian.py')
test_cfg = dict(tracker='{{ fileDirname }}/../trackers/iou_hungarian.py')
