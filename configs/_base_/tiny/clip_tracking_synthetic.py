# Parts of the tiny CPU versions of the Clip Tracking configs (configs/clip_tracking/tiny/) on the
# embedded synthetic PoseTrack18 set: a four-stage HRNet of 16-128 channels (one module per stage),
# 128x96 crops, 32x24 heatmaps, tubes of T = 3 frames, short schedules. Not a runnable config: a
# tiny config lists it after its full parent and merges the parts; see docs/architecture.md,
# "Tiny configs that share parts".
tiny_data_root = 'data/synthetic_posetrack18/'
tiny_val_det_file = tiny_data_root + 'annotations/posetrack18_val_human_detections.json'
tiny_dataset = dict(data_root=tiny_data_root, generate_if_missing=dict(seed=0))
tiny_loader = dict(num_workers=0, persistent_workers=False)
tiny_codec = dict(type='MSRAHeatmap', input_size=(96, 128), heatmap_size=(24, 32), sigma=2)
tiny_clip_len = 3

# the stride-4 HRNet output is the heatmap resolution (1x1 conv head, as the full configs)
tiny_extra = dict(
    stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(1, ),
                num_channels=(16, )),
    stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(1, 1),
                num_channels=(16, 32)),
    stage3=dict(num_modules=1, num_branches=3, block='BASIC', num_blocks=(1, 1, 1),
                num_channels=(16, 32, 64)),
    stage4=dict(num_modules=1, num_branches=4, block='BASIC', num_blocks=(1, 1, 1, 1),
                num_channels=(16, 32, 64, 128)))
tiny_model = dict(
    backbone=dict(extra=tiny_extra, init_cfg=None),
    head=dict(in_channels=16, decoder=tiny_codec),
    test_cfg=dict(flip_test=False))

# stage 1: 40 epochs (x0.1 at 3/4 and 9/10) from scratch; stage 2: the full 20-epoch schedule
# at a larger lr (the tiny 2D network is far from converged)
tiny_s1_train_cfg = dict(max_epochs=40, val_interval=40)
tiny_s1_param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=40, milestones=[30, 36], gamma=0.1, by_epoch=True)]
tiny_s1_optim_wrapper = dict(optimizer=dict(lr=2e-3))
tiny_s2_train_cfg = dict(max_epochs=20, val_interval=20)
tiny_s2_optim_wrapper = dict(optimizer=dict(lr=1e-3))
tiny_default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=5, max_keep_ckpts=2))

tiny_s1_train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', rotate_factor=30., scale_factor=(0.75, 1.25)),
    dict(type='TopdownAffine', input_size=tiny_codec['input_size']),
    dict(type='GenerateTarget', encoder=tiny_codec),
    dict(type='PackPoseTrackInputs'),
]
tiny_val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=tiny_codec['input_size']),
    dict(type='PackPoseTrackInputs'),
]
tiny_clip_train_pipeline = [
    dict(type='ApplyToFrames', transforms=[
        dict(type='LoadImage'),
        dict(type='GetBBoxCenterScale', padding=1.0),
        dict(type='RandomFlip', direction='horizontal'),
        dict(type='RandomBBoxTransform', rotate_factor=30., scale_factor=(0.75, 1.25)),
        dict(type='TopdownAffine', input_size=tiny_codec['input_size']),
        dict(type='GenerateTarget', encoder=tiny_codec)]),
    dict(type='PackMultiFramePoseInputs', pack_transformed=True),
]
# both stages train on 6 of the 8 training videos (a quarter held out) to fit the per-joint
# score thresholds (Sec. 4.1; tools/analysis_tools/fit_joint_thresholds.py CONFIG CHECKPOINT reads
# this split)
tiny_video_split = dict(holdout=0.25, part='train', seed=0)
tiny_s1_train_dataloader = dict(batch_size=32, **tiny_loader,
                                dataset=dict(tiny_dataset, video_split=tiny_video_split,
                                             pipeline=tiny_s1_train_pipeline))
tiny_s2_train_dataloader = dict(batch_size=8, **tiny_loader,
                                dataset=dict(tiny_dataset, clip_len=tiny_clip_len,
                                             video_split=tiny_video_split,
                                             pipeline=tiny_clip_train_pipeline))
tiny_val_dataloader = dict(batch_size=32, **tiny_loader,
                           dataset=dict(tiny_dataset, bbox_file=tiny_val_det_file,
                                        pipeline=tiny_val_pipeline))
tiny_evaluator = dict(gt_dir=tiny_data_root + 'annotations/val/')

# the video tracking pipeline on the synthetic frames (320x240, a quarter of PoseTrack's width):
# tubes of T = 3 around every detection, batches of 16 tubes; tiny boxes are those under 8 x 8 px
# (the full configs' 32 x 32 px at this scale); the synthetic figures' boxes are closest to their
# joints' box enlarged 1.2x (mean IoU 0.82 on the val ground truth; PoseTrack18's rule is 1.3x)
tiny_tube_pipeline = [
    dict(type='ApplyToFrames', transforms=[
        dict(type='LoadImage'),
        dict(type='GetBBoxCenterScale', padding=1.0),
        dict(type='TopdownAffine', input_size=tiny_codec['input_size'])]),
    dict(type='PackMultiFramePoseInputs'),
]
tiny_tube_val_dataloader = dict(
    batch_size=16, **tiny_loader,
    dataset=dict(tiny_dataset, clip_len=tiny_clip_len, bbox_file=tiny_val_det_file,
                 pipeline=tiny_tube_pipeline))
tiny_tubes = dict(min_box_area=8 * 8, box_padding=1.2)
tiny_s2_checkpoint = 'work_dirs/clip-s2_hrnet3d-tiny-t3_synthetic-128x96/epoch_20.pth'
