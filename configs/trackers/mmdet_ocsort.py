# MMDet 3.3's OC-SORT (mmdet.models.trackers.OCSORTTracker) on the boxes of the poses, with the
# settings of MMDet's MOT17 config (configs/ocsort/ocsort_yolox_x_8xb4-amp-80e_crowdhuman-
# mot17halftrain_test-mot17halfval.py). Boxes: the detections' boxes (the tight box of the joints
# scored > 0, enlarged 1.25 times, when a person has none); scores: `bbox_scores` when given, else
# the mean joint score. The thresholds were tuned for YOLOX person scores.
tracker = dict(
    type='MMDetBoxTracker',
    tracker=dict(
        type='OCSORTTracker',
        motion=dict(type='KalmanFilter'),
        obj_score_thr=0.3,
        init_track_thr=0.7,
        weight_iou_with_det_scores=True,
        match_iou_thr=0.3,
        num_tentatives=3,
        vel_consist_weight=0.2,
        vel_delta_t=3,
        num_frames_retain=30,
        reid=None),
    box_from='bboxes',
    score_from='bbox',
    bbox_scale=1.25,
    min_track_length=1,
)
