# TKMRNet's person detector (Zhou et al. 2020, Sec. 4.2: "Faster R-CNN with FPN and DCN ...
# pre-trained on COCO and fine-tuned on PoseTrack"; Table 3 M1-M7's "ResNet-101"): our person-only
# R101-FPN with deformable convolutions in C3-C5, as MMDet's
# dcn/faster-rcnn_r101-dconv-c3-c5_fpn_1x_coco.py, fine-tuned from its COCO weights.
_base_ = './faster-rcnn_r101_fpn_person_posetrack18.py'

load_from = ('https://download.openmmlab.com/mmdetection/v2.0/dcn/'
             'faster_rcnn_r101_fpn_dconv_c3-c5_1x_coco/'
             'faster_rcnn_r101_fpn_dconv_c3-c5_1x_coco_20200203-1377f13d.pth')
model = dict(
    backbone=dict(
        dcn=dict(type='DCN', deform_groups=1, fallback_on_stride=False),
        stage_with_dcn=(False, True, True, True)))
