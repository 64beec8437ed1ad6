# OGN (Zhang et al. 2019) Table 1 (d): OGN with ONE deconv: stride 16 (R = 1.5 heatmap px = 24 input px), no GBG.
_base_ = ['./ogn_res50_posetrack18-256x192.py']

codec = dict(type='OffsetHeatmap', input_size=(192, 256), heatmap_size=(12, 16), radius=1.5,
             use_offset=True, blur_kernel=3)
model = dict(head=dict(deconv_out_channels=(256, ), deconv_kernel_sizes=(4, ), decoder=codec))
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
