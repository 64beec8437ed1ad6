# OGN Table 4 row a: FAIR's Mask R-CNN + the offset branch (offset-guided refinement, Eq. 2, 4).
_base_ = ['./ogn-t4fair_mask-rcnn-r101-softmax_posetrack18.py']

model = dict(roi_head=dict(keypoint_head=dict(use_offset=True)))
