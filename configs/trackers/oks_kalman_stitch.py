# OKS-Hungarian + Kalman motion + offline stitching (no camera-motion compensation, one stage).
_base_ = ['./oks_kalman.py']
tracker = dict(stitch=dict(max_gap=10, sim_thr=0.3))
