# Parts of the IoU + appearance tracking variants (OGN Sec. 4.2): a top-down pose model wrapped
# with a frozen person ReID model (configs/reid/, trained separately on PoseTrack18 crops) whose
# embeddings the IoUAppearanceTracker (configs/trackers/iou_appearance.py) combines with box IoU.
# Not a runnable config: a variant lists it after its pose config and writes
#   model = dict(_delete_=True, pose_estimator=_base_.model, **_base_.reid_wrapper)
#   val_cfg = dict(tracker=_base_.tracker_file); test_cfg = dict(tracker=_base_.tracker_file)
# Training such a variant trains the pose estimator only.
reid_wrapper = dict(
    type='TopdownPoseEstimatorWithReID',
    reid='{{ fileDirname }}/../../reid/reid_res50_posetrack18-256x128.py',
    reid_checkpoint='work_dirs/reid_res50_posetrack18-256x128/epoch_6.pth',
    reid_input_size=(128, 256))  # (w, h) of the ReID training crops
tracker_file = '{{ fileDirname }}/../../trackers/iou_appearance.py'
