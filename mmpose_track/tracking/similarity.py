"""Pairwise similarities between people of two frames (numpy arrays or torch tensors).

All functions return an ``(N, M)`` matrix between ``N`` people ``a`` (usually the current frame)
and ``M`` people ``b`` (usually the tracks); tensors in give tensors out on the same device.
Keypoints are ``(N, K, 3)`` (x, y, score) or ``(N, K, 2)``; boxes are ``x1, y1, x2, y2`` pixels.

Conventions for bad input (documented, tested):

* non-finite keypoint coordinates count as missing joints (they neither help nor hurt OKS);
* boxes with ``x2 < x1`` or ``y2 < y1`` have zero area; zero-area or non-finite boxes have IoU 0
  with everything;
* an OKS scale (area) that is not positive falls back to the keypoint extent, and is floored at
  1 px² so that OKS never divides by zero.
"""
from typing import Optional

import numpy as np

from ._utils import (COCO_SIGMAS, EPS, as_like, clamp_min, finite_or, is_tensor, split_keypoints,
                     to_float, xp_of)

__all__ = [
    'bboxes_from_keypoints', 'bbox_areas', 'keypoint_areas', 'bbox_iou_matrix',
    'keypoint_oks_matrix', 'oks_matrix', 'embedding_distance', 'tie_smoothness',
    'keypoint_matching_similarity', 'valid_joints'
]


def valid_joints(keypoints, score_thr: Optional[float] = None):
    """``(N, K)`` bool: finite coordinates and (when ``score_thr`` is given) ``score > thr``."""
    xy, scores = split_keypoints(keypoints)
    xp = xp_of(keypoints)
    valid = xp.isfinite(xy).all(-1)
    if score_thr is not None:
        valid = valid & (scores > score_thr)
    return valid


def bboxes_from_keypoints(keypoints, score_thr: Optional[float] = 0.0):
    """Tight ``x1y1x2y2`` boxes around the valid joints of each pose, ``(N, 4)``.

    A joint is valid when its coordinates are finite and its score is ``> score_thr``
    (``None``: all finite joints). When a pose has no valid joint, all finite joints are used;
    a pose without any finite joint gets the box ``[0, 0, 0, 0]`` (zero area).
    """
    xy, _ = split_keypoints(keypoints)
    xp = xp_of(keypoints)
    finite = xp.isfinite(xy).all(-1)
    valid = valid_joints(keypoints, score_thr) if score_thr is not None else finite
    none_valid = ~valid.any(-1)
    valid = xp.where(none_valid[:, None], finite, valid)
    has_any = valid.any(-1)
    m = valid[..., None]
    inf = float('inf')
    if is_tensor(xy):
        lo = xp.where(m, xy, xp.full_like(xy, inf)).amin(1)
        hi = xp.where(m, xy, xp.full_like(xy, -inf)).amax(1)
        boxes = xp.cat([lo, hi], -1)
        return xp.where(has_any[:, None], boxes, xp.zeros_like(boxes))
    if xy.shape[1] == 0:
        return np.zeros((xy.shape[0], 4))
    lo = np.where(m, xy, inf).min(1)
    hi = np.where(m, xy, -inf).max(1)
    boxes = np.concatenate([lo, hi], -1)
    return np.where(has_any[:, None], boxes, 0.0)


def bbox_areas(bboxes):
    """Areas of ``x1y1x2y2`` boxes, ``(N,)``; inverted or non-finite boxes have area 0."""
    bboxes = to_float(bboxes)
    w = clamp_min(bboxes[..., 2] - bboxes[..., 0], 0.0)
    h = clamp_min(bboxes[..., 3] - bboxes[..., 1], 0.0)
    return finite_or(w * h, 0.0)


def keypoint_areas(keypoints, score_thr: Optional[float] = 0.0):
    """Area of the tight box around the valid joints (MMPose 0.x ``_get_area`` without bbox)."""
    return bbox_areas(bboxes_from_keypoints(keypoints, score_thr))


