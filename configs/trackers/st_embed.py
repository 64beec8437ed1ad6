# ST-Embed (Jin et al. 2019, Sec. 3.3.3, Eq. 8-9): Munkres on Psi = 3 * Psi_HE + 1 * Psi_TIE.
# Features: embeddings (N, D) human embeddings; tie (N, K, E) forward TIE at the joints;
# optional sie (N, K, E) and tie_backward (N_prev, K, E).
# Same tracker as dict(type='EmbeddingTracker', max_cost=3.0).
tracker = dict(
    type='PoseTracker',
    similarity=dict(
        type='STEmbedSimilarity',   # returns -Psi
        lambda_he=3.0,
        lambda_tie=1.0,
        normalize_embeddings=True,
        tie_normalize=True,         # Psi_TIE / track box area (scale-free gate); False: raw Eq. 9
        vis_thr=0.0,
    ),
    # -Psi > -3: pairs with Psi >= 3 (max_cost) start a new track (not in the paper)
    assigner=dict(type='HungarianAssigner', match_thr=-3.0),
    memory=dict(type='TrackMemory', num_frames_retain=1),  # ST-Embed matches t to t-1 only
    reactivate=True,
    min_track_length=1,
    joint_score_thr=0.0,
)
