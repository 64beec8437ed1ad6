# OGN (Zhang et al. 2019, "Multi-person pose estimation based on offset-guided network"), the
# two-stage pose estimator of Sec. 3.1, on PoseTrack18 with the tracking test loop.
# This base is Table 1 row (c): ResNet-50, input 256x192, 2 deconvs (stride 8), offsets, no GBG.
# Every other row of Table 1 (a-l) and Table 4 (a-c) is a child differing by a few lines.
_base_ = ['../baseline/td-hm_res50_posetrack18-256x192.py']

# Disk radius R (heatmap px): the paper does not give it; R * stride = 24 input px (G-RMI: 25).
codec = dict(type='OffsetHeatmap', input_size=(192, 256), heatmap_size=(24, 32), radius=3.0,
             use_offset=True, blur_kernel=5)
# detections of the training images for box mixing (Sec. 3.1.3); missing file -> jittered GT
train_det_file = 'annotations/posetrack18_train_human_detections.json'

# Train details (Sec. 4.1): SGD, lr 0.02, 22 epochs, drops at 17 and 21, batch 64 (8 GPUs x 2
# images x 4 ROIs), ImageNet-pretrained ResNet, flip, rotation +-30 deg, scale 0.9-1.2.
train_cfg = dict(max_epochs=22, val_interval=2)
optim_wrapper = dict(optimizer=dict(_delete_=True, type='SGD', lr=0.02, momentum=0.9,
                                    weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=22, milestones=[17, 21], gamma=0.1, by_epoch=True),
]
auto_scale_lr = dict(base_batch_size=64)

# Test details (Sec. 4.1): final score = box score x pose score (the loop's person score), then
# NMS at IoU 0.6 and OKS 0.75 (mmpose_track.tracking.suppress_poses), before tracking.
_ogn_nms = [dict(type='iou', thr=0.6), dict(type='oks', thr=0.75)]
val_cfg = dict(nms=_ogn_nms)
test_cfg = dict(nms=_ogn_nms)

model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    head=dict(
        _delete_=True,
        type='OGNHead',
        in_channels=2048,
        out_channels=17,
        deconv_out_channels=(256, 256),  # 2 deconvs: stride 8 on C5
        deconv_kernel_sizes=(4, 4),
        loss=dict(type='SmoothL1Loss', use_target_weight=True),  # heatmap branch
        offset_loss=dict(type='MaskedSmoothL1Loss'),  # offsets inside the disks; summed, no weight
        decoder=codec),
    test_cfg=dict(flip_test=True, shift_heatmap=True))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='MixDetectedBoxes', prob=0.5, bbox_file=_base_.data_root + train_det_file),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform', scale_factor=(0.9, 1.2), rotate_factor=30.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),  # ratio-consistent (3:4) crop
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseTrackInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseTrackInputs'),
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
codec = dict(_delete_=True, **codec)  # replace (not merge into) the base's MSRAHeatmap codec
