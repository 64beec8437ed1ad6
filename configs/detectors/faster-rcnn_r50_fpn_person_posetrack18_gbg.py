# GBG instead of NMS at test time (OGN 3.1.1; Table 1 row g vs h): no NMS in RPN (MMDet's RPNHead
# sorts its top `max_per_img` proposals when nms=None) and R-CNN, no score pre-filter, then
# min size -> score > 0.8 equivalent ground truth -> IoU < 0.5 to all of them dropped -> groups at
# IoU >= 0.7, top 4 each. min_size (pixels of the original frame) is ours: the paper gives none.
_base_ = './faster-rcnn_r50_fpn_person_posetrack18.py'

model = dict(test_cfg=dict(rpn=dict(nms=None), rcnn=dict(score_thr=0.0, nms=None, gbg=dict(score_thr=0.8, egt_iou_thr=0.5, group_iou_thr=0.7, top_n=4, min_size=8))))  # noqa: E501
