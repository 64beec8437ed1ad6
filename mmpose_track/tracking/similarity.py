"""Pairwise similarities between people of two frames (numpy arrays or torch tensors).

All functions return an ``(N, M)`` matrix between ``N`` people ``a`` (usually the current frame)
and ``M`` people ``b`` (usually the tracks); tensors in give tensors out on the same device.
Keypoints are ``(N, K, 3)`` (x, y, score) or ``(N, K, 2)``; boxes are ``x1, y1, x2, y2`` pixels.

One implementation of each quantity, used by the whole package (trackers, suppression, clip
merging, path search, datasets):

* IoU: :func:`bbox_iou_matrix`;
* OKS: the kernel :func:`keypoint_oks_terms` (per-keypoint terms of aligned pose pairs), reduced
  by :func:`oks_matrix_prepared` (checked inputs: the trackers' hot path) behind
  :func:`oks_matrix` (any inputs: resolves areas and sigmas) and :func:`keypoint_oks_matrix`
  (the ``(N, M, K)`` terms); sigmas default to the PoseTrack18 (= COCO) sigmas of
  :mod:`mmpose_track.structures.posetrack18_format` (pass the dataset metainfo's ``sigmas``
  for other keypoint sets).

Conventions for bad input (documented, tested):

* non-finite keypoint coordinates count as missing joints (they neither help nor hurt OKS);
* boxes with ``x2 < x1`` or ``y2 < y1`` have zero area; zero-area or non-finite boxes have IoU 0
  with everything;
* an OKS scale (area) that is not positive falls back to the keypoint extent, and is floored at
  1 px² so that OKS never divides by zero.
"""
from typing import Optional

import numpy as np

from mmpose_track.structures.posetrack18_format import NUM_KEYPOINTS, POSETRACK18_SIGMAS
from ._utils import (EPS, as_like, clamp_min, finite_or, is_tensor, split_keypoints, to_float,
                     to_numpy, xp_of)

__all__ = [
    'bboxes_from_keypoints', 'bbox_areas', 'keypoint_areas', 'bbox_iou_matrix', 'oks_inv_two_var',
    'keypoint_oks_terms', 'oks_matrix_prepared', 'keypoint_oks_matrix', 'oks_matrix',
    'embedding_distance', 'tie_smoothness', 'keypoint_matching_similarity', 'valid_joints'
]


