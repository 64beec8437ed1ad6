# ST-Embed (Jin et al. 2019, "Multi-person Articulated Tracking with Spatial and Temporal
# Embeddings"), stage 1: SpatialNet without PGG (Table 3 row "KE+SIE+aux") trained on COCO
# converted to the 17-joint PoseTrack18 layout; tested on PoseTrack18 val with the tracking loop.
#
# Chain (each stage loads the previous one's checkpoint through load_from):
#   stage 1  st-embed-s1_spatialnet-hg4_coco-512x512.py            (this file, 300K iterations)
#   stage 2  st-embed-s2_spatialnet-hg4-pgg_coco-posetrack18-512x512.py   (PGG fine-tune)
#   stage 3  st-embed-s3_temporalnet-hg4_posetrack18-512x512.py    (TemporalNet, HE + TIE)
# Table 3 rows are children of stage 1 (no PGG) and stage 2 (PGG), Table 4 rows children of
# stage 3 that swap the tracker; tiny CPU versions in tiny/.
_base_ = ['../_base_/default_runtime.py', '../_base_/datasets/st_embed_bottomup.py']

num_keypoints = 17  # K, PoseTrack18 layout
tag_dim = 1         # L, KE dimension per joint type
# C = K (heatmaps) + L*K (KE) + 2K (SVF) + 6 (ordinal maps) = 74 channels per hourglass stack
out_channels = num_keypoints + tag_dim * num_keypoints + 2 * num_keypoints + 6

# Supplementary Sec. 2.1: Adam, batch 16, lr 2e-4 reduced to 1e-5 after 250K iterations. The
# paper gives no total: 300K iterations (50K at 1e-5), then the PGG fine-tune (stage 2).
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=300000, val_interval=50000)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=2e-4))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=300000, milestones=[250000], gamma=0.05,
         by_epoch=False),  # 2e-4 * 0.05 = 1e-5
]
auto_scale_lr = dict(base_batch_size=16)
train_dataloader = dict(batch_size=16)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=10000, max_keep_ckpts=3))
log_processor = dict(by_epoch=False)

# Tracking happens in the loop (bottom-up grouping needs no per-frame NMS). The tracker is named
# by its file so that the Table 4 rows swap it in one line. Table 3 scores single-frame AP: any
# tracker will do for SpatialNet: the default one (configs/trackers/oks_kalman_cmc.py).
val_cfg = dict(_delete_=True, type='PoseTrackValLoop',
               tracker='{{ fileDirname }}/../trackers/oks_kalman_cmc.py')
test_cfg = dict(_delete_=True, type='PoseTrackTestLoop',
                tracker='{{ fileDirname }}/../trackers/oks_kalman_cmc.py')

model = dict(
    type='SpatialNet',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    # 4-stage stacked hourglass (MMPose's HourglassAENet), the 256-channel stem features exposed
    backbone=dict(
        type='HourglassAENetWithStem',
        num_stacks=4,
        downsample_times=4,
        out_channels=out_channels,
        stage_channels=(256, 384, 512, 640, 768),
        feat_channels=256),
    head=dict(
        type='SpatialEmbeddingHead',
        num_keypoints=num_keypoints,
        tag_dim=tag_dim,
        # Table 3 switches: this row is KE + SIE + aux, no PGG
        use_ke=True,
        use_sie=True,
        use_aux=True,
        with_pgg=False,
        pgg_iters=1,          # R = 1 (supplementary Sec. 2.1)
        pgg_bandwidth=5.0,
        pgg_mask_thr=0.2,     # tau
        # loss weights det : KE : aux : SIE = 1 : 1e-3 : 1e-4 : 1e-4, PGG 1e-4
        keypoint_loss=dict(type='KeypointMSELoss', use_target_weight=False, loss_weight=1.0),
        ke_loss=dict(type='KeypointEmbeddingLoss', loss_weight=1e-3),
        aux_loss=dict(type='OrdinalEmbeddingLoss', loss_weight=1e-4),
        svf_loss=dict(type='KeypointVectorFieldLoss', loss_weight=1e-4),
        pgg_loss=dict(type='GroupingLoss', loss_weight=1e-4),
        decoder={{_base_.codec}}),
    # MMPose's AE test settings (flip-averaged heatmaps, no heatmap shift)
    test_cfg=dict(flip_test=True, shift_heatmap=False))
