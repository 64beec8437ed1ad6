# OGN (Zhang et al. 2019) Table 4 rows are the paper's *extended Mask R-CNN* (ResNet-101, PoseTrack val2017); here they
# are reproduced in the two-stage framework (ROI = detected box crop, not ROI-Align), see the report.
# Table 4 (a): (b) without ratio-consistent ROIs: each box is stretched onto the input.
_base_ = ['./ogn-t4b_res101-s8-softmax-rc_posetrack18-352x256.py']

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='MixDetectedBoxes', prob=0.5, bbox_file=_base_.data_root + _base_.train_det_file),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform', scale_factor=(0.9, 1.2), rotate_factor=30.0),
    dict(type='RatioFreeTopdownAffine', input_size=_base_.codec['input_size']),
    dict(type='GenerateTarget', encoder=_base_.codec),
    dict(type='PackPoseTrackInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RatioFreeTopdownAffine', input_size=_base_.codec['input_size']),
    dict(type='PackPoseTrackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
