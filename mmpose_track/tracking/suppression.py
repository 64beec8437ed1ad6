"""Duplicate suppression: OKS-NMS, IoU-NMS, pose-based NMS (TKMRNet) and greedy box generation
(OGN 3.1.1).

Every function returns the indices kept, sorted by descending score (numpy int64, or a torch
``long`` tensor on the input's device when a tensor was given). The pairwise overlap matrix is
computed once with broadcasting (on the input's device for tensors); the only python loop is the
sequential greedy selection over the kept candidates, never over all pairs.
"""
from typing import Optional

import numpy as np

from ._utils import is_tensor, split_keypoints, to_numpy, to_float, xp_of
from .similarity import bbox_areas, bbox_iou_matrix, bboxes_from_keypoints, oks_matrix

__all__ = ['nms_from_matrix', 'oks_nms', 'iou_nms', 'pose_nms', 'pose_nms_matrix',
           'greedy_box_generation']


def _ret(keep: np.ndarray, ref):
    if is_tensor(ref):
        import torch
        return torch.as_tensor(keep, dtype=torch.long, device=ref.device)
    return keep


def nms_from_matrix(scores, overlap, thr: float, strict: bool = True) -> np.ndarray:
    """Greedy NMS given a precomputed symmetric ``(N, N)`` overlap (or same-person) matrix.

    Candidates are visited by descending score; each kept one suppresses every remaining
    candidate with ``overlap > thr`` (``>=`` when ``strict=False``). Non-finite scores sort last.
    """
    scores = to_numpy(scores).reshape(-1)
    overlap = to_numpy(overlap)
    n = scores.shape[0]
    if overlap.shape != (n, n):
        raise ValueError(f'overlap must be ({n}, {n}), got {overlap.shape}')
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(-np.nan_to_num(scores, nan=-np.inf), kind='stable')
    hit = (overlap > thr) if strict else (overlap >= thr)
    suppressed = np.zeros(n, dtype=bool)
    keep = []
    for i in order:
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= hit[i]
    return np.asarray(keep, dtype=np.int64)


def oks_nms(keypoints,
            scores,
            thr: float = 0.9,
            areas=None,
            bboxes=None,
            sigmas=None,
            vis_thr: Optional[float] = None):
    """OKS-NMS (MMPose ``oks_nms``): drop poses whose OKS with a higher-scored kept pose is
    ``> thr``. Areas as in :func:`~mmpose_track.tracking.similarity.oks_matrix`."""
    oks = oks_matrix(keypoints, keypoints, areas, areas, bboxes, bboxes, sigmas, vis_thr)
    return _ret(nms_from_matrix(scores, oks, thr), keypoints)


def iou_nms(bboxes, scores, thr: float = 0.5):
    """Box NMS: drop boxes whose IoU with a higher-scored kept box is ``> thr``."""
    iou = bbox_iou_matrix(bboxes, bboxes)
    return _ret(nms_from_matrix(scores, iou, thr), bboxes)


def pose_nms_matrix(keypoints,
                    dist_thr: Optional[float] = None,
                    dist_ratio: float = 0.1,
                    bboxes=None,
                    vis_thr: Optional[float] = None):
    """Fraction of coinciding joints between every two poses, ``(N, N)`` (TKMRNet pNMS).

    Two joints of the same type coincide when their distance is ``<= dist_thr`` pixels, or, when
    ``dist_thr`` is None, ``<= dist_ratio · sqrt(mean box area of the pair)`` (scale-aware; the
    paper does not give its threshold). The fraction is taken over the joints valid in both poses
    (finite, and scored ``> vis_thr`` when given); a pair with none has fraction 0.
    """
    xy, sc = split_keypoints(keypoints)
    xp = xp_of(xy)
    dx = xy[:, None, :, 0] - xy[None, :, :, 0]
    dy = xy[:, None, :, 1] - xy[None, :, :, 1]
    d = (dx * dx + dy * dy)**0.5  # (N, N, K)
    valid = xp.isfinite(d)
    if vis_thr is not None:
        v = sc > vis_thr
        valid = valid & v[:, None, :] & v[None, :, :]
    if dist_thr is None:
        if bboxes is None:
            bboxes = bboxes_from_keypoints(keypoints)
        size = bbox_areas(bboxes)**0.5
        thr = (size[:, None] + size[None, :]) * (0.5 * dist_ratio)
        close = d <= thr[..., None]
    else:
        close = d <= dist_thr
    close = close & valid
    n = valid.sum(-1)
    if xp is np:
        return close.sum(-1) / np.maximum(n, 1)
    return close.sum(-1).to(xy.dtype) / n.clamp(min=1).to(xy.dtype)