def valid_joints(keypoints, score_thr: Optional[float] = None):
    """``(N, K)`` bool: finite coordinates and (when ``score_thr`` is given) ``score > thr``."""
    xy, scores = split_keypoints(keypoints)
    xp = xp_of(keypoints)
    if is_tensor(xy):
        valid = xp.isfinite(xy).all(-1)
    else:  # per coordinate: numpy reduces an axis of 2 slowly
        valid = np.isfinite(xy[..., 0]) & np.isfinite(xy[..., 1])
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
    finite = valid_joints(keypoints, None)
    valid = valid_joints(keypoints, score_thr) if score_thr is not None else finite
    none_valid = ~valid.any(-1)
    valid = xp.where(none_valid[:, None], finite, valid)
    has_any = valid.any(-1)
    inf = float('inf')
    if is_tensor(xy):
        m = valid[..., None]
        lo = xp.where(m, xy, xp.full_like(xy, inf)).amin(1)
        hi = xp.where(m, xy, xp.full_like(xy, -inf)).amax(1)
        boxes = xp.cat([lo, hi], -1)
        return xp.where(has_any[:, None], boxes, xp.zeros_like(boxes))
    if xy.shape[1] == 0:
        return np.zeros((xy.shape[0], 4))
    x, y = xy[..., 0], xy[..., 1]
    boxes = np.stack([np.where(valid, x, inf).min(1), np.where(valid, y, inf).min(1),
                      np.where(valid, x, -inf).max(1), np.where(valid, y, -inf).max(1)], -1)
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
    """Intersection over union between two sets of ``x1y1x2y2`` boxes, ``(N, M)``.

    ``IoU = |A ∩ B| / |A ∪ B|`` (Detect-and-Track / OGN's IoU tracker; TKMRNet Eq. 5's gate),
    broadcast over all pairs. The one IoU of the package: numpy arrays (computed in float64) or
    torch tensors (tensors out, on the input's device and floating dtype).

    Args:
        bboxes_a: ``(N, 4)`` boxes ``x1, y1, x2, y2``.
        bboxes_b: ``(M, 4)`` boxes.

    Returns:
        ``(N, M)`` IoU in ``[0, 1]``. Zero-area, inverted or non-finite boxes give 0 (infinite
        coordinates may also raise numpy's "invalid value" ``RuntimeWarning``).
    """
    if is_tensor(bboxes_a) or is_tensor(bboxes_b):
        ref = bboxes_a if is_tensor(bboxes_a) else bboxes_b
        a = to_float(bboxes_a) if is_tensor(bboxes_a) else as_like(bboxes_a, ref)
        b = to_float(bboxes_b) if is_tensor(bboxes_b) else as_like(bboxes_b, ref)
        b = b.to(a.dtype)
        xp = xp_of(a)
    else:
        a = np.asarray(bboxes_a, dtype=np.float64)
        b = np.asarray(bboxes_b, dtype=np.float64)
        xp = np
    if a.ndim != 2 or a.shape[1] != 4 or b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f'boxes must be (N, 4) and (M, 4) x1y1x2y2, got {tuple(a.shape)} and '
                         f'{tuple(b.shape)}')
    # (N, M) planes, not (N, M, 2): numpy loops fast over a long last axis, slowly over 2
    iw = xp.minimum(a[:, None, 2], b[None, :, 2])
    iw -= xp.maximum(a[:, None, 0], b[None, :, 0])
    ih = xp.minimum(a[:, None, 3], b[None, :, 3])
    ih -= xp.maximum(a[:, None, 1], b[None, :, 1])
    if xp is np:  # in place; fmax: NaN -> 0
        np.fmax(iw, 0.0, out=iw)
        np.fmax(ih, 0.0, out=ih)
        area_a = np.fmax(a[:, 2] - a[:, 0], 0.0) * np.fmax(a[:, 3] - a[:, 1], 0.0)
        area_b = np.fmax(b[:, 2] - b[:, 0], 0.0) * np.fmax(b[:, 3] - b[:, 1], 0.0)
    else:
        iw, ih = iw.clamp(min=0), ih.clamp(min=0)
        area_a = (a[:, 2] - a[:, 0]).clamp(min=0) * (a[:, 3] - a[:, 1]).clamp(min=0)
        area_b = (b[:, 2] - b[:, 0]).clamp(min=0) * (b[:, 3] - b[:, 1]).clamp(min=0)
    inter = iw * ih
    union = area_a[:, None] + area_b[None, :]
    union -= inter
    if xp is not np:
        return finite_or(inter / union.clamp(min=EPS), 0.0)  # NaN / inf boxes -> 0
    np.maximum(union, EPS, out=union)
    inter /= union
    s = inter.sum()
    if s == s and s != np.inf:  # all finite (the usual case): no pass to clean
        return inter
    return np.where(np.isfinite(inter), inter, 0.0)  # NaN / inf boxes -> 0


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


def oks_inv_two_var(sigmas=None, num_keypoints: int = NUM_KEYPOINTS) -> np.ndarray:
    """``1 / (2 (2σ_k)²)`` per keypoint, ``(K,)``: the constant of the OKS exponent.

    Args:
        sigmas: per-keypoint OKS sigmas ``σ_k`` (the dataset metainfo's ``sigmas``); None: the
            PoseTrack18 (= COCO) sigmas of
            :data:`mmpose_track.structures.posetrack18_format.POSETRACK18_SIGMAS`.
        num_keypoints: ``K``; the sigmas must have this length.

    Returns:
        float64 ``(K,)``.
    """
    if sigmas is None:
        if num_keypoints != len(POSETRACK18_SIGMAS):
            raise ValueError(f'the default (PoseTrack18/COCO) sigmas need '
                             f'K={len(POSETRACK18_SIGMAS)} keypoints, got K={num_keypoints}; '
                             "pass sigmas (the dataset metainfo's sigmas)")
        sigmas = POSETRACK18_SIGMAS
    sigmas = np.asarray(to_numpy(sigmas), dtype=np.float64)
    if sigmas.shape != (num_keypoints, ):
        raise ValueError(f'sigmas must have shape ({num_keypoints},), got {sigmas.shape}')
    return 1.0 / (2.0 * (2.0 * sigmas)**2)


