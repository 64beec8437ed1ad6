# PoseTrack18 video frames for top-down estimators: one sample per person box, frames of each
# video in order; at test time the detections file replaces ground-truth boxes and the tracking
# loop merges the people of a frame, tracks them and scores AP/MOTA/HOTA.
dataset_type = 'PoseTrack18FrameDataset'
data_mode = 'topdown'
data_root = 'data/posetrack18/'
train_ann_file = 'annotations/posetrack18_train.json'
val_ann_file = 'annotations/posetrack18_val.json'
val_det_file = 'annotations/posetrack18_val_human_detections.json'
val_gt_dir = 'annotations/val/'

codec = dict(type='MSRAHeatmap', input_size=(192, 256), heatmap_size=(48, 64), sigma=2)
# PackPoseTrackInputs keeps video_id, frame_idx, num_frames, is_labeled and the track ids

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseTrackInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseTrackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file=train_ann_file,
        data_prefix=dict(img=''),
        pipeline=train_pipeline,
    ))
val_dataloader = dict(
    batch_size=32,
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
        bbox_file=data_root + val_det_file,
        data_prefix=dict(img=''),
        test_mode=True,
        pipeline=val_pipeline,
    ))
test_dataloader = val_dataloader

val_evaluator = dict(type='PoseTrackMetric', gt_dir=data_root + val_gt_dir, score_thr=0.4)
test_evaluator = val_evaluator
