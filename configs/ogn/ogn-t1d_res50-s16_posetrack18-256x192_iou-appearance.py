# OGN Table 1 row d tracked as OGN tracks (Zhang et al. 2019, Sec. 4.2): IoU combined with the
# Euclidean distance of person re-identification embeddings (configs/reid/, trained separately on
# PoseTrack18 person crops) via IoUAppearanceTracker (configs/trackers/iou_appearance.py).
# Training this config trains the pose estimator only; the ReID weights stay frozen.
_base_ = ['./ogn-t1d_res50-s16_posetrack18-256x192.py']

reid_config = '{{ fileDirname }}/../reid/reid_res50_posetrack18-256x128.py'
reid_checkpoint = 'work_dirs/reid_res50_posetrack18-256x128/epoch_6.pth'
tracker_file = '{{ fileDirname }}/../trackers/iou_appearance.py'

model = dict(
    _delete_=True,
    type='TopdownPoseEstimatorWithReID',
    pose_estimator={{_base_.model}},
    reid=reid_config,
    reid_checkpoint=reid_checkpoint,
    reid_input_size=(128, 256))  # (w, h) of the ReID training crops

val_cfg = dict(tracker=tracker_file)
test_cfg = dict(tracker=tracker_file)
