"""Greedy Box Generation (GBG, OGN: Zhang et al. 2019, Sec. 3.1.1) as a test-time option of
MMDet's R-CNN box heads.

The box head keeps MMDet's behaviour (``multiclass_nms``) unless its ``test_cfg`` (the ``rcnn``
part of the detector's ``test_cfg``) holds ``gbg=dict(...)``; then, per class, every decoded box
(no NMS) goes through :func:`mmpose_track.tracking.greedy_box_generation`:

1. boxes with a side ``< min_size`` (pixels of the output image) are dropped;
2. boxes scored ``> score_thr`` (0.8) are the *equivalent ground truth* (EGT);
3. boxes with ``IoU < egt_iou_thr`` (0.5) to every EGT are eliminated;
4. the rest are grouped at ``IoU >= group_iou_thr`` (0.7) and the ``top_n`` (4) best of each
   group are kept.

So switching NMS <-> GBG is one config line, the ``test_cfg`` of the detector::

    # NMS (MMDet default)
    test_cfg=dict(rpn=dict(nms=dict(type='nms', iou_threshold=0.7), ...),
                  rcnn=dict(score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5), ...))
    # GBG: no NMS in RPN (MMDet's RPNHead sorts and keeps ``max_per_img`` when ``nms=None``),
    # none in R-CNN, GBG instead
    test_cfg=dict(rpn=dict(nms=None),
                  rcnn=dict(score_thr=0.0, nms=None, gbg=dict(score_thr=0.8, ...)))

``rcnn.score_thr`` still pre-filters the candidates (0.0: none, as in the paper, "no filtering
strategies are used in both RPN and R-CNN phase") and ``rcnn.max_per_img`` caps the output, highest
scores first.
"""
from typing import Optional

import torch
from mmdet.models.roi_heads.bbox_heads import Shared2FCBBoxHead
from mmdet.registry import MODELS
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor

from mmpose_track.tracking import greedy_box_generation

__all__ = ['GBG_KEYS', 'gbg_multiclass', 'GBGBBoxHeadMixin', 'GBGShared2FCBBoxHead']

#: arguments of :func:`greedy_box_generation` a ``gbg=dict(...)`` test config may hold
GBG_KEYS = ('score_thr', 'egt_iou_thr', 'group_iou_thr', 'top_n', 'min_size')


def gbg_multiclass(bboxes: Tensor,
                   scores: Tensor,
                   gbg_cfg: dict,
                   score_thr: float = 0.0,
                   max_per_img: int = -1):
    """GBG per class on R-CNN outputs (the GBG counterpart of MMDet's ``multiclass_nms``).

    Args:
        bboxes (Tensor): ``(n, 4)`` (class-agnostic regression) or ``(n, C * 4)``, x1y1x2y2.
        scores (Tensor): ``(n, C + 1)`` softmax scores, background last.
        gbg_cfg (dict): keyword arguments of :func:`greedy_box_generation` (:data:`GBG_KEYS`).
        score_thr (float): candidates need ``score > score_thr`` (0: no pre-filter).
        max_per_img (int): keep at most this many boxes, best first (``<= 0``: all).

    Returns:
        tuple: ``bboxes (k, 4)``, ``scores (k,)``, ``labels (k,)`` sorted by descending score.
    """
    unknown = set(gbg_cfg) - set(GBG_KEYS)
    if unknown:
        raise KeyError(f'test_cfg.rcnn.gbg: unknown keys {sorted(unknown)}; allowed: {GBG_KEYS}')
    n = scores.size(0)
    num_classes = scores.size(1) - 1
    bboxes = bboxes.reshape(n, -1, 4)
    if bboxes.size(1) == 1:
        bboxes = bboxes.expand(n, num_classes, 4)
    out_b, out_s, out_l = [], [], []
    for c in range(num_classes):
        cand = torch.nonzero(scores[:, c] > score_thr, as_tuple=False).reshape(-1)
        if cand.numel() == 0:
            continue
        keep = cand[greedy_box_generation(bboxes[cand, c], scores[cand, c], **gbg_cfg)]
        out_b.append(bboxes[keep, c])
        out_s.append(scores[keep, c])
        out_l.append(torch.full_like(keep, c))
    if not out_b:
        return bboxes.new_zeros((0, 4)), scores.new_zeros(0), scores.new_zeros(0, dtype=torch.long)
    b, s, lab = torch.cat(out_b), torch.cat(out_s), torch.cat(out_l)
    order = torch.argsort(s, descending=True)
    if max_per_img is not None and max_per_img > 0:
        order = order[:max_per_img]
    return b[order], s[order], lab[order]


class GBGBBoxHeadMixin:
    """Adds the ``gbg`` test option to an MMDet :class:`BBoxHead` (put it first in the bases)."""

    def _predict_by_feat_single(self,
                                roi: Tensor,
                                cls_score: Tensor,
                                bbox_pred: Tensor,
                                img_meta: dict,
                                rescale: bool = False,
                                rcnn_test_cfg: Optional[ConfigDict] = None) -> InstanceData:
        gbg = None if rcnn_test_cfg is None else rcnn_test_cfg.get('gbg', None)
        if gbg is None or roi.shape[0] == 0 or self.custom_cls_channels:
            if gbg is not None and self.custom_cls_channels:
                raise NotImplementedError('GBG needs softmax scores (no custom cls channels)')
            return super()._predict_by_feat_single(roi, cls_score, bbox_pred, img_meta,
                                                   rescale, rcnn_test_cfg)
        # rcnn_test_cfg=None: MMDet's raw decoded (and rescaled) boxes and scores, no NMS
        raw = super()._predict_by_feat_single(roi, cls_score, bbox_pred, img_meta, rescale, None)
        bboxes, scores, labels = gbg_multiclass(
            raw.bboxes, raw.scores, dict(gbg),
            score_thr=rcnn_test_cfg.get('score_thr', 0.0),
            max_per_img=rcnn_test_cfg.get('max_per_img', -1))
        results = InstanceData()
        results.bboxes = bboxes
        results.scores = scores
        results.labels = labels
        return results


@MODELS.register_module()
class GBGShared2FCBBoxHead(GBGBBoxHeadMixin, Shared2FCBBoxHead):
    """MMDet's ``Shared2FCBBoxHead`` (Faster R-CNN's box head) with the GBG test option
    (``test_cfg.rcnn.gbg``); without it, identical to ``Shared2FCBBoxHead``."""
