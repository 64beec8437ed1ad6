# Tiny CPU version of ogn-t4b_mask-rcnn-r101-softmax-offset-rc_posetrack18.py (Table 4 row b):
# ratio-consistent RoIs at the 352x256 aspect, tiny size 11x8 (heatmap 44x32).
_base_ = ['./ogn-t4a_mask-rcnn-tiny_synthetic.py']

keypoint_roi_size = (11, 8)
model = dict(roi_head=dict(
    ratio_consistent=True,
    keypoint_roi_extractor=dict(roi_layer=dict(output_size=keypoint_roi_size)),
    keypoint_head=dict(roi_feat_size=keypoint_roi_size, radius=3.0)))
