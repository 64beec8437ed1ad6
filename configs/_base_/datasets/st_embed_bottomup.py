# Bottom-up data of ST-Embed (Jin et al. 2019): whole frames, all people of a frame in one sample.
#
# Training data as the paper (Sec. 4.1, supplementary Sec. 2): COCO first, then a mixture with
# PoseTrack18, both in our 17-joint PoseTrack18 layout. COCO goes through MMPose's
# KeypointConverter (nose, ears, shoulders..ankles keep their slots; COCO's eyes have no
# PoseTrack18 joint and are dropped; PoseTrack18 slots 1 head_bottom and 2 head_top stay missing,
# visibility 0) and MMPose's CombinedDataset gives every sample the PoseTrack18 metainfo (flip
# indices, num_keypoints 17). TemporalNet trains on pairs of PoseTrack18 frames (range-5 window,
# same augmentation on both frames: ApplyToFrames). Tests walk each video frame by frame
# (frame-level samples, VideoGroupedSampler) through the tracking loop.
#
# Augmentation (supplementary Sec. 2.1), with MMPose's transforms:
# - hue [0.8, 1.2], saturation [0.5, 1.5], brightness [0.7, 1.3], contrast [0.5, 1.5]:
#   MMPose's PhotometricDistortion (the transform MMPose / MMDet ship for colour jitter):
#   contrast_range and saturation_range are the paper's factors as they are (pixel values resp.
#   HSV saturation times a uniform factor); its brightness is additive, so the +-30 % factor
#   becomes the shift it gives at mid-grey, brightness_delta = 0.3 * 127.5 ~ 38 grey levels; its
#   hue is an additive shift in OpenCV's 0-180 hue scale, so +-20 % becomes 0.2 * 90 = 18 (MMPose's
#   default, +-36 degrees). Differences left: each of the four is applied with probability 0.5,
#   and PhotometricDistortion also swaps the colour channels with probability 0.5 (not in the
#   paper; the class has no switch for it).
# - rotation +-30 deg, horizontal flip, scale 0.75-1.25: MMPose's BottomupRandomAffine
#   (rotate_factor=30, scale_factor=(0.75, 1.25), uniform draws as the paper's "between") and
#   RandomFlip; the random shift (shift_factor 0.2 of the image size, MMPose's default) is not
#   in the paper but lets a square crop of a wide frame reach its sides.
dataset_type = 'PoseTrack18FrameDataset'
data_mode = 'bottomup'
data_root = 'data/posetrack18/'
train_ann_file = 'annotations/posetrack18_train.json'
val_ann_file = 'annotations/posetrack18_val.json'
val_gt_dir = 'annotations/val/'
coco_data_root = 'data/coco/'
coco_train_ann_file = 'annotations/person_keypoints_train2017.json'
coco_train_img_prefix = 'train2017/'

# The PoseTrack18 metainfo of every training sample (MMPose's file; MMPose finds its installed
# copy when the working directory has none, as for its own CombinedDataset configs).
posetrack18_metainfo = dict(from_file='configs/_base_/datasets/posetrack18.py')
# COCO joint -> PoseTrack18 slot: nose 0, ears 3-4, shoulders..ankles 5-16 keep their index;
# COCO eyes (1, 2) are dropped, PoseTrack18 head_bottom (1) and head_top (2) stay empty.
coco_to_posetrack18 = [(0, 0), (3, 3), (4, 4), (5, 5), (6, 6), (7, 7), (8, 8), (9, 9), (10, 10),
                       (11, 11), (12, 12), (13, 13), (14, 14), (15, 15), (16, 16)]

# SpatialNet targets (mmpose_track/codecs/spatial_embedding.py): heatmaps (sigma 2), KE indices,
# SVF, ordinal keys; 512x512 input, 128x128 maps; AE decoding settings of MMPose's AE config.
codec = dict(
    type='SpatialEmbedding',
    input_size=(512, 512),
    heatmap_size=(128, 128),
    sigma=2,
    tag_dim=1,
    decode_topk=30,
    decode_max_instances=30)