def bbox_iou_matrix(bboxes_a, bboxes_b):
    """IoU between two sets of ``x1y1x2y2`` boxes, ``(N, M)``.

    Vectorised with broadcasting. Zero-area, inverted or non-finite boxes give IoU 0.
    """
    a = to_float(bboxes_a)
    b = to_float(bboxes_b)
    xp = xp_of(a, b)
    if is_tensor(a) or is_tensor(b):
        ref = a if is_tensor(a) else b
        a, b = as_like(a, ref) if not is_tensor(a) else a, as_like(b, ref) if not is_tensor(b) else b
    area_a = bbox_areas(a)
    area_b = bbox_areas(b)
    iw = clamp_min(xp.minimum(a[:, None, 2], b[None, :, 2]) - xp.maximum(a[:, None, 0], b[None, :, 0]),
                   0.0)
    ih = clamp_min(xp.minimum(a[:, None, 3], b[None, :, 3]) - xp.maximum(a[:, None, 1], b[None, :, 1]),
                   0.0)
    inter = iw * ih
    union = area_a[:, None] + area_b[None, :] - inter
    iou = inter / clamp_min(union, EPS)
    # zero-area boxes: inter = 0 -> 0; NaN boxes -> 0
    return finite_or(iou, 0.0)


def _resolve_areas(keypoints, areas, bboxes):
    """OKS scale per person: ``areas`` if given, else box area, else keypoint extent; >= 1."""
    if areas is None:
        if bboxes is not None:
            areas = bbox_areas(bboxes)
            kp_area = keypoint_areas(keypoints)
            if is_tensor(areas):
                kp_area = kp_area if is_tensor(kp_area) else as_like(kp_area, areas)
            areas = xp_of(areas).where(areas > 0, areas, kp_area)
        else:
            areas = keypoint_areas(keypoints)
    else:
        areas = to_float(areas)
    return clamp_min(finite_or(areas, 1.0), 1.0)


def _inv_two_vars(sigmas, num_keypoints: int) -> np.ndarray:
    if sigmas is None:
        if num_keypoints != len(COCO_SIGMAS):
            raise ValueError(f'default COCO sigmas need K=17 keypoints, got K={num_keypoints}; '
                             'pass sigmas')
        sigmas = COCO_SIGMAS
    sigmas = np.asarray(sigmas, dtype=np.float64)
    if sigmas.shape != (num_keypoints, ):
        raise ValueError(f'sigmas must have shape ({num_keypoints},), got {sigmas.shape}')
    return 1.0 / (2.0 * (2.0 * sigmas)**2)


def keypoint_oks_matrix(keypoints_a,
                        keypoints_b,
                        areas_a=None,
                        areas_b=None,
                        bboxes_a=None,
                        bboxes_b=None,
                        sigmas=None):
    """Per-keypoint OKS terms ``exp(-d² / (2 s² k²))``, ``(N, M, K)``, and the joint-pair mask.

    ``s²`` is the mean of the two areas (MMPose ``oks_iou``: ``(a_g + a_d) / 2``), ``k = 2σ``.
    Joint pairs with a non-finite coordinate get 0 and ``False`` in the returned mask.
    This is also the default per-keypoint similarity ``G_k`` for TKMRNet Eq. 5.

    Returns:
        tuple: ``sim (N, M, K)`` and ``valid (N, M, K)`` (bool).
    """
    xy_a, _ = split_keypoints(keypoints_a)
    xy_b, _ = split_keypoints(keypoints_b)
    xp = xp_of(xy_a, xy_b)
    if xp is not np:
        ref = xy_a if is_tensor(xy_a) else xy_b
        xy_a = xy_a if is_tensor(xy_a) else as_like(xy_a, ref)
        xy_b = xy_b if is_tensor(xy_b) else as_like(xy_b, ref)
    K = xy_a.shape[1]
    if xy_b.shape[1] != K:
        raise ValueError(f'keypoint counts differ: {K} vs {xy_b.shape[1]}')
    inv = as_like(_inv_two_vars(sigmas, K), xy_a)
    sa = _resolve_areas(keypoints_a, areas_a, bboxes_a)
    sb = _resolve_areas(keypoints_b, areas_b, bboxes_b)
    if xp is not np:
        sa, sb = as_like(sa, xy_a) if not is_tensor(sa) else sa, as_like(sb, xy_a) if not is_tensor(
            sb) else sb
    scale = (sa[:, None] + sb[None, :]) * 0.5 + EPS
    dx = xy_a[:, None, :, 0] - xy_b[None, :, :, 0]
    dy = xy_a[:, None, :, 1] - xy_b[None, :, :, 1]
    e = (dx * dx + dy * dy) * inv / scale[..., None]
    sim = xp.exp(-e)
    valid = xp.isfinite(sim)
    sim = xp.where(valid, sim, xp.zeros_like(sim))
    return sim, valid