def pose_nms(keypoints,
             scores,
             dist_thr: Optional[float] = None,
             dist_ratio: float = 0.1,
             frac_thr: float = 0.5,
             bboxes=None,
             vis_thr: Optional[float] = None):
    """Pose-based NMS (TKMRNet, Sec. 4 "pNMS", after Fang et al.'s parametric pose NMS).

    Two detections are the same person when *more than* ``frac_thr`` (0.5) of their keypoint
    pairs lie within the distance threshold (:func:`pose_nms_matrix`); the higher-scored one is
    kept. Unlike box NMS it keeps two overlapping people whose joints are apart.
    """
    frac = pose_nms_matrix(keypoints, dist_thr, dist_ratio, bboxes, vis_thr)
    return _ret(nms_from_matrix(scores, frac, frac_thr), keypoints)


def greedy_box_generation(bboxes,
                          scores,
                          score_thr: float = 0.8,
                          egt_iou_thr: float = 0.5,
                          group_iou_thr: float = 0.7,
                          top_n: int = 4,
                          min_size: float = 0.0):
    """Greedy Box Generation (OGN, Zhang et al. 2019, Sec. 3.1.1), an alternative to NMS.

    1. drop boxes with non-positive area or a side ``< min_size``;
    2. boxes with ``score > score_thr`` (0.8) are the *equivalent ground truth* (EGT);
    3. boxes with ``IoU < egt_iou_thr`` (0.5) to every EGT are eliminated (no EGT: nothing kept);
    4. the rest are grouped at ``IoU >= group_iou_thr`` (0.7) and the ``top_n`` (4) highest-scored
       boxes of each group are kept.

    Grouping (step 4) is greedy like NMS: the highest-scored ungrouped box opens a group that takes
    every ungrouped box with IoU >= 0.7 *to it*; the paper's "IoU >= 0.7 with each other" is thus
    relaxed to "with the group's best box" (one vectorised row per group, no loop over pairs).
    Redundant, lower-scored but possibly better-localised boxes survive (NMS would drop them);
    pose estimation and OKS/IoU NMS on poses come after.
    """
    b = to_float(bboxes)
    s = to_numpy(scores).reshape(-1)
    n = s.shape[0]
    if n == 0:
        return _ret(np.zeros(0, dtype=np.int64), bboxes)
    bn = to_numpy(b)
    w = bn[:, 2] - bn[:, 0]
    h = bn[:, 3] - bn[:, 1]
    ok = (np.isfinite(bn).all(1) & (w > 0) & (h > 0) & (np.minimum(w, h) >= min_size)
          & np.isfinite(s))
    iou = to_numpy(bbox_iou_matrix(b, b))
    egt = ok & (s > score_thr)
    if not egt.any():
        return _ret(np.zeros(0, dtype=np.int64), bboxes)
    cand = ok & (egt | (iou[:, egt] >= egt_iou_thr).any(1))
    order = np.argsort(-np.where(cand, s, -np.inf), kind='stable')[:int(cand.sum())]
    free = cand.copy()
    keep = []
    for leader in order:
        if not free[leader]:
            continue
        members = order[free[order] & (iou[leader, order] >= group_iou_thr)]  # score-sorted
        if members[0] != leader:
            members = np.concatenate([[leader], members[members != leader]])
        keep.append(members[:top_n])
        free[members] = False
    keep = np.concatenate(keep)
    keep = keep[np.argsort(-s[keep], kind='stable')].astype(np.int64)
    return _ret(keep, bboxes)


