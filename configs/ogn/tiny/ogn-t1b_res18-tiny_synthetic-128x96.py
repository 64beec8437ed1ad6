# Tiny CPU version of ogn-t1b_res50-msra-s8_posetrack18-256x192.py (OGN Table 1 row b): ResNet-18 with 32 base
# channels, input 128x96, the synthetic PoseTrack18 set (tools/dataset_converters/generate_synthetic_posetrack18.py).
_base_ = ['../ogn-t1b_res50-msra-s8_posetrack18-256x192.py']

data_root = 'data/synthetic_posetrack18/'
codec = dict(type='MSRAHeatmap', input_size=(96, 128), heatmap_size=(12, 16), sigma=2)

train_cfg = dict(max_epochs=12, val_interval=12)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=12, milestones=[9], gamma=0.1, by_epoch=True),
]
optim_wrapper = dict(optimizer=dict(_delete_=True, type='Adam', lr=2e-3))
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=4, max_keep_ckpts=2))
randomness = dict(seed=0)

model = dict(
    backbone=dict(depth=18, stem_channels=32, base_channels=32, init_cfg=None),
    head=dict(in_channels=256, deconv_out_channels=(128, 128), deconv_kernel_sizes=(4, 4), decoder=codec),
    test_cfg=dict(flip_test=False))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='MixDetectedBoxes', prob=0.5, bbox_file=data_root + 'annotations/posetrack18_train_human_detections.json'),
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
train_dataloader = dict(
    batch_size=32, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32, num_workers=0, persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        bbox_file=data_root + 'annotations/posetrack18_val_human_detections.json',
        pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(gt_dir=data_root + 'annotations/val/')
test_evaluator = val_evaluator
codec = dict(_delete_=True, **codec)  # replace (not merge into) the parent's codec
