# TKMRNet Table 3 M3: M5 tracked by OKS + Munkres (pNMS kept).
_base_ = ['./tkmrnet-s2_res152_posetrack18-384x288.py']

# a test-time variant: the stage-2 weights (tools/test.py --checkpoint overrides)
load_from = 'work_dirs/tkmrnet-s2_res152_posetrack18-384x288/epoch_9.pth'
val_cfg = dict(tracker='{{ fileDirname }}/../trackers/oks_hungarian.py')
test_cfg = dict(tracker='{{ fileDirname }}/../trackers/oks_hungarian.py')
