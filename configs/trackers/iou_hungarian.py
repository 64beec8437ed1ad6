# Box IoU + Munkres (TKMRNet ablation "IOU"; Detect-and-Track style).
# Same tracker as dict(type='IoUHungarianTracker', match_thr=0.3, num_frames_retain=5).
tracker = dict(
    type='PoseTracker',
    similarity=dict(type='IoUSimilarity'),
    assigner=dict(type='HungarianAssigner', match_thr=0.3),
    memory=dict(type='TrackMemory', num_frames_retain=5),
    reactivate=True,
    cascade=True,
    min_track_length=1,
    joint_score_thr=0.0,
)
