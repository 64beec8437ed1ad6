# Clip Tracking Network (Wang et al. 2020), stage 1 of training (Sec. 4.2): the 2D HRNet-W48 of
# [30] trained for image pose estimation on single PoseTrack18 frames, before its first two stages
# are inflated to 3D (clip-s2_hrnet3d-w48-t9_*, which loads this checkpoint). Also the "Base 2D,
# oks-gbm" row of Table 7 (T = 1 in Fig. 5a): detections of every frame, OKS-NMS, poses linked by
# OKS-based greedy bipartite matching (highest OKS first, [13, 34]).
# HRNet-W48 at 384x288 as MMPose's td-hm_hrnet-w48_8xb32-210e_coco-384x288 (its codec, backbone,
# head), started from that COCO model (the paper's PoseTrack18 rows list COCO as extra data), on
# our top-down PoseTrack18 base (configs/baseline: frame dataset, OKS tracking in the test loop).
# Schedule: "the same hyperparameters of [30]", HRNet's PoseTrack recipe: Adam, 20 epochs,
# lr 1e-4, x0.1 at epochs 10 and 15 (1e-4 -> 1e-5 -> 1e-6), flip test.
_base_ = ['../baseline/td-hm_res50_posetrack18-256x192.py']
from mmpose_track.utils.config_utils import codec_pipelines  # noqa: E402

codec = dict(type='MSRAHeatmap', input_size=(288, 384), heatmap_size=(72, 96), sigma=3)

load_from = ('https://download.openmmlab.com/mmpose/v1/body_2d_keypoint/topdown_heatmap/coco/'
             'td-hm_hrnet-w48_8xb32-210e_coco-384x288-c161b7de_20220915.pth')

train_cfg = dict(max_epochs=20, val_interval=5)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=20, milestones=[10, 15], gamma=0.1, by_epoch=True)]
# HRNet [30]: 4 GPUs x 32 crops
auto_scale_lr = dict(base_batch_size=128)

model = dict(
    backbone=dict(
        _delete_=True,
        type='HRNet',
        in_channels=3,
        extra=dict(
            stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(4, ),
                        num_channels=(64, )),
            stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(4, 4),
                        num_channels=(48, 96)),
            stage3=dict(num_modules=4, num_branches=3, block='BASIC', num_blocks=(4, 4, 4),
                        num_channels=(48, 96, 192)),
            stage4=dict(num_modules=3, num_branches=4, block='BASIC', num_blocks=(4, 4, 4, 4),
                        num_channels=(48, 96, 192, 384))),
        init_cfg=dict(type='Pretrained', checkpoint='https://download.openmmlab.com/mmpose/'
                      'pretrain_models/hrnet_w48-8ef0771d.pth')),
    # HRNet's stride-4 output is the heatmap resolution: the 1x1 conv of MMPose's HRNet configs
    head=dict(in_channels=48, deconv_out_channels=None, decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True))

# oks-gbm: the previous frame's poses, pairs taken greedily by decreasing OKS (> 0.3)
oks_gbm_tracker = dict(
    type='PoseTracker',
    similarity=dict(type='OKSSimilarity', sigmas=None, vis_thr=None),
    assigner=dict(type='GreedyAssigner', match_thr=0.3, order='global'),
    memory=dict(type='TrackMemory', num_frames_retain=1),
    reactivate=False, min_track_length=1, joint_score_thr=0.0)
val_cfg = dict(tracker=dict(_delete_=True, **oks_gbm_tracker))
test_cfg = dict(tracker=dict(_delete_=True, **oks_gbm_tracker))

# Sec. 4.1: AP on all the joints, MOTA on the joints above per-joint score thresholds fitted on
# held-out training videos (tools/analysis_tools/fit_joint_thresholds.py CONFIG CHECKPOINT; pass
# test_evaluator.score_thr=thresholds.json); until fitted, the base's single threshold
val_evaluator = dict(threshold_ap=False)
test_evaluator = dict(threshold_ap=False)

train_pipeline, val_pipeline = codec_pipelines(_base_, codec)
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
