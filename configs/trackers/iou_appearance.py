# OGN (Zhang et al. 2019, Sec. 4.2): IoU combined with the Euclidean distance of re-identification
# embeddings, passed to tracker.update(..., embeddings=(N, D)). Without embeddings: IoU only.
tracker = dict(
    type='IoUAppearanceTracker',
    match_thr=0.3,
    iou_weight=0.5,
    appearance_weight=0.5,
    normalize=True,           # L2-normalise embeddings; appearance similarity = 1 - d / 2
    min_iou=0.0,
    feature_momentum=0.0,
    num_frames_retain=10,
    reactivate=True,
    cascade=True,
    min_track_length=1,
    joint_score_thr=0.0,
)
