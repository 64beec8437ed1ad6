# Tiny synthetic person detector with GBG at test time (OGN 3.1.1; see
# ../faster-rcnn_r50_fpn_person_posetrack18_gbg.py). min_size 4 px on the 320x240 frames.
_base_ = './faster-rcnn_tiny_person_synthetic.py'

model = dict(test_cfg=dict(rpn=dict(nms=None), rcnn=dict(score_thr=0.0, nms=None, gbg=dict(score_thr=0.8, egt_iou_thr=0.5, group_iou_thr=0.7, top_n=4, min_size=4))))  # noqa: E501
