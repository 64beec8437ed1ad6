# ST-Embed Table 4 baseline "KE": SpatialNet's keypoint embeddings assumed smooth in time,
# Psi = 1/J sum_j ||K^t(p^t_j) - K^{t-1}(p^{t-1}_j)||^2 (SpatialEmbeddingSimilarity), Munkres.
tracker = dict(
    type='PoseTracker',
    similarity=dict(type='SpatialEmbeddingSimilarity', use_ke=True, use_sie=False,
                    ke_weight=1.0, sie_weight=1.0, vis_thr=0.0),
    # -Psi > -1: a pair further than one tag unit (squared) starts a new track
    assigner=dict(type='HungarianAssigner', match_thr=-1.0),
    memory=dict(type='TrackMemory', num_frames_retain=1),
    reactivate=True,
    min_track_length=1,
    joint_score_thr=0.0,
)
