# OGN (Zhang et al. 2019, Sec. 4.2): IoU combined with the Euclidean distance of re-identification
# embeddings, passed to tracker.update(..., embeddings=(N, D)). Without embeddings: IoU only.
# Same tracker as dict(type='IoUAppearanceTracker', feature_momentum=0.5, num_frames_retain=10).
tracker = dict(
    type='PoseTracker',
    similarity=dict(
        type='IoUAppearanceSimilarity',
        iou_weight=0.5,
        appearance_weight=0.5,
        normalize=True,       # L2-normalise embeddings; appearance similarity = 1 - d / 2
        min_iou=0.0,
    ),
    assigner=dict(type='HungarianAssigner', match_thr=0.3),
    # track embedding = 0.5 old + 0.5 new (MMDet's memo momentum): one frame's crop is noisy
    # (occlusion, box jitter). Chosen on the synthetic *train* split (MOTA 34.8 -> 36.0; val
    # -0.4 -> 0.75 with the tiny baseline + tiny ReID; 0.7 and 0.9 score alike)
    memory=dict(type='TrackMemory', num_frames_retain=10, feature_momentum=0.5),
    reactivate=True,
    cascade=True,
    min_track_length=1,
    joint_score_thr=0.0,
)
