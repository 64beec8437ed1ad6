# TKMRNet (Zhou et al. 2020, Sec. 3.2, Eq. 5): Munkres on I(IoU >= 0.1) * sum_k G_k.
# G_k: feature `keypoint_similarity` (callable or (N, N_prev, K) array), or 'cosine' of
# `keypoint_features`, or (default) the per-keypoint OKS term.
# Same tracker as dict(type='KeypointMatchingTracker').
tracker = dict(
    type='PoseTracker',
    similarity=dict(
        type='KeypointMatchingSimilarity',
        iou_thr=0.1,
        keypoint_similarity='oks',
        sigmas=None,          # of the OKS G_k; None: the dataset metainfo's, else PoseTrack18's
        vis_thr=0.0,
    ),
    assigner=dict(type='HungarianAssigner', match_thr=5.0),  # on the sum over 17 joints (~0.3 each)
    memory=dict(type='TrackMemory', num_frames_retain=1),
    reactivate=True,
    min_track_length=1,
    joint_score_thr=0.0,
)