def keypoint_oks_terms(kpts_a, kpts_b, areas_a, areas_b, inv_two_var):
    """Per-keypoint OKS terms ``exp(−d_k² / (2 s² (2σ_k)²))`` of aligned pose pairs.

    ``s² = (area_a + area_b) / 2`` (MMPose ``oks_iou``), ``d_k`` the distance between joint ``k``
    of the two poses. The one OKS kernel: :func:`oks_matrix`, :func:`oks_matrix_prepared`,
    :func:`keypoint_oks_matrix` and the trackers' parts all call it. Inputs broadcast against
    each other: all pairs with ``kpts_a[:, None]``, ``kpts_b[None]``, ``areas_a[:, None]``,
    ``areas_b[None]``; listed pairs with ``kpts_a[ii]``, ``kpts_b[jj]``, ``areas_a[ii]``,
    ``areas_b[jj]``.

    Args:
        kpts_a, kpts_b: ``(..., K, 2|3)`` (only x, y are read), numpy float64 or tensors.
        areas_a, areas_b: ``(...)`` person areas (``> 0``).
        inv_two_var: ``(K,)`` from :func:`oks_inv_two_var`.

    Returns:
        ``(..., K)``; NaN where a coordinate of the pair is NaN.
    """
    d = kpts_a[..., :2] - kpts_b[..., :2]
    d *= d
    e = d[..., 0] + d[..., 1]
    e *= inv_two_var
    e *= (-2.0 / (areas_a + areas_b))[..., None]
    if type(e) is np.ndarray:
        return np.exp(e, out=e)
    return e.exp_()


def _box_gap_bound(kpts_a, kpts_b, areas_a, areas_b, inv_two_var, min_oks: float):
    """Pairs that can reach ``OKS > min_oks``: every joint of a pose lies in the box around its
    finite joints, so the gap ``g`` between two such boxes bounds every joint distance and
    ``OKS <= exp(−g² · min_k inv_k / s²)``. NaN extents (no finite joint) give False."""
    xa, xb = kpts_a[..., :2], kpts_b[..., :2]
    ea = np.concatenate([np.fmin.reduce(xa, axis=1), np.fmax.reduce(xa, axis=1)], 1)
    eb = np.concatenate([np.fmin.reduce(xb, axis=1), np.fmax.reduce(xb, axis=1)], 1)
    gx = np.maximum(np.maximum(ea[:, None, 0] - eb[None, :, 2], eb[None, :, 0] - ea[:, None, 2]), 0)
    gy = np.maximum(np.maximum(ea[:, None, 1] - eb[None, :, 3], eb[None, :, 1] - ea[:, None, 3]), 0)
    scale = 0.5 * (areas_a[:, None] + areas_b[None, :])
    return (gx * gx + gy * gy) * (inv_two_var.min() / scale) < -np.log(min_oks)


def _mean_terms(e, scores_a, scores_b, vis_thr):
    """Mean of the OKS terms ``e (..., K)`` over the joints valid in both poses (not NaN; scored
    ``> vis_thr`` in both when given: ``scores_*`` broadcast like ``e``); 0 for a pair with
    none."""
    if type(e) is np.ndarray:
        if vis_thr is None:
            s = e.sum(-1)
            if not np.isnan(s).any():
                return s * (1.0 / e.shape[-1])
            valid = ~np.isnan(e)
        else:
            valid = (scores_a > vis_thr) & (scores_b > vis_thr) & ~np.isnan(e)
        return np.where(valid, e, 0.0).sum(-1) / np.maximum(valid.sum(-1), 1)
    import torch
    valid = ~torch.isnan(e)
    if vis_thr is not None:
        valid = valid & (scores_a > vis_thr) & (scores_b > vis_thr)
    n = valid.sum(-1)
    return torch.where(valid, e, torch.zeros_like(e)).sum(-1) / n.clamp(min=1).to(e.dtype)


