# Tiny CPU version of ogn-t1d_res50-s16_posetrack18-256x192_iou-appearance.py: the tiny OGN row d
# (same checkpoint) with the tiny ReID model and IoU + appearance tracking.
#   python tools/train.py configs/reid/tiny/reid_res18-tiny_synthetic-64x32.py --work-dir work_dirs/reid_tiny
#   python tools/test.py configs/ogn/tiny/ogn-t1d_res18-tiny_synthetic-128x96_iou-appearance.py OGN_CKPT
_base_ = ['./ogn-t1d_res18-tiny_synthetic-128x96.py', '../../_base_/tracking/iou_appearance_reid_tiny.py']

model = dict(_delete_=True, pose_estimator=_base_.model, **_base_.reid_wrapper)
val_cfg = dict(tracker=_base_.tracker_file)
test_cfg = dict(tracker=_base_.tracker_file)
