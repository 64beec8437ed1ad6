# OGN (Zhang et al. 2019) Table 1 (l): (j) with ResNet-152.
_base_ = ['./ogn-t1j_res50-s8-gbg_posetrack18-512x384.py']

model = dict(backbone=dict(depth=152, init_cfg=dict(checkpoint='torchvision://resnet152')))
