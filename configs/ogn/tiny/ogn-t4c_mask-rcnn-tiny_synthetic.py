# Tiny CPU version of ogn-t4c_mask-rcnn-r101-smoothl1-offset-rc_posetrack18.py (Table 4 row c).
_base_ = ['./ogn-t4b_mask-rcnn-tiny_synthetic.py']

model = dict(roi_head=dict(keypoint_head=dict(
    loss_heatmap=dict(_delete_=True, type='mmpose.SmoothL1Loss', use_target_weight=True))))
