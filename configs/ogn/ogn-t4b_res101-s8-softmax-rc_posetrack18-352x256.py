# OGN (Zhang et al. 2019) Table 4 rows are the paper's *extended Mask R-CNN* (ResNet-101, PoseTrack val2017); here they
# are reproduced in the two-stage framework (ROI = detected box crop, not ROI-Align), see the report.
# Table 4 (b): (c) with Mask R-CNN's softmax keypoint loss on the heatmap branch.
_base_ = ['./ogn-t4c_res101-s8-smoothl1-rc_posetrack18-352x256.py']

model = dict(head=dict(loss=dict(_delete_=True, type='SpatialSoftmaxLoss', use_target_weight=True)))
