# Tiny top-down baseline tracked as OGN does (Zhang et al. 2019, Sec. 4.2): same pose checkpoint,
# the tiny ReID model and IoU + appearance tracking (configs/_base_/tracking/).
#   python tools/train.py configs/reid/tiny/reid_res18-tiny_synthetic-64x32.py --work-dir work_dirs/reid_tiny
#   python tools/test.py configs/baseline/td-hm_res18-tiny_synthetic-128x96_iou-appearance.py \
#       work_dirs/quickstart/epoch_40.pth
_base_ = ['./td-hm_res18-tiny_synthetic-128x96.py', '../_base_/tracking/iou_appearance_reid_tiny.py']

model = dict(_delete_=True, pose_estimator=_base_.model, **_base_.reid_wrapper)
val_cfg = dict(tracker=_base_.tracker_file)
test_cfg = dict(tracker=_base_.tracker_file)
