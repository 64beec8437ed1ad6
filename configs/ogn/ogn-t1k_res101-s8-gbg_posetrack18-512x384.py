# OGN (Zhang et al. 2019) Table 1 (k): (j) with ResNet-101.
_base_ = ['./ogn-t1j_res50-s8-gbg_posetrack18-512x384.py']

model = dict(backbone=dict(depth=101, init_cfg=dict(checkpoint='torchvision://resnet101')))
