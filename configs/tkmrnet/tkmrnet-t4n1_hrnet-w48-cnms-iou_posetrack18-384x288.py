# TKMRNet Table 4 N1: N2 with conventional NMS.
_base_ = ['./tkmrnet-t4n2_hrnet-w48-pnms-iou_posetrack18-384x288.py']

# cNMS: conventional box-IoU NMS (the paper gives no threshold; 0.5 as the detector's)
val_cfg = dict(nms=dict(_delete_=True, type='iou', thr=0.5))
test_cfg = dict(nms=dict(_delete_=True, type='iou', thr=0.5))
