# Box IoU + Munkres (TKMRNet ablation "IOU"; Detect-and-Track style).
tracker = dict(
    type='IoUHungarianTracker',
    match_thr=0.3,
    num_frames_retain=5,
    reactivate=True,
    cascade=True,
    min_track_length=1,
    joint_score_thr=0.0,
)
