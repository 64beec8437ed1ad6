# MMPose 0.x baseline: `_track_by_oks` in mmpose/apis/inference_tracking.py (use_oks=True).
# Detections in input order take the best previous-frame track with OKS > 0.3, else a new id.
tracker = dict(
    type='OKSGreedyTracker',
    match_thr=0.3,
    sigmas=None,
    vis_thr=None,
    num_frames_retain=1,      # previous frame only, as 0.x's results_last
    reactivate=False,
    assigner='greedy',
    min_track_length=1,
    joint_score_thr=0.0,
)
