# TKMRNet (Zhou et al. 2020) stage 1: the single-frame top-down network of Sec. 3.1, SimpleBaseline
# (three 4x4 deconvolutions + a 1x1 conv to K heatmaps, Eq. 1-2) on ResNet-152, trained "following
# [28]" (SimpleBaseline: Adam) for 20 epochs, lr 1e-3, x0.1 at epochs 10 and 15 (Sec. 4.2).
# Input: the paper gives none; 384x288 is SimpleBaseline's PoseTrack setting for ResNet-152 [28].
# Stage 2 (tkmrnet-s2_res152_*) loads this checkpoint and freezes it.
_base_ = ['../baseline/td-hm_res50_posetrack18-256x192.py']
from mmpose_track.utils.config_utils import codec_pipelines  # noqa: E402

# Eq. 2 is exp(-d^2 / sigma^2) with sigma = 3 (heatmap px); MMPose's MSRAHeatmap draws
# exp(-d^2 / (2 s^2)), so the same Gaussian is s = 3 / sqrt(2) = 2.1213.
codec = dict(type='MSRAHeatmap', input_size=(288, 384), heatmap_size=(72, 96),
             sigma=3 / 2 ** 0.5)

train_cfg = dict(max_epochs=20, val_interval=5)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=20, milestones=[10, 15], gamma=0.1, by_epoch=True),
]

model = dict(
    backbone=dict(depth=152, init_cfg=dict(type='Pretrained',
                                           checkpoint='torchvision://resnet152')),
    head=dict(in_channels=2048, decoder=codec))

train_pipeline, val_pipeline = codec_pipelines(_base_, codec)
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
