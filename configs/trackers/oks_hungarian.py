# OKS similarity + Munkres assignment (TKMRNet ablation "OKS"; Hungarian version of the MMPose 0.x
# baseline). Lost tracks are kept 5 frames and re-activated after the active ones (cascade).
# Same tracker as dict(type='OKSHungarianTracker', match_thr=0.3, num_frames_retain=5).
tracker = dict(
    type='PoseTracker',
    similarity=dict(
        type='OKSSimilarity',
        sigmas=None,          # None: the dataset metainfo's, else PoseTrack18's (= COCO's)
        vis_thr=None,         # average over all joints, like MMPose's oks_iou
    ),
    assigner=dict(type='HungarianAssigner', match_thr=0.3),  # OKS must be > 0.3 (0.x tracking_thr)
    memory=dict(type='TrackMemory', num_frames_retain=5),
    reactivate=True,
    cascade=True,
    min_track_length=1,       # >1: finalize() maps shorter tracks to -1
    joint_score_thr=0.0,      # >0: filter_output() zeroes joints scored below it
)
