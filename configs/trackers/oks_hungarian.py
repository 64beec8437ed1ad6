# OKS similarity + Munkres assignment (TKMRNet ablation "OKS"; Hungarian version of the MMPose 0.x
# baseline). Lost tracks are kept 5 frames and re-activated after the active ones (cascade).
tracker = dict(
    type='OKSHungarianTracker',
    match_thr=0.3,            # OKS must be > 0.3 (MMPose 0.x tracking_thr)
    sigmas=None,              # COCO-17 sigmas
    vis_thr=None,             # average over all joints, like MMPose's oks_iou
    num_frames_retain=5,
    reactivate=True,
    cascade=True,
    min_track_length=1,       # >1: finalize() maps shorter tracks to -1
    joint_score_thr=0.0,      # >0: filter_output() zeroes joints scored below it
)
