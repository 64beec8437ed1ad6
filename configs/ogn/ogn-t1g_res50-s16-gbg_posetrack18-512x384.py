# OGN (Zhang et al. 2019) Table 1 (g): (h) + GBG boxes at test.
_base_ = ['./ogn-t1h_res50-s16_posetrack18-512x384.py']

# GBG (Sec. 3.1.1): test boxes from greedy box generation instead of NMS. The file is written with
# the detector configs (configs/detectors/, the person-detector work of issue 5).
val_det_file = 'annotations/posetrack18_val_human_detections_gbg.json'
val_dataloader = dict(dataset=dict(bbox_file=_base_.data_root + val_det_file))
test_dataloader = val_dataloader
