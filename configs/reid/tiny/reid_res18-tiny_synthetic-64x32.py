# Tiny CPU version of the PoseTrack18 ReID model on the embedded synthetic set: a narrow
# ResNet-18 on 32x64 (w x h) crops, 64-d embeddings; ~2 minutes on 2 CPU cores
# (250 iterations of 8 x 4 crops).
# Its checkpoint feeds configs/baseline/td-hm_res18-tiny_synthetic-128x96_iou-appearance.py.
_base_ = ['../reid_res50_posetrack18-256x128.py']

data_root = 'data/synthetic_posetrack18/'
crop_size = (32, 64)  # (w, h)
num_identities = 32  # (video, track_id) pairs of the synthetic training videos (>= is fine)

model = dict(
    backbone=dict(depth=18, stem_channels=16, base_channels=16, init_cfg=None),
    head=dict(in_channels=128, fc_channels=128, out_channels=64, num_classes=num_identities))

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
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, generate_if_missing=dict(seed=0), frame_stride=1, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, generate_if_missing=dict(seed=0), frame_stride=1, pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=0.0001, _delete_=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', begin=0, end=250, by_epoch=False, milestones=[200], gamma=0.1),
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=250, val_interval=250)
default_hooks = dict(
    logger=dict(interval=50), checkpoint=dict(interval=250, by_epoch=False, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
