# Clip Tracking Network (Wang et al. 2020, Sec. 3.1, 4.2), stage 2 of training: the 3D HRNet-W48
# (3D filters in the first two stages, "early" in Table 8: stage 1 bottlenecks 3x1x1 / 1x3x3 /
# 1x1x1, stage 2 3x3x3) on person tubes of T = 9 frames, each the keyframe person's box enlarged by
# 25 % in both dimensions and cut at the same place from every frame (PoseTrack18ClipDataset);
# targets are that person's heatmaps in every frame (zero weight where the track is absent) and the
# loss the heatmap MSE over all frames (ClipTopdownPoseEstimator). Initialised from stage 1 by mean
# inflation of the 2D filters (done by HRNet3D when load_from's 4D weights are loaded).
# Schedule (Sec. 4.2): HRNet's hyper-parameters (Adam), 20 epochs, lr 1e-4 -> 1e-5 at epoch 10 ->
# 1e-6 at 15; flip test (heatmaps averaged with those of the flipped clip).
# Validation and test run the video tracking pipeline (Sec. 3.2-3.3, 4.1; Table 7, last row): every
# frame a keyframe (S = 1), one tube per detection, the tracklets sewn by Hungarian on OKS, the
# hypotheses merged by spatial-temporal merging, short tracks and tiny boxes removed. The Table 7,
# Table 8 and Fig. 5 configs are small children of this one.
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

# ---------------------------------------------------------------- video tracking pipeline
# keyframes every S frames; one tube per detection of a keyframe, cut at the same place from the
# T frames around it (the border frame replicated where the video is shorter; the tracklet keeps
# one pose per distinct frame)
keyframe_step = 1
clip_test_pipeline = [
    dict(type='ApplyToFrames', transforms=[
        dict(type='LoadImage'),
        dict(type='GetBBoxCenterScale', padding=1.0),
        dict(type='TopdownAffine', input_size=_base_.codec['input_size'])]),
    dict(type='PackMultiFramePoseInputs'),
]
val_dataloader = dict(
    batch_size=8,
    dataset=dict(type='PoseTrack18ClipDataset', clip_len=clip_len, enlarge=1.25,
                 keyframe_step=keyframe_step, pipeline=clip_test_pipeline))
test_dataloader = val_dataloader
# Sec. 3.2-3.3 and 4.1 (ClipTrackingStream): Hungarian on the mean OKS of overlapping frames
# (a tracklet joins a track above OKS 0.3), spatial-temporal merge with a mean-shift radius of
# half the head size and lambda = 1; "very short tracklets" and "tiny bounding boxes" are removed,
# but our copy of the paper lost both numbers: we drop tracks of fewer than 5 frames and poses
# whose joint box is under 32 x 32 px (COCO's "small" bound). box_padding: the output boxes are
# the joints' box enlarged 1.3x, PoseTrack18's own rule (its ground-truth boxes are exactly that:
# IoU 1.000 on the real files of ../shared/data), for the person-box recall of Table 9.
clip_tubes = dict(merge='spatial_temporal', sim_thr=0.3, balance=1.0, bandwidth_ratio=0.5,
                  spatial=True, temporal=True, min_track_length=5, min_box_area=32 * 32,
                  box_padding=1.3)
val_cfg = dict(_delete_=True, type='PoseTrackValLoop', tubes=clip_tubes)
test_cfg = dict(_delete_=True, type='PoseTrackTestLoop', tubes=clip_tubes)
