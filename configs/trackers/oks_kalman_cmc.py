# OKS-Hungarian with Kalman motion (oks_kalman.py) and camera-motion compensation (oks_cmc.py):
# the camera transform moves the Kalman predictions and states.
_base_ = ['./oks_kalman.py']
tracker = dict(camera_motion=dict(inlier_ratio=0.5, max_candidates=64, min_inliers=2,
                                  min_gain=2))
