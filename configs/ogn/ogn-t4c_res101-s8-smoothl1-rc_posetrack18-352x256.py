# OGN (Zhang et al. 2019) Table 4 rows are the paper's *extended Mask R-CNN* (ResNet-101, PoseTrack val2017); here they
# are reproduced in the two-stage framework (ROI = detected box crop, not ROI-Align), see the report.
# Table 4 (c): Smooth L1 loss, ratio-consistent ROIs (352x256), offset-guided refinement.
_base_ = ['./ogn_res50_posetrack18-256x192.py']

codec = dict(type='OffsetHeatmap', input_size=(256, 352), heatmap_size=(32, 44), radius=3.0,
             use_offset=True, blur_kernel=5)
model = dict(backbone=dict(depth=101, init_cfg=dict(checkpoint='torchvision://resnet101')),
             head=dict(decoder=codec))
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='MixDetectedBoxes', prob=0.5, bbox_file=_base_.data_root + _base_.train_det_file),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform', scale_factor=(0.9, 1.2), rotate_factor=30.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseTrackInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseTrackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