def oks_matrix(keypoints_a,
               keypoints_b,
               areas_a=None,
               areas_b=None,
               bboxes_a=None,
               bboxes_b=None,
               sigmas=None,
               vis_thr: Optional[float] = None):
    """Object Keypoint Similarity between two sets of poses, ``(N, M)``.

    ``OKS = mean_k exp(-d_k² / (2 s² (2σ_k)²))`` with ``s² = (area_a + area_b) / 2``, exactly as
    MMPose's ``oks_iou`` (used by ``_track_by_oks`` in MMPose 0.x), broadcast over all pairs.
    The area of a person is ``areas`` if given, else the area of its box, else the area of the
    tight box around its joints (MMPose 0.x ``_get_area``), floored at 1 px².

    ``vis_thr``: when given, only joints scored ``> vis_thr`` in *both* poses are averaged (this is
    what ``oks_iou(vis_thr=...)`` intends; its implementation's ``list and list`` keeps only the
    second mask). Joints with non-finite coordinates are always left out; a pair with no joint left
    has OKS 0.
    """
    sim, valid = keypoint_oks_matrix(keypoints_a, keypoints_b, areas_a, areas_b, bboxes_a, bboxes_b,
                                     sigmas)
    xp = xp_of(sim)
    if vis_thr is not None:
        _, sc_a = split_keypoints(keypoints_a)
        _, sc_b = split_keypoints(keypoints_b)
        if xp is not np:
            sc_a = sc_a if is_tensor(sc_a) else as_like(sc_a, sim)
            sc_b = sc_b if is_tensor(sc_b) else as_like(sc_b, sim)
        valid = valid & (sc_a[:, None, :] > vis_thr) & (sc_b[None, :, :] > vis_thr)
        sim = xp.where(valid, sim, xp.zeros_like(sim))
    n = valid.sum(-1)
    if xp is np:
        return sim.sum(-1) / np.maximum(n, 1)
    return sim.sum(-1) / n.clamp(min=1).to(sim.dtype)


def embedding_distance(embeddings_a,
                       embeddings_b,
                       squared: bool = False,
                       normalize: bool = False):
    """Euclidean (L2) distance between embeddings, ``(N, M)``.

    ST-Embed's human-embedding term is ``Ψ_HE = ||H_k − H_k'||²₂`` (``squared=True``); OGN uses
    the Euclidean distance of re-identification features. ``normalize`` L2-normalises the
    embeddings first (distances then lie in ``[0, 2]``). Non-finite distances become ``inf``.
    """
    a = to_float(embeddings_a)
    b = to_float(embeddings_b)
    xp = xp_of(a, b)
    if xp is not np:
        ref = a if is_tensor(a) else b
        a = a if is_tensor(a) else as_like(a, ref)
        b = b if is_tensor(b) else as_like(b, ref)
    a = a.reshape(a.shape[0], -1)
    b = b.reshape(b.shape[0], -1)
    if normalize:
        a = a / clamp_min(((a * a).sum(-1, keepdims=True) if xp is np else
                           (a * a).sum(-1, keepdim=True))**0.5, 1e-12)
        b = b / clamp_min(((b * b).sum(-1, keepdims=True) if xp is np else
                           (b * b).sum(-1, keepdim=True))**0.5, 1e-12)
    # |a|² + |b|² − 2ab (one GEMM instead of an (N, M, D) difference), clamped at 0
    if xp is np:
        d2 = (a * a).sum(-1)[:, None] + (b * b).sum(-1)[None, :] - 2.0 * (a @ b.T)
        d2 = np.maximum(d2, 0.0)
    else:
        d2 = ((a * a).sum(-1)[:, None] + (b * b).sum(-1)[None, :] - 2.0 * (a @ b.T)).clamp(min=0)
    out = d2 if squared else d2**0.5
    return finite_or(out, float('inf'))


