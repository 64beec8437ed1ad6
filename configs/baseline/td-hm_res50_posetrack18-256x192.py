# Top-down baseline (SimpleBaseline, Xiao et al. 2018: ResNet-50 + 3 deconvolutions, heatmaps) on
# PoseTrack18 video frames, tracked with the default tracker (OKS + Hungarian with Kalman motion
# and camera-motion compensation, configs/trackers/oks_kalman_cmc.py) and scored with AP/MOTA/HOTA.
# The base that method configs and the tiny CPU configs inherit from.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/datasets/posetrack18_topdown.py',
    '../trackers/oks_kalman_cmc.py',
]

train_cfg = dict(max_epochs=20, val_interval=5)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-4))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=20, milestones=[10, 15], gamma=0.1, by_epoch=True),
]
auto_scale_lr = dict(base_batch_size=512)
default_hooks = dict(checkpoint=dict(save_best='posetrack/AP', rule='greater', interval=5))

# tracking happens in the loop, so any MMPose estimator gains it
val_cfg = dict(_delete_=True, type='PoseTrackValLoop', tracker={{_base_.tracker}},
               nms=dict(type='oks', thr=0.9))
test_cfg = dict(_delete_=True, type='PoseTrackTestLoop', tracker={{_base_.tracker}},
                nms=dict(type='oks', thr=0.9))

model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(type='ResNet', depth=50),
    head=dict(
        type='HeatmapHead',
        in_channels=2048,
        out_channels=17,
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder={{_base_.codec}}),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True))
