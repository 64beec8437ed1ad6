# OKS-Hungarian with camera-motion compensation from the poses (issue 13): the global similarity
# transform that carries the tracks onto the frame's people (RANSAC over track-detection pairs,
# joints agreeing) moves every track before matching (a pan or zoom moves everybody alike).
_base_ = ['./oks_hungarian.py']
tracker = dict(camera_motion=dict(inlier_ratio=0.5, max_candidates=64, min_inliers=2,
                                  min_gain=2))
