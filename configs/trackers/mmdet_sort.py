# MMDet 3.3's SORT (mmdet.models.trackers.SORTTracker, no ReID) on the boxes of the poses, with
# the settings of MMDet's MOT17 config (configs/sort/sort_faster-rcnn_r50_fpn_8xb2-4e_
# mot17halftrain_test-mot17halfval.py; num_frames_retain and num_tentatives: MMDet's defaults).
# Boxes: the detections' boxes (the tight box of the joints scored > 0, enlarged 1.25 times, when
# a person has none); scores: `bbox_scores` when given, else the mean joint score.
tracker = dict(
    type='MMDetBoxTracker',
    tracker=dict(
        type='SORTTracker',
        motion=dict(type='KalmanFilter', center_only=False),
        obj_score_thr=0.5,
        match_iou_thr=0.5,
        num_tentatives=3,
        num_frames_retain=10,
        reid=None),
    box_from='bboxes',
    score_from='bbox',
    bbox_scale=1.25,
    min_track_length=1,
)
