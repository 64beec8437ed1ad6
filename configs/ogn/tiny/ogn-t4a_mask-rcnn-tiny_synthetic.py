# Tiny CPU version of ogn-t4a_mask-rcnn-r101-softmax-offset_posetrack18.py (Table 4 row a): the tiny
# chain mirrors the full one, each row adding the full row's lines to the tiny row before it.
_base_ = ['./ogn-t4fair_mask-rcnn-tiny_synthetic.py']

model = dict(roi_head=dict(keypoint_head=dict(use_offset=True)))
