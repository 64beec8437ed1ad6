# Person-only Faster R-CNN R50-FPN (MMDet 3.3) on PoseTrack18 frames: the person detector that the
# top-down methods run before pose estimation (OGN: Zhang et al. 2019, Sec. 3.1; tools/detect_people.py
# writes the human-detections file that top-down testing reads).
#   train: python tools/train.py configs/detectors/faster-rcnn_r50_fpn_person_posetrack18.py
#          mim train mmpose_track configs/detectors/faster-rcnn_r50_fpn_person_posetrack18.py
# Test-time suppression: conventional NMS here; `*_gbg.py` switches to greedy box generation (GBG,
# OGN 3.1.1) with one line, the model's test_cfg (OGN Table 1, rows g vs h).
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'

default_scope = 'mmdet'
custom_imports = dict(imports=['mmpose_track.register_all'], allow_failed_imports=False)

# the data: the real and the synthetic set differ in these lines
data_root = 'data/posetrack18/'
train_ann_file = 'annotations/posetrack18_train.json'
val_ann_file = 'annotations/posetrack18_val.json'

metainfo = dict(classes=('person', ), palette=[(220, 20, 60)])
dataset_type = 'PoseTrack18DetDataset'  # CocoDataset + area, unlabeled frames, ignore regions

# Fine-tune from MMDet's COCO Faster R-CNN (the papers' detectors are COCO-trained; the 80-class
# box predictor does not match num_classes=1 and is re-initialised, MMEngine warns about it).
load_from = ('https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/'
             'faster_rcnn_r50_fpn_1x_coco/faster_rcnn_r50_fpn_1x_coco_20200130-047c8118.pth')

model = dict(
    roi_head=dict(
        # MMDet's Shared2FCBBoxHead plus the `gbg` test option (identical without it)
        bbox_head=dict(type='GBGShared2FCBBoxHead', num_classes=1)),
    test_cfg=dict(
        rpn=dict(nms_pre=1000, max_per_img=1000, nms=dict(type='nms', iou_threshold=0.7),
                 min_bbox_size=0),
        rcnn=dict(score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5), max_per_img=100)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    # `instances`: CocoMetric takes the ground truth from the dataset (ann_file=None below)
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'instances')),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file=train_ann_file,
        data_prefix=dict(img=''),  # file_name is 'images/train/<video>/NNNNNN.jpg'
        metainfo=metainfo,
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file=val_ann_file,
        data_prefix=dict(img=''),
        metainfo=metainfo,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# ann_file=None: ground truth from the dataset (PoseTrack files lack `area`; unlabeled frames are
# left out; ignore regions are crowd boxes)
val_evaluator = dict(type='CocoMetric', ann_file=None, metric='bbox', format_only=False)
test_evaluator = val_evaluator

default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                                     save_best='coco/bbox_mAP', rule='greater'))
