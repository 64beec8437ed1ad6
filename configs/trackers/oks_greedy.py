# MMPose 0.x baseline: `_track_by_oks` in mmpose/apis/inference_tracking.py (use_oks=True).
# Detections in input order take the best previous-frame track with OKS > 0.3, else a new id.
# Same tracker as dict(type='OKSGreedyTracker').
tracker = dict(
    type='PoseTracker',
    similarity=dict(type='OKSSimilarity', sigmas=None, vis_thr=None),
    assigner=dict(type='GreedyAssigner', match_thr=0.3, order='row'),
    memory=dict(type='TrackMemory', num_frames_retain=1),  # previous frame only (results_last)
    reactivate=False,
    min_track_length=1,
    joint_score_thr=0.0,
)
