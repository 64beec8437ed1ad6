"""GBG (OGN 3.1.1) as the test option of the registered R-CNN box head, against MMDet's NMS."""
import math

import numpy as np
import pytest
import torch
from mmengine.config import ConfigDict

import mmpose_track.register_all  # noqa: F401  (registers into MMDet)
from mmdet.registry import MODELS  # noqa: E402
from mmpose_track.tracking import bbox_iou_matrix, greedy_box_generation

NMS_CFG = ConfigDict(score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5), max_per_img=100)
GBG_CFG = ConfigDict(score_thr=0.0, nms=None, max_per_img=100,
                     gbg=dict(score_thr=0.8, egt_iou_thr=0.5, group_iou_thr=0.7, top_n=4))


def _head(num_classes=1, **kw):
    return MODELS.build(dict(
        type='GBGShared2FCBBoxHead', in_channels=8, fc_out_channels=16, roi_feat_size=7,
        num_classes=num_classes,
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.] * 4,
                        target_stds=[0.1, 0.1, 0.2, 0.2]), **kw))


def _predict(head, boxes, scores, cfg):
    """Through ``predict_by_feat``: zero deltas decode to the RoIs themselves; logits give the
    wanted softmax scores (person, background)."""
    boxes = torch.as_tensor(boxes, dtype=torch.float32)
    p = torch.as_tensor(scores, dtype=torch.float32)
    rois = torch.cat([boxes.new_zeros(len(boxes), 1), boxes], 1)
    cls = torch.stack([p.log(), (1 - p).log()], 1)
    deltas = boxes.new_zeros(len(boxes), 4 * head.num_classes)
    meta = dict(img_shape=(480, 640), ori_shape=(480, 640), scale_factor=(1., 1.))
    return head.predict_by_feat((rois, ), (cls, ), (deltas, ), [meta], rcnn_test_cfg=cfg)[0]


def test_gbg_keeps_better_localised_low_score_box_that_nms_drops():
    gt = torch.tensor([[5., 5., 105., 205.]])
    boxes = [[0., 0., 100., 200.],   # EGT (0.95), slightly off
             [5., 5., 105., 205.],   # low score (0.6) but exact: IoU 0.90 with the EGT
             [300., 20., 360., 160.]]  # a lone low-scored box: no EGT near, GBG drops it
    scores = [0.95, 0.6, 0.5]
    head = _head().eval()
    nms = _predict(head, boxes, scores, NMS_CFG)
    gbg = _predict(head, boxes, scores, GBG_CFG)
    # NMS: the exact box is suppressed by the higher-scored one
    assert nms.bboxes.tolist() == [boxes[0], boxes[2]]
    assert bbox_iou_matrix(nms.bboxes, gt)[:, 0].max() < 0.95
    # GBG: the exact box survives, lowest score but best IoU with the ground truth
    assert gbg.bboxes.tolist() == [boxes[0], boxes[1]]
    assert gbg.scores.tolist() == pytest.approx([0.95, 0.6], abs=1e-5)
    assert gbg.labels.tolist() == [0, 0]
    best = gbg.bboxes[bbox_iou_matrix(gbg.bboxes, gt)[:, 0].argmax()]
    assert best.tolist() == boxes[1] and bbox_iou_matrix(best[None], gt).item() == 1


def test_head_gbg_equals_plain_function_and_caps():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 300, (60, 2))
    wh = rng.uniform(20, 120, (60, 2))
    boxes = np.concatenate([xy, xy + wh], 1)
    boxes = np.concatenate([boxes, boxes + rng.normal(0, 3, boxes.shape)])  # duplicates
    scores = rng.uniform(0.01, 0.99, len(boxes))
    head = _head().eval()
    out = _predict(head, boxes, scores, GBG_CFG)
    b32 = torch.tensor(boxes, dtype=torch.float32)
    s32 = torch.softmax(torch.stack([torch.tensor(scores).log(), torch.tensor(1 - scores).log()],
                                    1).float(), 1)[:, 0]
    keep = greedy_box_generation(b32, s32, 0.8, 0.5, 0.7, 4)
    assert len(keep) > 4
    assert torch.allclose(out.bboxes, b32[keep]) and torch.allclose(out.scores, s32[keep])
    capped = _predict(head, boxes, scores, ConfigDict(GBG_CFG, max_per_img=3))
    assert torch.equal(capped.bboxes, out.bboxes[:3])
    # min_size drops small boxes; score_thr of rcnn pre-filters
    small = _predict(head, boxes, scores, ConfigDict(GBG_CFG, gbg=dict(GBG_CFG.gbg, min_size=60)))
    wh_out = small.bboxes[:, 2:] - small.bboxes[:, :2]
    assert len(small.bboxes) and (wh_out.min(1).values >= 60).all()
    # NMS path untouched: identical to MMDet's own head
    stock = MODELS.build(dict(type='Shared2FCBBoxHead', in_channels=8, fc_out_channels=16,
                              roi_feat_size=7, num_classes=1)).eval()
    a, b = _predict(head, boxes, scores, NMS_CFG), _predict(stock, boxes, scores, NMS_CFG)
    assert torch.equal(a.bboxes, b.bboxes) and torch.equal(a.scores, b.scores)


def test_gbg_multiclass_empty_and_bad_keys():
    head = _head(num_classes=2).eval()
    boxes = [[0., 0., 50., 100.], [2., 2., 52., 102.]]
    rois = torch.tensor([[0.] + b for b in boxes])
    cls = torch.tensor([[math.log(0.9), math.log(0.05), math.log(0.05)],
                        [math.log(0.05), math.log(0.85), math.log(0.1)]])
    meta = dict(img_shape=(200, 200), scale_factor=(1., 1.))
    out = head.predict_by_feat((rois, ), (cls, ), (torch.zeros(2, 8), ), [meta],
                               rcnn_test_cfg=GBG_CFG)[0]
    # per class: each box is its class's EGT, the other box (score 0.05) joins its group
    assert sorted(out.labels.tolist()) == [0, 0, 1, 1]
    out = head.predict_by_feat((rois, ), (cls, ), (torch.zeros(2, 8), ), [meta],
                               rcnn_test_cfg=ConfigDict(GBG_CFG, score_thr=0.1))[0]
    assert out.labels.tolist() == [0, 1] and out.bboxes.tolist() == boxes  # pre-filtered
    empty = head.predict_by_feat((rois[:0], ), (cls[:0], ), (torch.zeros(0, 8), ), [meta],
                                 rcnn_test_cfg=GBG_CFG)[0]
    assert len(empty.bboxes) == 0
    with pytest.raises(KeyError, match='unknown keys'):
        head.predict_by_feat((rois, ), (cls, ), (torch.zeros(2, 8), ), [meta],
                             rcnn_test_cfg=ConfigDict(GBG_CFG, gbg=dict(iou=0.5)))
