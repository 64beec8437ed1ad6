# Tiny CPU version of the top-down baseline on the embedded synthetic PoseTrack18 set
# (tools/dataset_converters/generate_synthetic_posetrack18.py). Trains in minutes on 2 cores.
_base_ = ['./td-hm_res50_posetrack18-256x192.py']

data_root = 'data/synthetic_posetrack18/'
# DARK decoding (unbiased=True) recovers sub-pixel positions from the coarse 24x32 heatmaps
codec = dict(
    type='MSRAHeatmap', input_size=(96, 128), heatmap_size=(24, 32), sigma=2, unbiased=True)

# ~4 minutes on 2 CPU cores
train_cfg = dict(max_epochs=40, val_interval=40)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=40, milestones=[32], gamma=0.1, by_epoch=True),
]
optim_wrapper = dict(optimizer=dict(lr=2e-3))
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=10, max_keep_ckpts=2))
randomness = dict(seed=0)

model = dict(
    backbone=dict(depth=18, stem_channels=32, base_channels=32),
    head=dict(in_channels=256, deconv_out_channels=(64, 64, 64), decoder=codec),
    test_cfg=dict(flip_test=False))

_train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    # milder than MMPose's default (rotation 80, scale 0.5-1.5) for a short CPU schedule
    dict(type='RandomBBoxTransform', rotate_factor=30., scale_factor=(0.75, 1.25)),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseTrackInputs'),
]
_val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseTrackInputs'),
]
train_dataloader = dict(
    batch_size=32, num_workers=0, persistent_workers=False,
    # the synthetic set is written to data_root when missing (seconds; the set
    # tools/quickstart.sh generates), so the config works from any folder
    dataset=dict(data_root=data_root, generate_if_missing=dict(seed=0), pipeline=_train_pipeline))
val_dataloader = dict(
    batch_size=32, num_workers=0, persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        generate_if_missing=dict(seed=0),
        bbox_file=data_root + 'annotations/posetrack18_val_human_detections.json',
        pipeline=_val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(gt_dir=data_root + 'annotations/val/')
test_evaluator = val_evaluator