photometric_distortion = dict(
    type='PhotometricDistortion',
    brightness_delta=38,            # brightness x[0.7, 1.3] at mid-grey: +-0.3 * 127.5
    contrast_range=(0.5, 1.5),
    saturation_range=(0.5, 1.5),
    hue_delta=18)                   # hue x[0.8, 1.2]: +-0.2 * 90 in OpenCV's 0-180 hue
random_affine = dict(
    type='BottomupRandomAffine',
    input_size=codec['input_size'],
    rotate_factor=30.,
    scale_factor=(0.75, 1.25),
    distribution='uniform')

# per-frame augmentation and targets, shared by the frame and the pair pipelines
frame_train_transforms = [
    dict(type='LoadImage'),
    photometric_distortion,
    random_affine,
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='BottomupGetHeatmapMask'),
]
train_pipeline = frame_train_transforms + [dict(type='PackPoseTrackInputs')]
# TemporalNet: the same draws on both frames of a pair, then the TVF targets (Eq. 7)
pair_train_pipeline = [
    dict(type='ApplyToFrames', transforms=frame_train_transforms),
    dict(type='GenerateTemporalTarget', encoder=codec),
    dict(type='PackMultiFramePoseInputs'),
]
# test: MMPose's AE test resize (short side to 512, sides rounded up to a multiple of 64 for the
# 4-level hourglass), frame-level samples for the tracking loop
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='BottomupResize', input_size=codec['input_size'], size_factor=64,
         resize_mode='expand'),
    dict(type='PackPoseTrackInputs'),
]

coco_train_dataset = dict(
    type='CocoDataset',
    data_root=coco_data_root,
    data_mode=data_mode,
    ann_file=coco_train_ann_file,
    data_prefix=dict(img=coco_train_img_prefix),
    pipeline=[dict(type='KeypointConverter', num_keypoints=17, mapping=coco_to_posetrack18)])
posetrack18_train_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    data_mode=data_mode,
    ann_file=train_ann_file,
    data_prefix=dict(img=''),
    # identity mapping: both sources then carry the same fields (keypoints_visible_weights)
    pipeline=[dict(type='KeypointConverter', num_keypoints=17,
                   mapping=[(i, i) for i in range(17)])])
# stage 1: COCO only; stage 2 (PGG fine-tune): COCO + PoseTrack18 (no resampling: the paper
# gives no ratio)
coco_train_set = dict(
    type='CombinedDataset',
    metainfo=posetrack18_metainfo,
    datasets=[coco_train_dataset],
    pipeline=train_pipeline)
mixture_train_set = dict(
    type='CombinedDataset',
    metainfo=posetrack18_metainfo,
    datasets=[coco_train_dataset, posetrack18_train_dataset],
    pipeline=train_pipeline)
# stage 3 (TemporalNet): pairs (t, t') of labeled frames with |t - t'| <= 5
pair_train_set = dict(
    type='PoseTrack18PairDataset',
    frame_range=5,
    data_root=data_root,
    ann_file=train_ann_file,
    data_prefix=dict(img=''),
    pipeline=pair_train_pipeline)

train_dataloader = dict(
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=coco_train_set)
val_dataloader = dict(
    batch_size=1,  # frames of different sizes after BottomupResize (MMPose's AE tests use 1)
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    # whole videos per rank, frames in order: tracking needs them
    sampler=dict(type='VideoGroupedSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file=val_ann_file,
        data_prefix=dict(img=''),
        test_mode=True,
        pipeline=val_pipeline,
    ))
test_dataloader = val_dataloader

val_evaluator = dict(type='PoseTrackMetric', gt_dir=data_root + val_gt_dir, score_thr=0.4)
test_evaluator = val_evaluator
