# OGN (Zhang et al. 2019) Table 1 (c): OGN, ResNet-50, 256x192, 2 deconvs (stride 8), offset, no GBG: the base itself.
_base_ = ['./ogn_res50_posetrack18-256x192.py']
