# ST-Embed stage 3 = Table 4 row "Ours" (HE+TIE+PGG): TemporalNet (HE and TIE branches on
# SpatialNet's low-level features) trained on pairs of PoseTrack18 frames with SpatialNet (stage 2)
# frozen (supplementary Sec. 2.2: 40 epochs, Adam, lr 2e-4, batch 16, pairs from a range-5 window,
# same augmentation on both frames, HE res5 blocks from an ImageNet ResNet-50); tracked by
# Munkres on Psi = 3 Psi_HE + Psi_TIE (configs/trackers/st_embed.py), TIE refined by PGG.
# Table 4 rows (st-embed-t4-*) are children that swap the tracker (OKS, IoU, KE, KE+SIE, HE, TIE)
# or switch PGG on TIE off (HE+TIE); DeepMatching (DM) is out of scope.
_base_ = ['./st-embed-s2_spatialnet-hg4-pgg_coco-posetrack18-512x512.py']

load_from = 'work_dirs/st-embed-s2_spatialnet-hg4-pgg_coco-posetrack18-512x512/epoch_40.pth'

# "initial learning rate of 2e-4": the paper gives no decay, kept constant (as stage 2's lr)
optim_wrapper = dict(optimizer=dict(lr=2e-4))
train_dataloader = dict(batch_size=16, dataset=dict(_delete_=True, **_base_.pair_train_set))

val_cfg = dict(tracker='{{ fileDirname }}/../trackers/st_embed.py')
test_cfg = dict(tracker='{{ fileDirname }}/../trackers/st_embed.py')

model = dict(
    type='TemporalNet',
    # pairs (B, 2, 3, H, W) in training, single frames at test time
    data_preprocessor=dict(type='MultiFramePoseDataPreprocessor'),
    freeze_spatial=True,  # SpatialNet (backbone + head) fixed, in eval mode
    he_head=dict(
        type='HumanEmbeddingHead',
        in_channels=256,             # SpatialNet's low-level features
        res5_channels=2048,
        num_blocks=3,                # res5a, res5b, res5c
        mid_channels=1024,           # GAP(res5a) ++ GAP(res5b) -> fc 1024; ++ GAP(res5c): 3072-d
        roi_output_size=(16, 8),
        spatial_scale=1.0,           # TemporalNet passes RoIs in feature px
        margin=0.3,                  # triplet margin (Eq. 6)
        loss_weight=1.0,
        res5_init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50',
                           prefix='layer4.')),
    tie_head=dict(
        type='TemporalEmbeddingHead',
        num_keypoints=_base_.num_keypoints,
        stem_channels=256,
        feat_channels=256,
        hourglass_depth=4,           # one hourglass stage (supplementary Fig. 3)
        with_pgg=True,               # PGG on TIE: grouping losses, refinement at test time
        pgg_iters=1,
        pgg_bandwidth=5.0,
        pgg_mask_thr=0.2),
    test_cfg=dict(tie_pgg=True))
