# Person re-identification for OGN's IoU + appearance tracking (Zhang et al. 2019, Sec. 4.2):
# MMDet's ReID recipe (ResNet-50 -> global average pooling -> FC embedding, batch-hard triplet +
# cross-entropy over identities, P x K triplet batches) trained on person crops of the PoseTrack18
# training videos; an identity is a (video, track_id) pair.
# mmpretrain is not part of this stack, so MMDet's BaseReID/LinearReIDHead are replaced by
# PersonReID/PersonReIDHead (same layers and keys) from mmpose_track.models.reid.
default_scope = 'mmdet'
custom_imports = dict(imports=['mmpose_track.register_all'], allow_failed_imports=False)

data_root = 'data/posetrack18/'
crop_size = (128, 256)  # (w, h)
# identities of the training set (PoseTrack18ReIDDataset logs the number it finds; the cross-
# entropy classifier only needs at least as many outputs)
num_identities = 6000

model = dict(
    type='PersonReID',
    data_preprocessor=dict(
        type='PersonReIDDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='PersonReIDHead',
        num_fcs=1,
        in_channels=2048,
        fc_channels=1024,
        out_channels=128,
        num_classes=num_identities,
        loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0),
        loss_triplet=dict(type='TripletLoss', margin=0.3, loss_weight=1.0),
        norm_cfg=dict(type='BN1d'),
        act_cfg=dict(type='ReLU')))

train_pipeline = [
    dict(
        type='TransformBroadcaster',
        share_random_params=False,
        transforms=[
            dict(type='LoadImageFromFile', to_float32=True),
            dict(type='CropPersonBox', size=crop_size, jitter=0.05),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        ]),
    dict(type='PackReIDInputs', meta_keys=('flip', 'flip_direction')),
]
test_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True),
    dict(type='CropPersonBox', size=crop_size),
    dict(type='PackReIDInputs'),
]

train_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='PoseTrack18ReIDDataset',
        data_root=data_root,
        ann_file='annotations/train/',
        data_prefix=dict(img_path=''),
        frame_stride=2,
        triplet_sampler=dict(num_ids=8, ins_per_id=4),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='PoseTrack18ReIDDataset',
        data_root=data_root,
        ann_file='annotations/val/',
        data_prefix=dict(img_path=''),
        frame_stride=4,
        triplet_sampler=None,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='ReIDMetrics', metric=['mAP', 'CMC'])
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0001))
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 1000, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', begin=0, end=6, by_epoch=True, milestones=[5], gamma=0.1),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=6, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=8)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'))
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=None)
