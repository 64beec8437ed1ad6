# OGN (Zhang et al. 2019) Sec. 3.2 / Table 4: the offset-guided Mask R-CNN, an MMDet two-stage
# detector (ResNet-101-FPN, person only) whose RoI head also predicts keypoints, trained end to end
# and tracked by the PoseTrack test loop. This base is Table 4 row "FAIR" (Detect-and-Track's Mask
# R-CNN): softmax keypoint loss, RoIs not ratio-consistent, no offsets; rows a-c are children.
#   python tools/train.py configs/ogn/ogn-t4fair_mask-rcnn-r101-softmax_posetrack18.py
#   python tools/test.py  configs/ogn/ogn-t4fair_mask-rcnn-r101-softmax_posetrack18.py CKPT
# Keypoint head: mmpose_track/models/detectors/ogn_keypoint_roi_head.py.
_base_ = ['../detectors/faster-rcnn_r101_fpn_person_posetrack18.py', '../trackers/iou_hungarian.py']

val_gt_dir = 'annotations/val/'
keypoint_roi_size = (14, 14)  # (h, w): Mask R-CNN's; the heatmap is 4x that: 56x56

model = dict(
    roi_head=dict(
        type='OGNKeypointRoIHead',
        ratio_consistent=False,
        keypoint_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=keypoint_roi_size, sampling_ratio=0),
            out_channels=256,
            featmap_strides=[4, 8, 16, 32]),
        keypoint_head=dict(
            type='OGNKeypointHead',
            num_keypoints=17,
            in_channels=256,
            roi_feat_size=keypoint_roi_size,
            num_convs=8,
            conv_out_channels=512,
            upsample_factor=2,
            radius=4.0,  # heatmap px, ~7 % of the RoI height (G-RMI: 25 px of 353)
            use_offset=False,
            blur_kernel=3,
            loss_heatmap=dict(type='mmpose.SpatialSoftmaxLoss'),
            loss_offset=dict(type='mmpose.MaskedSmoothL1Loss'))),
    # people for tracking: boxes above 0.3 after NMS (IoU 0.5), at most 30 a frame
    test_cfg=dict(rcnn=dict(score_thr=0.3, max_per_img=30)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotationsWithKeypoints', with_bbox=True),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='WarpKeypoints'),  # keypoints follow Resize and RandomFlip (left/right swapped)
    dict(type='PackDetPoseInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='PackDetPoseInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'video_id',
                    'frame_idx', 'num_frames')),
]
train_dataloader = dict(dataset=dict(with_keypoints=True, pipeline=train_pipeline))
# every frame of every video (unlabeled ones too: the tracker needs them), videos whole and in
# frame order on each rank
val_dataloader = dict(
    sampler=dict(_delete_=True, type='mmpose.VideoGroupedSampler'),
    dataset=dict(labeled_only=False, video_order=True, pipeline=test_pipeline))
test_dataloader = val_dataloader

# detect -> keypoints -> per-frame suppression (OGN Sec. 4.1: IoU 0.6, OKS 0.75 on box score x pose
# score) -> IoU tracking (Detect-and-Track's; OGN adds appearance for its two-stage system, Sec.
# 4.2) -> PoseTrack AP / MOTA / HOTA
_ogn_nms = [dict(type='iou', thr=0.6), dict(type='oks', thr=0.75)]
val_cfg = dict(_delete_=True, type='mmpose.PoseTrackValLoop', tracker=_base_.tracker,
               nms=_ogn_nms)
test_cfg = dict(_delete_=True, type='mmpose.PoseTrackTestLoop', tracker=_base_.tracker,
                nms=_ogn_nms)
val_evaluator = dict(_delete_=True, type='mmpose.PoseTrackMetric',
                     gt_dir=_base_.data_root + val_gt_dir, score_thr=0.4)
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='posetrack/AP', rule='greater'))
