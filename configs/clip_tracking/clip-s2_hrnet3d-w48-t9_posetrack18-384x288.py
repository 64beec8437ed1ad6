# Clip Tracking Network (Wang et al. 2020, Sec. 3.1, 4.2), stage 2 of training: the 3D HRNet-W48
# (3D filters in the first two stages, "early" in Table 8: stage 1 bottlenecks 3x1x1 / 1x3x3 /
# 1x1x1, stage 2 3x3x3) on person tubes of T = 9 frames, each the keyframe person's box enlarged by
# 25 % in both dimensions and cut at the same place from every frame (PoseTrack18ClipDataset);
# targets are that person's heatmaps in every frame (zero weight where the track is absent) and the
# loss the heatmap MSE over all frames (ClipTopdownPoseEstimator). Initialised from stage 1 by mean
# inflation of the 2D filters (done by HRNet3D when load_from's 4D weights are loaded).
# Schedule (Sec. 4.2): HRNet's hyper-parameters (Adam), 20 epochs, lr 1e-4 -> 1e-5 at epoch 10 ->
# 1e-6 at 15; flip test (heatmaps averaged with those of the flipped clip).
# Validation here runs the 3D network on the single-frame detection crops of the parent config
# (T = 1, replicate temporal padding); the clip tracking rows of Table 7 replace the test loop with
# the video pipeline (keyframes, tubes, tracklet merging).
_base_ = ['./clip-s1_hrnet-w48_posetrack18-384x288.py']

clip_len = 9
load_from = 'work_dirs/clip-s1_hrnet-w48_posetrack18-384x288/epoch_20.pth'

train_cfg = dict(max_epochs=20, val_interval=5)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=20, milestones=[10, 15], gamma=0.1, by_epoch=True)]
# the paper gives no batch size: 8 GPUs x 4 tubes of 9 frames (36 crops of 384x288 per GPU)
auto_scale_lr = dict(base_batch_size=32)

model = dict(
    type='ClipTopdownPoseEstimator',
    # clips (B, T, 3, H, W) in training, single crops (B, 3, H, W) pass through unchanged
    data_preprocessor=dict(type='MultiFramePoseDataPreprocessor'),
    backbone=dict(type='HRNet3D', temporal_stages='early', temporal_kernel=3,
                  init_cfg=None))  # everything comes from load_from (stage 1)

# one person tube per sample, every frame cropped by the same enlarged box (padding=1.0: the
# dataset already enlarged it 1.25x) with the same random flip / scale / rotation (ApplyToFrames);
# no half-body crop (its draws depend on each frame's visible joints)
clip_frame_transforms = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=_base_.codec['input_size']),
    dict(type='GenerateTarget', encoder=_base_.codec),  # keypoint_weights 0 where absent
]
clip_train_pipeline = [
    dict(type='ApplyToFrames', transforms=clip_frame_transforms),
    dict(type='PackMultiFramePoseInputs', pack_transformed=True),
]
train_dataloader = dict(
    batch_size=4,
    dataset=dict(type='PoseTrack18ClipDataset', clip_len=clip_len, enlarge=1.25,
                 pipeline=clip_train_pipeline))
