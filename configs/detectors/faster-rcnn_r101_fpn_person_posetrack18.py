# Person-only Faster R-CNN R101-FPN on PoseTrack18 (see the R50 config for data and test options).
_base_ = './faster-rcnn_r50_fpn_person_posetrack18.py'

load_from = ('https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/'
             'faster_rcnn_r101_fpn_1x_coco/faster_rcnn_r101_fpn_1x_coco_20200130-f513f705.pth')
model = dict(
    backbone=dict(depth=101, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')))
