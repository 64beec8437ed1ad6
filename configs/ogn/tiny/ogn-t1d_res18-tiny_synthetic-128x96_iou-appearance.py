# Tiny CPU version of ogn-t1d_res50-s16_posetrack18-256x192_iou-appearance.py: the tiny OGN row d
# (same checkpoint) with the tiny ReID model (configs/reid/tiny/) and IoU + appearance tracking.
#   python tools/train.py configs/reid/tiny/reid_res18-tiny_synthetic-64x32.py --work-dir work_dirs/reid_tiny
#   python tools/test.py configs/ogn/tiny/ogn-t1d_res18-tiny_synthetic-128x96_iou-appearance.py OGN_CKPT
_base_ = ['./ogn-t1d_res18-tiny_synthetic-128x96.py']

reid_config = '{{ fileDirname }}/../../reid/tiny/reid_res18-tiny_synthetic-64x32.py'
reid_checkpoint = 'work_dirs/reid_tiny/iter_250.pth'
tracker_file = '{{ fileDirname }}/../../trackers/iou_appearance.py'

model = dict(
    _delete_=True,
    type='TopdownPoseEstimatorWithReID',
    pose_estimator={{_base_.model}},
    reid=reid_config,
    reid_checkpoint=reid_checkpoint,
    reid_input_size=(32, 64))  # (w, h) of the ReID training crops

val_cfg = dict(tracker=tracker_file)
test_cfg = dict(tracker=tracker_file)
