# Parts of the tiny CPU versions of the TKMRNet configs (configs/tkmrnet/tiny/) on the embedded
# synthetic PoseTrack18 set: ResNet-18 with 32 base channels, 128x96 crops, 32x24 heatmaps,
# tau = 2 (5-frame clips), short schedules. Not a runnable config: a tiny row lists it after its
# full row and merges the parts; see docs/architecture.md, "Tiny configs that share parts".
tiny_data_root = 'data/synthetic_posetrack18/'
tiny_val_det_file = tiny_data_root + 'annotations/posetrack18_val_human_detections.json'
tiny_dataset = dict(data_root=tiny_data_root, generate_if_missing=dict(seed=0))
tiny_loader = dict(num_workers=0, persistent_workers=False)
# Eq. 2's sigma = 3 heatmap px as MSRAHeatmap's 3 / sqrt(2) (see the full stage 1)
tiny_codec = dict(type='MSRAHeatmap', input_size=(96, 128), heatmap_size=(24, 32),
                  sigma=3 / 2 ** 0.5)
tiny_tau = 2

# single-frame network: ResNet-18 (C5 256 channels, stride 32) + three 64-channel deconvs
tiny_model = dict(
    backbone=dict(depth=18, stem_channels=32, base_channels=32, init_cfg=None),
    head=dict(in_channels=256, deconv_out_channels=(64, 64, 64), decoder=tiny_codec),
    test_cfg=dict(flip_test=False))
# stage 2: the same plus narrow matching / refinement modules
tiny_s2_model = dict(
    tiny_model,
    matching_head=dict(in_channels=256, feat_channels=64, num_convs=1, hidden_channels=64),
    refine_head=dict(in_channels=256, deconv_out_channels=(64, 64, 64), tau=tiny_tau,
                     num_candidates=8),
    gt_negative_frac=0.5,  # see the full stage 2
    seed=0)

# 40 epochs (the full stage 1's 20, x0.1 at 3/4 and 9/10): 20 leave the tiny network at AP 11 on
# the synthetic val boxes of the tiny detector, 40 at 15 (its keypoints are what the matching
# features are read at)
tiny_s1_train_cfg = dict(max_epochs=40, val_interval=40)
tiny_s1_param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=40, milestones=[30, 36], gamma=0.1, by_epoch=True)]
tiny_s1_optim_wrapper = dict(optimizer=dict(lr=2e-3))
tiny_s2_train_cfg = dict(max_epochs=9, val_interval=9)
# heads from scratch in a short run: Adam (SGD at 1e-2 left the classifiers at "never the same
# person" after 9 tiny epochs)
tiny_s2_optim_wrapper = dict(optimizer=dict(_delete_=True, type='Adam', lr=1e-3))
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
tiny_s1_train_dataloader = dict(batch_size=32, **tiny_loader,
                                dataset=dict(tiny_dataset, pipeline=tiny_s1_train_pipeline))
tiny_s2_train_dataloader = dict(batch_size=8, **tiny_loader,
                                dataset=dict(tiny_dataset, clip_len=2 * tiny_tau + 1,
                                             pipeline=tiny_clip_train_pipeline))
tiny_val_dataloader = dict(batch_size=32, **tiny_loader,
                           dataset=dict(tiny_dataset, bbox_file=tiny_val_det_file,
                                        pipeline=tiny_val_pipeline))
tiny_evaluator = dict(gt_dir=tiny_data_root + 'annotations/val/')

# the HRNet rows (Table 4 N1-N6): a four-stage HRNet with 16-128 channels, one module per stage;
# its stride-4 output is the heatmap resolution (no deconvolutions, as the full HRNet configs)
tiny_hrnet_model = dict(
    backbone=dict(
        extra=dict(
            stage1=dict(num_blocks=(1, ), num_channels=(16, )),
            stage2=dict(num_blocks=(1, 1), num_channels=(16, 32)),
            stage3=dict(num_modules=1, num_blocks=(1, 1, 1), num_channels=(16, 32, 64)),
            stage4=dict(num_modules=1, num_blocks=(1, 1, 1, 1), num_channels=(16, 32, 64, 128))),
        init_cfg=None),
    head=dict(in_channels=16, decoder=tiny_codec),
    test_cfg=dict(flip_test=False))
tiny_hrnet_s2_model = dict(
    tiny_hrnet_model,
    matching_head=dict(in_channels=16, feat_channels=64, num_convs=1, hidden_channels=64),
    refine_head=dict(in_channels=16, tau=tiny_tau, num_candidates=8),
    gt_negative_frac=0.5,
    seed=0)
