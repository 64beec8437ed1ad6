# OKS-Hungarian + camera-motion compensation + offline stitching (a track that ends and one that
# starts at most 10 frames later are linked by Hungarian on their velocity-extrapolated OKS).
_base_ = ['./oks_cmc.py']
tracker = dict(stitch=dict(max_gap=10, sim_thr=0.3))
