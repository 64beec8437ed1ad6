# OGN Table 4 row c: row b with Smooth L1 on the score maps (the two-stage OGN's loss, Sec. 3.2).
_base_ = ['./ogn-t4b_mask-rcnn-r101-softmax-offset-rc_posetrack18.py']

model = dict(roi_head=dict(keypoint_head=dict(
    loss_heatmap=dict(_delete_=True, type='mmpose.SmoothL1Loss', use_target_weight=True))))
