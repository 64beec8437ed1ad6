# TKMRNet Table 3 M8: M7 on the boxes of the stronger detector, Faster R-CNN ResNeXt-101 + DCN
# (configs/detectors/faster-rcnn_x101-32x4d-dconv-c3-c5_fpn_person_posetrack18.py; val boxes by
# tools/detect_people.py, as for M1-M7).
_base_ = ['./tkmrnet-t3m7_res152-pnms-tkm-refine_posetrack18-384x288.py']

val_det_file = 'annotations/posetrack18_val_faster-rcnn-x101-dcn_human_detections.json'
val_dataloader = dict(dataset=dict(bbox_file=_base_.data_root + val_det_file))
test_dataloader = val_dataloader
