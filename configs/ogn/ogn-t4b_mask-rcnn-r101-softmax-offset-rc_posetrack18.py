# OGN Table 4 row b: row a + ratio-consistent RoIs, extended to the 352x256 aspect (RoI-Align
# 22x16, heatmap 88x64; R keeps ~7 % of the RoI height).
_base_ = ['./ogn-t4a_mask-rcnn-r101-softmax-offset_posetrack18.py']

keypoint_roi_size = (22, 16)
model = dict(roi_head=dict(
    ratio_consistent=True,
    keypoint_roi_extractor=dict(roi_layer=dict(output_size=keypoint_roi_size)),
    keypoint_head=dict(roi_feat_size=keypoint_roi_size, radius=6.0)))
