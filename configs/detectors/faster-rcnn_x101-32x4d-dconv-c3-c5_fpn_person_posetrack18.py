# TKMRNet's stronger person detector (Table 3 M8-M9, Table 4 N1-N6: "ResNeXt-101"): the DCN R101
# detector with MMDet's dcn/faster-rcnn_x101-32x4d-dconv-c3-c5_fpn_1x_coco.py backbone (ResNeXt-101
# 32x4d, DCN in C3-C5; the paper does not give the ResNeXt width), from its COCO weights.
_base_ = './faster-rcnn_r101-dconv-c3-c5_fpn_person_posetrack18.py'

load_from = ('https://download.openmmlab.com/mmdetection/v2.0/dcn/'
             'faster_rcnn_x101_32x4d_fpn_dconv_c3-c5_1x_coco/'
             'faster_rcnn_x101_32x4d_fpn_dconv_c3-c5_1x_coco_20200203-4f85c69c.pth')
model = dict(
    backbone=dict(
        type='ResNeXt',
        depth=101,
        groups=32,
        base_width=4,
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnext101_32x4d')))
