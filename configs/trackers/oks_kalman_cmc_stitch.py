# OKS-Hungarian + Kalman motion + camera-motion compensation (oks_kalman_cmc.py) + offline
# stitching at the end of the video (one association stage).
_base_ = ['./oks_kalman_cmc.py']
tracker = dict(stitch=dict(max_gap=10, sim_thr=0.3))
