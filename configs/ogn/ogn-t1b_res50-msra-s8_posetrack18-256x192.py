# OGN (Zhang et al. 2019) Table 1 (b): MSRA SimpleBaseline with two deconvs: stride 8, no offset.
_base_ = ['./ogn_res50_posetrack18-256x192.py']

codec = dict(type='MSRAHeatmap', input_size=(192, 256), heatmap_size=(24, 32), sigma=2)
model = dict(head=dict(
    _delete_=True, type='HeatmapHead', in_channels=2048, out_channels=17,
    deconv_out_channels=(256, 256), deconv_kernel_sizes=(4, 4),
    loss=dict(type='KeypointMSELoss', use_target_weight=True), decoder=codec))
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
codec = dict(_delete_=True, **codec)  # replace (not merge into) the base's OffsetHeatmap