def tie_smoothness(tie_a,
                   sie_b,
                   tie_backward_b=None,
                   sie_a=None,
                   valid_a=None,
                   valid_b=None):
    """ST-Embed temporal smoothness ``Ψ_TIE`` (Jin et al. 2019, Eq. 9), ``(N, M)``; lower = closer.

    ``Ψ_TIE(k, k') = 1/(2J) Σ_j ( ||T'(p^{t-1}_{j,k'}) − S^t(p^t_{j,k})||² +
    ||T(p^t_{j,k}) − S^{t-1}(p^{t-1}_{j,k'})||² )``

    Args:
        tie_a: forward TIE ``T`` sampled at the joints of the ``N`` current people, ``(N, J, D)``
            (the propagated human centre of the person in frame ``t−1``).
        sie_b: SIE ``S^{t-1}`` sampled at the joints of the ``M`` previous people, ``(M, J, D)``.
        tie_backward_b: backward TIE ``T'`` sampled at the joints of the previous people,
            ``(M, J, D)``; ``None`` drops the backward term (the forward term is then averaged
            over ``J`` instead of ``2J``).
        sie_a: SIE ``S^t`` at the current people's joints, ``(N, J, D)``; required with
            ``tie_backward_b``.
        valid_a, valid_b: ``(N, J)`` / ``(M, J)`` joint masks; joint ``j`` is used for a pair
            only when valid in both people (a pair with none gets ``inf``).
    """
    a = to_float(tie_a)
    sb = to_float(sie_b)
    xp = xp_of(a, sb, tie_backward_b, sie_a)
    ref = a if is_tensor(a) else sb
    cast = (lambda x: x if (x is None or is_tensor(x)) else as_like(x, ref)) if xp is not np else \
        (lambda x: x if x is None else to_float(x))
    a, sb, tb, sa = cast(a), cast(sb), cast(tie_backward_b), cast(sie_a)
    if tb is not None and sa is None:
        raise ValueError('tie_smoothness: the backward term needs sie_a (S^t at current joints)')
    a, sb = (x[..., None] if x.ndim == 2 else x for x in (a, sb))
    if tb is not None:
        tb, sa = (x[..., None] if x.ndim == 2 else x for x in (tb, sa))
    N, J = a.shape[:2]
    M = sb.shape[0]
    va = xp.isfinite(a).all(-1)
    vb = xp.isfinite(sb).all(-1)
    if tb is not None:
        va = va & xp.isfinite(sa).all(-1)
        vb = vb & xp.isfinite(tb).all(-1)
    if valid_a is not None:
        va = va & (cast(valid_a) > 0)
    if valid_b is not None:
        vb = vb & (cast(valid_b) > 0)
    fa = va.to(a.dtype) if xp is not np else va.astype(np.float64)
    fb = vb.to(a.dtype) if xp is not np else vb.astype(np.float64)
    zero = (lambda x, v: xp.where(v[..., None], x, xp.zeros_like(x)))

    def masked_sq_dist(x, y):  # Σ_j v_nj v_mj ||x_nj − y_mj||² via GEMMs, (N, M)
        x0, y0 = zero(x, va), zero(y, vb)
        xx = (x0 * x0).sum(-1)  # (N, J)
        yy = (y0 * y0).sum(-1)  # (M, J)
        cross = x0.reshape(N, -1) @ y0.reshape(M, -1).T
        return xx @ fb.T + fa @ yy.T - 2.0 * cross

    total = masked_sq_dist(a, sb)
    terms = 1
    if tb is not None:
        total = total + masked_sq_dist(sa, tb)
        terms = 2
    n = fa @ fb.T
    total = clamp_min(total, 0.0)
    if xp is np:
        out = total / (terms * np.maximum(n, 1))
        return np.where(n > 0, out, np.inf)
    out = total / (terms * n.clamp(min=1))
    return xp.where(n > 0, out, xp.full_like(out, float('inf')))


def keypoint_matching_similarity(bboxes_a,
                                 bboxes_b,
                                 keypoint_similarity,
                                 iou_thr: float = 0.1):
    """TKMRNet pose similarity (Zhou et al. 2020, Eq. 5), ``(N, M)``.

    ``w_ij = I(IoU(P_i, P_j) >= iou_thr) · Σ_k G_k(f_i^k, f_j^k)`` with the per-keypoint
    similarities ``G_k`` given by the caller as ``keypoint_similarity`` ``(N, M, K)`` (e.g. the
    keypoint matching module's probabilities, or :func:`keypoint_oks_matrix` as a geometric
    stand-in). Non-finite ``G_k`` values count as 0.
    """
    iou = bbox_iou_matrix(bboxes_a, bboxes_b)
    g = to_float(keypoint_similarity)
    xp = xp_of(iou, g)
    if xp is not np:
        ref = iou if is_tensor(iou) else g
        iou = iou if is_tensor(iou) else as_like(iou, ref)
        g = g if is_tensor(g) else as_like(g, ref)
    if tuple(g.shape[:2]) != tuple(iou.shape):
        raise ValueError(f'keypoint_similarity must be (N, M, K) with (N, M)={tuple(iou.shape)}, '
                         f'got {tuple(g.shape)}')
    total = finite_or(g, 0.0).sum(-1)
    return xp.where(iou >= iou_thr, total, xp.zeros_like(total))