def oks_matrix_prepared(kpts_a, kpts_b, areas_a, areas_b, inv_two_var,
                        vis_thr: Optional[float] = None, min_oks: Optional[float] = None,
                        min_pairs_for_gating: int = 256):
    """OKS between two sets of poses whose inputs are already checked, ``(N, M)``.

    :func:`oks_matrix` resolves areas and sigmas and then calls this; trackers call it directly
    with their prepared memory (no re-checking per frame).

    Args:
        kpts_a, kpts_b: ``(N, K, 3)`` / ``(M, K, 3)`` float64 arrays (or tensors); a joint that is
            missing has NaN coordinates.
        areas_a, areas_b: ``(N,)`` / ``(M,)`` person areas, ``>= 1``.
        inv_two_var: ``(K,)`` from :func:`oks_inv_two_var`.
        vis_thr: average only over joints scored ``> vis_thr`` in both poses (None: all).
        min_oks: when given (``> 0``) and the matrix is large (``N·M >= min_pairs_for_gating``,
            numpy only), pairs that cannot reach ``OKS > min_oks`` are skipped and set to 0
            (exact for any matching with threshold ``min_oks``; the cost then grows with the
            number of nearby pairs, not ``N·M``).

    Returns:
        ``(N, M)`` OKS (numpy float64, or a tensor for tensor inputs).
    """
    n, m = len(kpts_a), len(kpts_b)
    if min_oks is None or min_oks <= 0 or n * m < min_pairs_for_gating or is_tensor(kpts_a):
        e = keypoint_oks_terms(kpts_a[:, None], kpts_b[None], areas_a[:, None], areas_b[None],
                               inv_two_var)
        if vis_thr is None:
            return _mean_terms(e, None, None, None)
        return _mean_terms(e, kpts_a[:, None, :, 2], kpts_b[None, :, :, 2], vis_thr)
    cand = _box_gap_bound(kpts_a, kpts_b, areas_a, areas_b, inv_two_var, min_oks)
    ii, jj = np.nonzero(cand)
    if len(ii) > 0.5 * n * m:
        return oks_matrix_prepared(kpts_a, kpts_b, areas_a, areas_b, inv_two_var, vis_thr)
    out = np.zeros((n, m))
    if len(ii):
        a, b = kpts_a[ii], kpts_b[jj]
        e = keypoint_oks_terms(a, b, areas_a[ii], areas_b[jj], inv_two_var)
        out[ii, jj] = _mean_terms(e, a[..., 2], b[..., 2], vis_thr)
    return out


def _prepare_oks_inputs(keypoints_a, keypoints_b, areas_a, areas_b, bboxes_a, bboxes_b, sigmas):
    """Checked float keypoints (non-finite coordinates -> NaN), areas (>= 1) and the
    ``inv_two_var`` of :func:`oks_inv_two_var`, numpy or (if any input is one) torch."""
    split_keypoints(keypoints_a)  # shape checks
    split_keypoints(keypoints_b)
    ka, kb = to_float(keypoints_a), to_float(keypoints_b)
    xp = xp_of(ka, kb)
    if xp is not np:
        ref = ka if is_tensor(ka) else kb
        ka = ka if is_tensor(ka) else as_like(ka, ref)
        kb = kb if is_tensor(kb) else as_like(kb, ref)
    K = ka.shape[1]
    if kb.shape[1] != K:
        raise ValueError(f'keypoint counts differ: {K} vs {kb.shape[1]}')
    inv = oks_inv_two_var(sigmas, K)
    sa = _resolve_areas(keypoints_a, areas_a, bboxes_a)
    sb = _resolve_areas(keypoints_b, areas_b, bboxes_b)
    out = []
    for k in (ka, kb):
        if k.shape[-1] == 2:  # no scores: every joint scores 1
            k = xp.cat([k, k[..., :1] * 0 + 1], -1) if xp is not np else \
                np.concatenate([k, np.ones(k.shape[:-1] + (1, ))], -1)
        fin = xp.isfinite(k[..., :2]).all(-1)
        if not bool(fin.all()):  # inf coordinates count as missing, like NaN
            k = k.clone() if xp is not np else k.copy()
            k[..., :2][~fin] = float('nan')
        out.append(k)
    if xp is not np:
        sa = (sa if is_tensor(sa) else as_like(sa, ka)).to(ka.dtype)
        sb = (sb if is_tensor(sb) else as_like(sb, ka)).to(ka.dtype)
        inv = as_like(inv, ka)
    return out[0], out[1], sa, sb, inv


