# Parts of the tiny CPU versions of the ST-Embed configs (configs/st_embed/tiny/) on the embedded
# synthetic PoseTrack18 set (320x240 frames, people ~80 px tall): one hourglass stack with narrow
# channels, 128x128 input, 32x32 maps, short schedules. Not a runnable config: a tiny config lists
# it after its full-size parent and merges the parts (`model = _base_.tiny_spatialnet_model`,
# pipelines by `mmpose_track.utils.config_utils.set_transform_args` with `tiny_train_args`...);
# see docs/architecture.md, "Tiny configs that share parts".
tiny_data_root = 'data/synthetic_posetrack18/'
# the synthetic set is written to data_root when missing (seconds; the set tools/quickstart.sh
# generates), so the tiny configs work from any folder
tiny_dataset = dict(data_root=tiny_data_root, generate_if_missing=dict(seed=0))

# 128x128 input, 32x32 maps (stride 4 as the full model). People are ~11 map px tall here, so the
# Gaussians are narrower (sigma 1) and the AE peak NMS smaller (3x3) than the full model's.
tiny_codec = dict(
    type='SpatialEmbedding',
    input_size=(128, 128),
    heatmap_size=(32, 32),
    sigma=1,
    tag_dim=1,
    sie_scale=2.5,   # SIE map px worth one KE unit: the full codec's 10 px at 128 px maps, / 4
    decode_nms_kernel=3,
    decode_topk=10,
    decode_max_instances=10)
# stem /4, three hourglass levels: the input sides must be multiples of 4 * 2^3
tiny_size_factor = 32

# one stack, 3 levels, 32..80 channels, narrow stem; TemporalNet's branches as narrow
tiny_backbone = dict(
    num_stacks=1,
    downsample_times=3,
    stage_channels=(32, 48, 64, 80),
    feat_channels=32,
    stem_channels=(16, 32))
tiny_spatialnet_model = dict(
    backbone=tiny_backbone,
    head=dict(decoder=tiny_codec),
    test_cfg=dict(flip_test=False))
tiny_temporalnet_model = dict(
    tiny_spatialnet_model,
    # HE: RoI-Align on the 32-channel stem, res5-style blocks 128 wide, 64 + 128 = 192-d
    # embeddings, trained from scratch (no ImageNet weights offline)
    he_head=dict(in_channels=32, res5_channels=128, mid_channels=64, roi_output_size=(8, 4),
                 res5_init_cfg=None),
    tie_head=dict(stem_channels=32, feat_channels=32, hourglass_depth=3))

# transform arguments that turn the full pipelines into the tiny ones. Training crops are
# 128x128 windows over half the frame's short side (scale 0.375-0.625 instead of 0.75-1.25: people
# twice as large, ~22 map px tall), and test frames are resized to 256 px on the short side
# (352x256) so that people have the training size: at 32x32 maps over the whole frame a map pixel
# is 10 image px, coarser than PCKh's threshold on these small people (measured: MOTA -31 -> -10
# at equal AP after stage 1). The network is fully convolutional; the training cost is unchanged.
tiny_train_args = dict(
    BottomupRandomAffine=dict(input_size=tiny_codec['input_size'], scale_factor=(0.375, 0.625)),
    GenerateTarget=dict(encoder=tiny_codec))
tiny_test_input_size = (256, 256)
tiny_val_args = dict(
    BottomupResize=dict(input_size=tiny_test_input_size, size_factor=tiny_size_factor))

# datasets (pipelines set by the tiny configs): bottom-up frames, pairs, val frames
tiny_train_set = dict(
    _delete_=True,  # replaces the full configs' CombinedDataset (no COCO in the tiny chain)
    type='PoseTrack18FrameDataset',
    data_mode='bottomup',
    ann_file='annotations/posetrack18_train.json',
    data_prefix=dict(img=''),
    **tiny_dataset)
tiny_pair_set = dict(
    type='PoseTrack18PairDataset',
    frame_range=5,
    ann_file='annotations/posetrack18_train.json',
    data_prefix=dict(img=''),
    **tiny_dataset)
tiny_val_set = dict(ann_file='annotations/posetrack18_val.json', **tiny_dataset)
tiny_loader = dict(batch_size=16, num_workers=0, persistent_workers=False)
tiny_pair_loader = dict(batch_size=8, num_workers=0, persistent_workers=False)  # 16 frames
# all val frames share one size after BottomupResize: batches of frames (in video order)
tiny_val_loader = dict(batch_size=8, num_workers=0, persistent_workers=False)
tiny_evaluator = dict(gt_dir=tiny_data_root + 'annotations/val/')

# schedules (Adam throughout, 10x the paper's learning rates for the short runs):
# stage 1: iterations as the full stage 1, lr drop x0.05 at 80 %
tiny_s1_iters = 600  # 300: AP 11.7, MOTA -9.7; 600: AP 20.2, MOTA -2.6 (OKS tracker, val)
tiny_s1_train_cfg = dict(max_iters=tiny_s1_iters, val_interval=tiny_s1_iters)
tiny_s1_param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=tiny_s1_iters, milestones=[tiny_s1_iters * 4 // 5],
         gamma=0.05, by_epoch=False),
]
tiny_s1_optim_wrapper = dict(optimizer=dict(lr=2e-3))
tiny_s1_default_hooks = dict(logger=dict(interval=20),
                             checkpoint=dict(interval=tiny_s1_iters, max_keep_ckpts=1))
tiny_s1_checkpoint = f'iter_{tiny_s1_iters}.pth'
# stage 2 (PGG fine-tune) and stage 3 (TemporalNet): epochs, constant lr
tiny_s2_epochs = 4
tiny_s2_train_cfg = dict(max_epochs=tiny_s2_epochs, val_interval=tiny_s2_epochs)
tiny_s2_param_scheduler = [
    dict(type='ConstantLR', factor=1.0, begin=0, end=tiny_s2_epochs, by_epoch=True)]
tiny_s2_optim_wrapper = dict(optimizer=dict(lr=1e-4))
tiny_s2_default_hooks = dict(logger=dict(interval=10),
                             checkpoint=dict(interval=tiny_s2_epochs, max_keep_ckpts=1))
tiny_s2_checkpoint = f'epoch_{tiny_s2_epochs}.pth'
tiny_s3_epochs = 6
tiny_s3_train_cfg = dict(max_epochs=tiny_s3_epochs, val_interval=tiny_s3_epochs)
tiny_s3_param_scheduler = [
    dict(type='ConstantLR', factor=1.0, begin=0, end=tiny_s3_epochs, by_epoch=True)]
tiny_s3_optim_wrapper = dict(optimizer=dict(lr=2e-3))
tiny_s3_default_hooks = dict(logger=dict(interval=10),
                             checkpoint=dict(interval=tiny_s3_epochs, max_keep_ckpts=1))
tiny_s3_checkpoint = f'epoch_{tiny_s3_epochs}.pth'
