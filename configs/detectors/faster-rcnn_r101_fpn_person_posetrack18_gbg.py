# R101-FPN person detector with GBG at test time (see faster-rcnn_r50_fpn_person_posetrack18_gbg.py).
_base_ = './faster-rcnn_r101_fpn_person_posetrack18.py'

model = dict(test_cfg=dict(rpn=dict(nms=None), rcnn=dict(score_thr=0.0, nms=None, gbg=dict(score_thr=0.8, egt_iou_thr=0.5, group_iou_thr=0.7, top_n=4, min_size=8))))  # noqa: E501