def keypoint_oks_matrix(keypoints_a,
                        keypoints_b,
                        areas_a=None,
                        areas_b=None,
                        bboxes_a=None,
                        bboxes_b=None,
                        sigmas=None):
    """Per-keypoint OKS terms ``exp(-d² / (2 s² k²))``, ``(N, M, K)``, and the joint-pair mask.

    ``s²`` is the mean of the two areas (MMPose ``oks_iou``: ``(a_g + a_d) / 2``), ``k = 2σ``
    (:func:`keypoint_oks_terms`). Joint pairs with a non-finite coordinate get 0 and ``False`` in
    the returned mask. This is also the default per-keypoint similarity ``G_k`` for TKMRNet
    Eq. 5. Areas and sigmas as in :func:`oks_matrix`.

    Returns:
        tuple: ``sim (N, M, K)`` and ``valid (N, M, K)`` (bool).
    """
    ka, kb, sa, sb, inv = _prepare_oks_inputs(keypoints_a, keypoints_b, areas_a, areas_b,
                                              bboxes_a, bboxes_b, sigmas)
    sim = keypoint_oks_terms(ka[:, None], kb[None], sa[:, None], sb[None], inv)
    xp = xp_of(sim)
    valid = ~xp.isnan(sim)
    sim = xp.where(valid, sim, xp.zeros_like(sim))
    return sim, valid


def oks_matrix(keypoints_a,
               keypoints_b,
               areas_a=None,
               areas_b=None,
               bboxes_a=None,
               bboxes_b=None,
               sigmas=None,
               vis_thr: Optional[float] = None,
               min_oks: Optional[float] = None):
    """Object Keypoint Similarity between two sets of poses, ``(N, M)``.

    ``OKS = mean_k exp(-d_k² / (2 s² (2σ_k)²))`` with ``s² = (area_a + area_b) / 2``, exactly as
    MMPose's ``oks_iou`` (used by ``_track_by_oks`` in MMPose 0.x), broadcast over all pairs.
    The area of a person is ``areas`` if given, else the area of its box, else the area of the
    tight box around its joints (MMPose 0.x ``_get_area``), floored at 1 px².

    Args:
        keypoints_a, keypoints_b: ``(N, K, 2|3)`` / ``(M, K, 2|3)`` (x, y[, score]).
        areas_a, areas_b: ``(N,)`` / ``(M,)`` person areas, or None (see above).
        bboxes_a, bboxes_b: ``(N, 4)`` / ``(M, 4)`` x1y1x2y2 boxes for the areas, or None.
        sigmas: ``(K,)`` OKS sigmas (the dataset metainfo's); None: PoseTrack18 (= COCO).
        vis_thr: when given, only joints scored ``> vis_thr`` in *both* poses are averaged (this
            is what ``oks_iou(vis_thr=...)`` intends; its implementation's ``list and list``
            keeps only the second mask). Joints with non-finite coordinates are always left out;
            a pair with no joint left has OKS 0.
        min_oks: see :func:`oks_matrix_prepared` (values ``<= min_oks`` may come back as 0).

    Returns:
        ``(N, M)`` OKS (numpy float64, or a tensor when an input is one).
    """
    ka, kb, sa, sb, inv = _prepare_oks_inputs(keypoints_a, keypoints_b, areas_a, areas_b,
                                              bboxes_a, bboxes_b, sigmas)
    return oks_matrix_prepared(ka, kb, sa, sb, inv, vis_thr, min_oks)


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
