# The tiny CPU counterpart of iou_appearance_reid_res50.py: the tiny ReID model
# (configs/reid/tiny/, ~2 min on 2 cores), same tracker.
reid_wrapper = dict(
    type='TopdownPoseEstimatorWithReID',
    reid='{{ fileDirname }}/../../reid/tiny/reid_res18-tiny_synthetic-64x32.py',
    reid_checkpoint='work_dirs/reid_tiny/iter_250.pth',
    reid_input_size=(32, 64))  # (w, h) of the ReID training crops
tracker_file = '{{ fileDirname }}/../../trackers/iou_appearance.py'