def person_scores(keypoint_scores, bbox_scores=None, kpt_thr: float = 0.2) -> np.ndarray:
    """Final person scores ``box score x pose score``, ``(N,)`` (CPN; OGN Sec. 4.1).

    The pose score is CPN's / MMPose's rescoring: the mean of the keypoint scores above
    ``kpt_thr`` (0 when none is). ``bbox_scores`` default to 1.
    """
    s = to_numpy(keypoint_scores).astype(np.float64)
    s = s.reshape(s.shape[0], -1)
    valid = s > kpt_thr
    pose = np.where(valid, s, 0.).sum(1) / np.maximum(valid.sum(1), 1)
    box = np.ones(len(s)) if bbox_scores is None else to_numpy(bbox_scores).astype(np.float64)
    return (pose * box.reshape(-1)).astype(np.float32)


def suppress_poses(keypoints,
                   keypoint_scores,
                   bboxes=None,
                   bbox_scores=None,
                   steps=(dict(type='iou', thr=0.6), dict(type='oks', thr=0.75)),
                   kpt_thr: float = 0.2,
                   sigmas: Optional[np.ndarray] = None) -> np.ndarray:
    """Suppress duplicate people of one frame; indices kept, by descending final score.

    Scores people by :func:`person_scores`, then applies each step of ``steps`` to the survivors
    of the previous one: ``dict(type='iou', thr=...)`` (boxes), ``dict(type='oks', thr=...)``
    (poses, areas from the boxes) or ``dict(type='pose', frac_thr=0.5, dist_ratio=0.1)``
    (TKMRNet's pNMS, :func:`pose_nms`; optional ``dist_thr``, ``vis_thr``). The default is OGN's test-time post-processing (Sec. 4.1:
    "NMS based on IoU = 0.6 and OKS = 0.75"); top-down baselines use ``[dict(type='oks',
    thr=0.9)]`` as MMPose's evaluation does.

    Args:
        keypoints: ``(N, K, 2)`` pixels; keypoint_scores: ``(N, K)``; bboxes: ``(N, 4)``
            x1y1x2y2 or None (derived from the keypoints); bbox_scores: ``(N,)`` or None.
    """
    kpts = to_numpy(keypoints).astype(np.float32)[..., :2]
    n = kpts.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    ks = to_numpy(keypoint_scores).astype(np.float32).reshape(n, -1)
    scores = person_scores(ks, bbox_scores, kpt_thr)
    boxes = (bboxes_from_keypoints(np.concatenate([kpts, ks[..., None]], -1))
             if bboxes is None else to_numpy(bboxes).astype(np.float32).reshape(n, 4))
    keep = np.arange(n, dtype=np.int64)
    for step in ([steps] if isinstance(steps, dict) else steps):
        if keep.size < 2:
            break
        if step['type'] == 'iou':
            sub = iou_nms(boxes[keep], scores[keep], thr=step['thr'])
        elif step['type'] == 'oks':
            k3 = np.concatenate([kpts[keep], ks[keep, :, None]], -1)
            sub = oks_nms(k3, scores[keep], thr=step['thr'], bboxes=boxes[keep], sigmas=sigmas)
        elif step['type'] == 'pose':  # TKMRNet's pNMS
            k3 = np.concatenate([kpts[keep], ks[keep, :, None]], -1)
            sub = pose_nms(k3, scores[keep], dist_thr=step.get('dist_thr'),
                           dist_ratio=step.get('dist_ratio', 0.1),
                           frac_thr=step.get('frac_thr', 0.5), bboxes=boxes[keep],
                           vis_thr=step.get('vis_thr'))
        else:
            raise ValueError(f"unknown suppression step {step!r}: type must be 'iou', 'oks' or "
                             "'pose'")
        keep = keep[np.asarray(sub, dtype=np.int64)]
    return keep[np.argsort(-scores[keep], kind='stable')].astype(np.int64)
