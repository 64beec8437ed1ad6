# Tiny top-down baseline tracked as OGN does (Zhang et al. 2019, Sec. 4.2): IoU combined with
# the Euclidean distance of person re-identification embeddings. The pose model is the tiny
# baseline's (same checkpoint); a separately trained ReID model (configs/reid/tiny/) embeds each
# detected box and IoUAppearanceTracker (configs/trackers/iou_appearance.py) matches.
#   python tools/train.py configs/reid/tiny/reid_res18-tiny_synthetic-64x32.py \
#       --work-dir work_dirs/reid_tiny
#   python tools/test.py configs/baseline/td-hm_res18-tiny_synthetic-128x96_iou-appearance.py \
#       work_dirs/quickstart/epoch_40.pth
_base_ = ['./td-hm_res18-tiny_synthetic-128x96.py']

reid_config = '{{ fileDirname }}/../reid/tiny/reid_res18-tiny_synthetic-64x32.py'
reid_checkpoint = 'work_dirs/reid_tiny/iter_250.pth'
tracker_file = '{{ fileDirname }}/../trackers/iou_appearance.py'

model = dict(
    _delete_=True,
    type='TopdownPoseEstimatorWithReID',
    pose_estimator={{_base_.model}},
    reid=reid_config,
    reid_checkpoint=reid_checkpoint,
    reid_input_size=(32, 64))  # (w, h) of the ReID training crops

val_cfg = dict(tracker=tracker_file)
test_cfg = dict(tracker=tracker_file)
