# TKMRNet Table 3 M1 (FlowTrack without flow propagation): M2 with conventional NMS.
_base_ = ['./tkmrnet-t3m2_res152-pnms-iou_posetrack18-384x288.py']

# cNMS: conventional box-IoU NMS (the paper gives no threshold; 0.5 as the detector's)
val_cfg = dict(nms=dict(_delete_=True, type='iou', thr=0.5))
test_cfg = dict(nms=dict(_delete_=True, type='iou', thr=0.5))
