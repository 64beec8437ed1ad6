# Top-down baseline tracked as OGN does (Zhang et al. 2019, Sec. 4.2): IoU combined with the
# Euclidean distance of person re-identification embeddings (configs/_base_/tracking/).
_base_ = ['./td-hm_res50_posetrack18-256x192.py', '../_base_/tracking/iou_appearance_reid_res50.py']

model = dict(_delete_=True, pose_estimator=_base_.model, **_base_.reid_wrapper)
val_cfg = dict(tracker=_base_.tracker_file)
test_cfg = dict(tracker=_base_.tracker_file)
