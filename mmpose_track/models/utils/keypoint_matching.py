"""Temporal keypoint matching and refinement of TKMRNet (Zhou et al. 2020, Sec. 3.2-3.3).

Plain functions that the TKMRNet heads and the tracker call (interfaces: ``notes/tkmrnet_spec.md``).
Coordinates are heatmap pixels ``(x, y)`` (input-space / stride); locations are int64 pixel
indices; a padded candidate has location ``(-1, -1)`` and score ``-inf``.

- :func:`heatmap_candidates`: local maxima of each joint's heatmap after NMS (Fig. 4; ``n = 16``
  candidates per joint in Sec. 3.3; ``n = 1`` is the arg-max of Eq. 1).
- :func:`gather_location_features`: the feature vector ``F(p)`` / ``H(l)`` at a location.
- :func:`keypoint_location_sets`, :func:`sample_keypoint_pairs`: keypoint pair sampling for the K
  classifiers ``G_k`` (Sec. 3.2, Fig. 4): ground truth first, positives : negatives = 1 : 4.
- :func:`temporal_context_aggregation`: Eq. 6.
- :func:`rescore_candidates`, :func:`candidate_heatmap_targets`, :func:`select_refined_keypoints`:
  the refinement's new responses, its sparse Eq. 2 targets, and the refined location (Eq. 1 over
  the candidates).
"""
from typing import NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    'candidate_subpixel_offsets',
    'heatmap_candidates', 'gather_location_features', 'keypoint_location_sets', 'KeypointPairs',
    'sample_keypoint_pairs', 'temporal_context_aggregation', 'rescore_candidates',
    'candidate_heatmap_targets', 'select_refined_keypoints'
]


def _shape(x) -> tuple:
    return tuple(x.shape)


# ----------------------------------------------------------------------------------------------
# 1. candidates
# ----------------------------------------------------------------------------------------------
def heatmap_candidates(heatmaps, num_candidates: int = 16, nms_kernel: int = 5):
    """Local-maxima candidates of each joint's heatmap after NMS (Sec. 3.2 Fig. 4, Sec. 3.3).

    A pixel is a local maximum when it equals the maximum of the ``nms_kernel x nms_kernel``
    window around it (max-pool NMS, stride 1, same padding; the paper does not give the window:
    5 is our default, sparse enough on 64x48 heatmaps with sigma 2-3). The maxima are sorted by
    response (descending; equal responses by row-major pixel index, so a plateau gives a
    deterministic order) and the first ``n`` kept. ``n = 16`` covers "most correct locations"
    (Sec. 3.3); ``n = 1`` is ``l* = argmax_l M^k(l)`` of Eq. 1 (the global maximum is always a
    local one). On a plateau every pixel of a flat window is a maximum (an all-zero heatmap gives
    its first ``n`` pixels in row-major order, score 0).

    Args:
        heatmaps: ``(..., K, H, W)`` numpy array or torch tensor (any leading dims).
        num_candidates: ``n >= 1``.
        nms_kernel: odd window size ``>= 1`` (1: every pixel is a candidate).

    Returns:
        tuple: ``locations (..., K, n, 2)`` int64 ``(x, y)`` heatmap pixels and ``scores
        (..., K, n)`` (the heatmap's float dtype; float32 for integer input), of the same kind
        as the input (numpy or torch, same device). Fewer than ``n`` maxima (heatmap smaller
        than ``n`` pixels, NaN values: never candidates) leave ``(-1, -1)`` / ``-inf`` padding.
    """
    is_np = not isinstance(heatmaps, Tensor)
    hm = torch.from_numpy(np.ascontiguousarray(heatmaps)) if is_np else heatmaps
    if hm.dim() < 3:
        raise ValueError(f'heatmap_candidates: heatmaps must be (..., K, H, W), got {_shape(hm)}')
    if int(num_candidates) < 1:
        raise ValueError(f'heatmap_candidates: num_candidates must be >= 1, got {num_candidates}')
    if int(nms_kernel) < 1 or int(nms_kernel) % 2 == 0:
        raise ValueError(f'heatmap_candidates: nms_kernel must be odd and >= 1, got {nms_kernel}')
    if not hm.is_floating_point():
        hm = hm.float()
    lead, (H, W) = tuple(hm.shape[:-2]), tuple(hm.shape[-2:])
    n = int(num_candidates)
    flat = hm.detach().reshape(-1, 1, H, W)
    neg_inf = torch.tensor(float('-inf'), dtype=flat.dtype, device=flat.device)
    flat = torch.where(torch.isnan(flat), neg_inf, flat)
    if H * W == 0 or flat.shape[0] == 0:
        loc = torch.full(lead + (n, 2), -1, dtype=torch.int64, device=hm.device)
        sc = torch.full(lead + (n, ), float('-inf'), dtype=hm.dtype, device=hm.device)
        return (loc.numpy(), sc.numpy()) if is_np else (loc, sc)
    k = int(nms_kernel)
    pooled = F.max_pool2d(flat, k, stride=1, padding=k // 2)
    keep = (flat == pooled) & (flat > neg_inf)
    s = torch.where(keep, flat, neg_inf).reshape(flat.shape[0], H * W)
    order = torch.sort(s, dim=1, descending=True, stable=True).indices[:, :n]
    sc = torch.gather(s, 1, order)
    if order.shape[1] < n:  # fewer pixels than candidates
        pad = n - order.shape[1]
        order = F.pad(order, (0, pad), value=0)
        sc = F.pad(sc, (0, pad), value=float('-inf'))
    valid = sc > neg_inf
    loc = torch.stack([order % W, order // W], -1)
    loc = torch.where(valid[..., None], loc, torch.full_like(loc, -1))
    loc = loc.reshape(lead + (n, 2))
    sc = sc.reshape(lead + (n, )).to(hm.dtype)
    return (loc.numpy(), sc.numpy()) if is_np else (loc, sc)


def candidate_subpixel_offsets(heatmaps, locations):
    """MMPose's quarter-pixel shift of heatmap maxima, for many candidates at once.

    The vectorised equivalent of :func:`mmpose.codecs.utils.refine_keypoints` (the
    ``MSRAHeatmap`` decoder's last step: move ``0.25`` px from the maximum towards the larger
    neighbour, along ``x`` when ``1 < x < W - 1``, along ``y`` when ``1 < y < H - 1``, the same
    conditions), applied to every candidate of every joint so that a refined keypoint
    (:class:`~mmpose_track.models.heads.DelayedKeypointRefiner`) is placed as the codec places
    the arg-max. MMPose's function loops over people and joints in Python; this one is one
    gather (tested equal to it).

    Args:
        heatmaps (Tensor): ``(B, K, H, W)``.
        locations (Tensor): ``(B, K, n, 2)`` int ``(x, y)`` heatmap pixels (``(-1, -1)``:
            padding, offset 0).

    Returns:
        Tensor: ``(B, K, n, 2)`` float offsets in ``{-0.25, 0, 0.25}``, add them to the
        locations.
    """
    if not isinstance(heatmaps, Tensor) or heatmaps.dim() != 4:
        raise ValueError(f'candidate_subpixel_offsets: heatmaps must be a (B, K, H, W) tensor, '
                         f'got {_shape(heatmaps)}')
    loc = torch.as_tensor(locations, device=heatmaps.device).long()
    B, K, H, W = heatmaps.shape
    if loc.dim() != 4 or tuple(loc.shape[:2]) != (B, K) or loc.shape[-1] != 2:
        raise ValueError(f'candidate_subpixel_offsets: locations must be (B={B}, K={K}, n, 2), '
                         f'got {_shape(loc)}')
    flat = heatmaps.reshape(B, K, H * W).float()
    x, y = loc[..., 0], loc[..., 1]

    def at(xx: Tensor, yy: Tensor) -> Tensor:
        idx = (yy.clamp(0, H - 1) * W + xx.clamp(0, W - 1)).reshape(B, K, -1)
        return torch.gather(flat, 2, idx).reshape(xx.shape)

    dx = torch.where((x > 1) & (x < W - 1) & (y > 0) & (y < H), at(x + 1, y) - at(x - 1, y),
                     torch.zeros((), device=flat.device))
    dy = torch.where((y > 1) & (y < H - 1) & (x > 0) & (x < W), at(x, y + 1) - at(x, y - 1),
                     torch.zeros((), device=flat.device))
    return torch.stack([dx.sign(), dy.sign()], -1) * 0.25


def gather_location_features(feature_maps: Tensor, locations) -> Tensor:
    """Feature vectors at pixel locations: ``F_{t,i}(p)`` (Sec. 3.2) and ``H_{t,i}(l)`` (Eq. 6).

    Args:
        feature_maps: ``(B, C, H, W)`` tensor (one map per person example).
        locations: ``(B, ..., 2)`` integer ``(x, y)`` heatmap pixels (tensor or array), e.g. the
            ``(B, K, n, 2)`` candidates of :func:`heatmap_candidates`.

    Returns:
        ``(B, ..., C)``; a location outside the map (padding ``(-1, -1)`` included) gives a
        zero vector (no gradient).
    """
    if not isinstance(feature_maps, Tensor) or feature_maps.dim() != 4:
        raise ValueError('gather_location_features: feature_maps must be a (B, C, H, W) tensor, '
                         f'got {getattr(feature_maps, "shape", type(feature_maps).__name__)}')
    loc = torch.as_tensor(locations, device=feature_maps.device)
    B, C, H, W = feature_maps.shape
    if loc.dim() < 2 or loc.shape[0] != B or loc.shape[-1] != 2:
        raise ValueError(f'gather_location_features: locations must be (B={B}, ..., 2), got '
                         f'{_shape(loc)}')
    loc = loc.long()
    x, y = loc[..., 0].reshape(B, -1), loc[..., 1].reshape(B, -1)
    inside = (x >= 0) & (x < W) & (y >= 0) & (y < H)
    idx = torch.where(inside, y * W + x, torch.zeros_like(x))  # (B, M)
    flat = feature_maps.reshape(B, C, H * W)
    out = torch.gather(flat, 2, idx[:, None, :].expand(B, C, idx.shape[1]))  # (B, C, M)
    out = out * inside[:, None, :].to(out.dtype)
    return out.transpose(1, 2).reshape(tuple(loc.shape[:-1]) + (C, ))


# ----------------------------------------------------------------------------------------------
# 2. keypoint pair sampling
# ----------------------------------------------------------------------------------------------
def _round_px(v: np.ndarray) -> np.ndarray:
    """Nearest pixel index, ``floor(v + 0.5)`` (non-finite -> -1)."""
    v = np.asarray(v, dtype=np.float64)
    out = np.floor(np.where(np.isfinite(v), v, -1.0) + 0.5)
    return out.astype(np.int64)


def keypoint_location_sets(gt_keypoints, candidates, heatmap_size: Sequence[int]):
    """Ground truth first, then the candidates: the locations sampled per joint (Fig. 4).

    Args:
        gt_keypoints: ``(P, K, 3)`` ``(x, y, v)`` in heatmap pixels (``v > 0``: labelled and
            visible; ``(P, K, 2)``: all visible).
        candidates: ``(P, K, n, 2)`` int ``(x, y)`` from :func:`heatmap_candidates`.
        heatmap_size: ``(W, H)``.

    Returns:
        tuple: ``locations (P, K, 1+n, 2)`` int64 and ``valid (P, K, 1+n)`` bool. Slot 0 (the
        ground truth, rounded to the nearest pixel) is valid when ``v > 0`` and inside the
        heatmap; slots ``1..n`` when the candidate is inside the heatmap (padding is not).
    """
    gt = np.asarray(gt_keypoints, dtype=np.float64)
    cand = np.asarray(candidates)
    if gt.ndim != 3 or gt.shape[-1] not in (2, 3):
        raise ValueError(f'keypoint_location_sets: gt_keypoints must be (P, K, 3), got {gt.shape}')
    if cand.ndim != 4 or cand.shape[:2] != gt.shape[:2] or cand.shape[-1] != 2:
        raise ValueError(f'keypoint_location_sets: candidates must be (P, K, n, 2) with (P, K)='
                         f'{gt.shape[:2]}, got {cand.shape}')
    W, H = int(heatmap_size[0]), int(heatmap_size[1])
    gt_loc = _round_px(gt[..., :2])
    vis = gt[..., 2] > 0 if gt.shape[-1] == 3 else np.ones(gt.shape[:2], bool)
    locs = np.concatenate([gt_loc[:, :, None], cand.astype(np.int64)], 2)
    inside = ((locs[..., 0] >= 0) & (locs[..., 0] < W) & (locs[..., 1] >= 0)
              & (locs[..., 1] < H))
    valid = inside.copy()
    valid[:, :, 0] &= vis
    locs = np.where(valid[..., None], locs, -1)
    return locs, valid


class KeypointPairs(NamedTuple):
    """Sampled keypoint location pairs (numpy, ``M`` pairs, positives first).

    ``person_a/person_b`` index the ``P`` person examples (``frame_a >= frame_b``), ``joint`` the
    classifier ``G_k``, ``slot_a/slot_b`` the ``1+n`` location sets of
    :func:`keypoint_location_sets` (0 = ground truth), ``loc_a/loc_b`` the ``(x, y)`` pixels,
    ``label`` 1 (same person) or 0.
    """
    person_a: np.ndarray
    person_b: np.ndarray
    joint: np.ndarray
    slot_a: np.ndarray
    slot_b: np.ndarray
    loc_a: np.ndarray
    loc_b: np.ndarray
    label: np.ndarray


def _empty_pairs() -> KeypointPairs:
    z = np.zeros(0, np.int64)
    return KeypointPairs(z, z.copy(), z.copy(), z.copy(), z.copy(), np.zeros((0, 2), np.int64),
                         np.zeros((0, 2), np.int64), z.copy())


def sample_keypoint_pairs(frame_ids,
                          track_ids,
                          gt_keypoints,
                          candidates,
                          heatmap_size: Sequence[int],
                          rng: np.random.Generator,
                          tau: int = 5,
                          neg_per_pos: int = 4,
                          max_positives: Optional[int] = None,
                          ignore_radius: float = 2.0,
                          same_frame: bool = True,
                          gt_negative_frac: float = 0.0) -> KeypointPairs:
    """Keypoint pair sampling for the K matching classifiers ``G_k`` (Sec. 3.2, Fig. 4).

    Person pairs ``(a, b)``, ``a != b``, of one video with ``|frame_a − frame_b| <= tau``
    ("for a person example in frame t, we collect some person examples from [t − τ, t + τ]"),
    ordered ``frame_a >= frame_b`` (Eq. 5's ``G_k(f_t, f_{t−1})``; within a frame, ``a > b``).
    For each joint ``k`` and each pair, the location pairs ``(slot_a, slot_b)`` over the two
    location sets of :func:`keypoint_location_sets` (ground truth first, then the candidates) are

    * positive (1): ``(0, 0)`` when the two examples have the same track id and the ground truth
      is valid in both ("only the ground-truth locations of a pair which have the same ID");
    * ignored: same track id and both locations within ``ignore_radius`` pixels of their own
      ground truth (a candidate on the ground-truth peak is the same keypoint; labelling it 0
      would contradict the positive; our addition — the paper labels "the other pairs" 0);
    * negative (0): every other pair of valid locations.

    The ratio is kept at ``1 : neg_per_pos`` (1 : 4 in the paper): ``n_pos = min(#positives,
    max_positives, #negatives // neg_per_pos)`` positives drawn at random and exactly
    ``neg_per_pos · n_pos`` negatives drawn uniformly without replacement from all negatives of
    all pairs and joints (drawn over the flat index space with rejection, so the cost grows with
    the sample, not with ``#pairs · K · (1+n)²``).

    Args:
        frame_ids: ``(P,)`` int frame index of each person example (one video).
        track_ids: ``(P,)`` int track id.
        gt_keypoints: ``(P, K, 3)`` ``(x, y, v)`` in heatmap pixels.
        candidates: ``(P, K, n, 2)`` int ``(x, y)`` (:func:`heatmap_candidates` of each example's
            predicted heatmaps; may contain ``(-1, -1)`` padding).
        heatmap_size: ``(W, H)``.
        rng: ``numpy.random.Generator``: the result is a deterministic function of its state.
        tau: half temporal window τ (5).
        neg_per_pos: negatives per positive (4).
        max_positives: cap on the positives (None: all).
        ignore_radius: see above, heatmap pixels (< 0: ignore nothing).
        same_frame: also pair different people of the same frame (pure negatives).
        gt_negative_frac: the share of the negatives drawn from the ground-truth pairs of
            different ids (Fig. 4's green lines between blue circles), the rest uniformly from
            the other negatives (more ground-truth pairs when those run short). Our addition
            (0: the uniform
            draw): the uniform draw picks a ground-truth pair once in ``(1 + n)^2`` and mostly
            teaches "keypoint vs. background candidate", while the tracker compares people at
            their keypoints, i.e. exactly these pairs.

    Returns:
        :class:`KeypointPairs`, positives first. Without any positive (a video of one frame, a
        window where every track id occurs once, no visible joint), or without enough negatives
        for one positive, the result is empty (``M = 0``): the 1 : 4 ratio is never broken.
    """
    fn = 'sample_keypoint_pairs'
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f'{fn}: rng must be a numpy.random.Generator, got {type(rng).__name__}')
    fr = np.asarray(frame_ids).reshape(-1).astype(np.int64)
    tid = np.asarray(track_ids).reshape(-1).astype(np.int64)
    P = len(fr)
    if len(tid) != P:
        raise ValueError(f'{fn}: frame_ids ({P},) and track_ids ({len(tid)},) differ in length')
    gt = np.asarray(gt_keypoints, dtype=np.float64)
    if gt.ndim != 3 or gt.shape[0] != P:
        raise ValueError(f'{fn}: gt_keypoints must be (P={P}, K, 3), got {gt.shape}')
    if int(neg_per_pos) < 1 or int(tau) < 0:
        raise ValueError(f'{fn}: need neg_per_pos >= 1 and tau >= 0, got {neg_per_pos}, {tau}')
    locs, valid = keypoint_location_sets(gt, candidates, heatmap_size)
    if P < 2:
        return _empty_pairs()
    K, S = valid.shape[1], valid.shape[2]
    # person pairs within the window, a later (or same frame, higher index)
    ia, ib = np.nonzero((fr[:, None] > fr[None, :]) | ((fr[:, None] == fr[None, :])
                                                       & (np.arange(P)[:, None] > np.arange(P))))
    keep = np.abs(fr[ia] - fr[ib]) <= tau
    if not same_frame:
        keep &= fr[ia] != fr[ib]
    ia, ib = ia[keep], ib[keep]
    if len(ia) == 0:
        return _empty_pairs()
    same = tid[ia] == tid[ib]
    # positives: (pair, joint) with the same id and both ground truths valid
    pp, pk = np.nonzero(same[:, None] & valid[ia, :, 0] & valid[ib, :, 0])
    n_pos_all = len(pp)
    if n_pos_all == 0:
        return _empty_pairs()
    # near-own-GT mask for the ignore rule (slot 0 itself is near when valid)
    gt_loc = locs[:, :, :1]
    d2 = ((locs - gt_loc)**2).sum(-1)
    near = valid & valid[:, :, :1] & (d2 <= ignore_radius**2)  # (P, K, S)

    def is_negative(q, k, sa, sb):
        a, b = ia[q], ib[q]
        ok = valid[a, k, sa] & valid[b, k, sb]
        pos_or_ign = same[q] & near[a, k, sa] & near[b, k, sb]
        return ok & ~pos_or_ign

    total = len(ia) * K * S * S
    # upper bound on the number of negatives, to size the draw
    need_max = n_pos_all if max_positives is None else min(n_pos_all, int(max_positives))
    want = neg_per_pos * need_max
    draw = min(total, max(2 * want + 64, 1))
    found = np.zeros(0, np.int64)
    if total <= (1 << 20) or (total <= 4 * draw and total <= (1 << 24)):  # enumerate exactly
        flat = np.arange(total, dtype=np.int64)
        flat = flat[is_negative(*np.unravel_index(flat, (len(ia), K, S, S)))]
        found = rng.permutation(flat)
    else:  # large space: rejection over a draw without replacement, widened when short
        while True:
            flat = rng.choice(total, size=draw, replace=False, shuffle=True)
            found = flat[is_negative(*np.unravel_index(flat, (len(ia), K, S, S)))]
            if len(found) >= want or draw == total:
                break
            draw = min(total, 4 * draw)
    n_pos = min(need_max, len(found) // neg_per_pos)
    if n_pos == 0:
        return _empty_pairs()
    sel = rng.choice(n_pos_all, size=n_pos, replace=False) if n_pos < n_pos_all \
        else np.arange(n_pos_all)
    sel = np.sort(sel)
    n_neg = neg_per_pos * n_pos
    if not 0.0 <= float(gt_negative_frac) <= 1.0:
        raise ValueError(f'{fn}: gt_negative_frac must be in [0, 1], got {gt_negative_frac}')
    if gt_negative_frac > 0:
        # every ground-truth pair of different ids (slots (0, 0)), in random order
        hq, hk = np.nonzero(~same[:, None] & valid[ia, :, 0] & valid[ib, :, 0])
        hard = rng.permutation(np.ravel_multi_index(
            (hq, hk, np.zeros_like(hq), np.zeros_like(hq)), (len(ia), K, S, S)))
        n_hard = min(len(hard), int(round(float(gt_negative_frac) * n_neg)))
        fsa, fsb = np.unravel_index(found, (len(ia), K, S, S))[2:]
        rest = found[(fsa != 0) | (fsb != 0)][:n_neg - n_hard]
        # too few other negatives: more ground-truth pairs (enough exist: found <= both)
        n_hard = n_neg - len(rest)
        neg = np.concatenate([hard[:n_hard], rest]).astype(np.int64)
    else:
        neg = found[:n_neg]
    nq, nk, nsa, nsb = np.unravel_index(neg, (len(ia), K, S, S))
    q = np.concatenate([pp[sel], nq])
    k = np.concatenate([pk[sel], nk]).astype(np.int64)
    sa = np.concatenate([np.zeros(n_pos, np.int64), nsa])
    sb = np.concatenate([np.zeros(n_pos, np.int64), nsb])
    a, b = ia[q].astype(np.int64), ib[q].astype(np.int64)
    label = np.concatenate([np.ones(n_pos, np.int64), np.zeros(len(neg), np.int64)])
    return KeypointPairs(a, b, k, sa.astype(np.int64), sb.astype(np.int64), locs[a, k, sa],
                         locs[b, k, sb], label)


# ----------------------------------------------------------------------------------------------
# 3. refinement with temporal context (Sec. 3.3, Eq. 6)
# ----------------------------------------------------------------------------------------------
def temporal_context_aggregation(candidate_features: Tensor,
                                 context_features: Tensor,
                                 similarity: Tensor,
                                 context_valid: Tensor,
                                 normalize: str = 'window') -> Tensor:
    """Eq. 6: a candidate's feature plus its path's best-location features weighted by matching.

    ``H̄_{t,i}(l) = (H_{t,i}(l) + Σ_{t' ∈ [t−τ, t+τ] \\ t} H_{t',i}(l̂^k_{t'}) W(l, l̂^k_{t'}))
    / D``

    for each of the ``n`` candidates ``l`` of joint ``k``, where ``l̂^k_{t'}`` is the arg-max of
    the path member's heatmap in frame ``t'`` (``heatmap_candidates(..., 1)``) and ``W`` the
    keypoint matching module's "same person" probability between ``l`` and ``l̂`` (Sec. 3.3).
    The path (``temporal_path_search``) has ``T = 2τ+1`` slots; the centre ``T // 2`` is the
    person itself and is skipped here; missing members (``-1`` on the path: video start or end,
    path stopped, empty frame) contribute nothing.

    Args:
        candidate_features: ``(B, K, n, C)`` ``H_{t,i}(l)`` at the candidates.
        context_features: ``(B, T, K, C)`` ``H_{t',i}(l̂^k_{t'})`` of each path member.
        similarity: ``(B, T, K, n)`` ``W(l, l̂^k_{t'})`` in ``[0, 1]``.
        context_valid: ``(B, T)`` or ``(B, T, K)`` bool (``path >= 0``; per joint to drop
            unreliable members).
        normalize: ``'window'``: ``D = 2τ+1 = T`` as printed in Eq. 6 (a missing neighbour
            counts as a zero term); ``'valid'``: ``D = 1 + #valid neighbours`` (our variant,
            keeps the scale at video ends). ``T = 1`` (no context) gives ``H̄ = H_{t,i}(l)``.

    Returns:
        ``(B, K, n, C)`` aggregated features ``H̄`` (differentiable in all float inputs).
    """
    fn = 'temporal_context_aggregation'
    if candidate_features.dim() != 4:
        raise ValueError(f'{fn}: candidate_features must be (B, K, n, C), got '
                         f'{_shape(candidate_features)}')
    B, K, n, C = candidate_features.shape
    if context_features.dim() != 4 or (context_features.shape[0], context_features.shape[2],
                                       context_features.shape[3]) != (B, K, C):
        raise ValueError(f'{fn}: context_features must be (B={B}, T, K={K}, C={C}), got '
                         f'{_shape(context_features)}')
    T = context_features.shape[1]
    if T % 2 != 1:
        raise ValueError(f'{fn}: the path must have T = 2*tau + 1 (odd) slots, got T={T}')
    if _shape(similarity) != (B, T, K, n):
        raise ValueError(f'{fn}: similarity must be (B, T, K, n)={(B, T, K, n)}, got '
                         f'{_shape(similarity)}')
    m = torch.as_tensor(context_valid, device=candidate_features.device).bool()
    if m.dim() == 2:
        m = m[:, :, None].expand(B, T, K)
    if _shape(m) != (B, T, K):
        raise ValueError(f'{fn}: context_valid must be (B, T) or (B, T, K), got '
                         f'{_shape(context_valid)}')
    if normalize not in ('window', 'valid'):
        raise ValueError(f"{fn}: normalize must be 'window' or 'valid', got {normalize!r}")
    centre = torch.zeros(T, dtype=torch.bool, device=m.device)
    centre[T // 2] = True
    m = m & ~centre[None, :, None]
    w = similarity * m[..., None].to(similarity.dtype)  # (B, T, K, n)
    ctx = torch.einsum('btkn,btkc->bknc', w, context_features.to(similarity.dtype))
    out = candidate_features + ctx.to(candidate_features.dtype)
    if normalize == 'window':
        return out / T
    d = 1 + m.sum(1).to(out.dtype)  # (B, K)
    return out / d[:, :, None, None]


def rescore_candidates(aggregated: Tensor, weight: Tensor,
                       bias: Optional[Tensor] = None) -> Tensor:
    """New responses of the candidates from their aggregated features (Sec. 3.3).

    The refinement module "has the same structure as the keypoint prediction module" (three
    deconvolutions and a 1x1 convolution of K channels, Sec. 3.1) and "the aggregated feature
    vector instead of the original one is taken as input to produce a new response". Since
    ``H̄`` depends on the joint (its context locations ``l̂^k`` do), the 1x1 convolution is
    applied per joint: ``s_k(l) = w_k · H̄_k(l) + b_k`` (reconstructed from the prose; equal to
    the convolution's output at ``l`` when the context is empty and ``D = 1``).

    Args:
        aggregated: ``(B, K, n, C)`` from :func:`temporal_context_aggregation`.
        weight: the final 1x1 conv's weight, ``(K, C)`` or ``(K, C, 1, 1)``.
        bias: ``(K,)`` or None.

    Returns:
        ``(B, K, n)`` refined responses (train them with :func:`candidate_heatmap_targets`).
    """
    if aggregated.dim() != 4:
        raise ValueError(f'rescore_candidates: aggregated must be (B, K, n, C), got '
                         f'{_shape(aggregated)}')
    B, K, n, C = aggregated.shape
    w = weight.reshape(weight.shape[0], -1)
    if _shape(w) != (K, C):
        raise ValueError(f'rescore_candidates: weight must be (K={K}, C={C}[, 1, 1]), got '
                         f'{_shape(weight)}')
    s = torch.einsum('bknc,kc->bkn', aggregated, w.to(aggregated.dtype))
    if bias is not None:
        if _shape(bias) != (K, ):
            raise ValueError(f'rescore_candidates: bias must be (K={K},), got {_shape(bias)}')
        s = s + bias.to(s.dtype)[None, :, None]
    return s


def candidate_heatmap_targets(locations, gt_keypoints,
                              sigma: float = 3.0) -> Tuple[Tensor, Tensor]:
    """Eq. 2's targets at the sampled candidates only (the sparse loss of Sec. 3.3).

    ``M̄^k(l) = exp(−||l − l̄^k||² / σ²)`` (Eq. 2, σ = 3 in heatmap pixels; note ``σ²``, not
    ``2σ²``), evaluated at each candidate ``l``.

    Args:
        locations: ``(B, K, n, 2)`` int ``(x, y)`` (tensor or array; ``(-1, -1)`` = padding).
        gt_keypoints: ``(B, K, 3)`` ``(x, y, v)`` heatmap pixels (float).
        sigma: σ of Eq. 2.

    Returns:
        tuple: ``targets (B, K, n)`` float32 and ``weights (B, K, n)`` = ``v̄^k`` (1 if
        ``v > 0``) times the candidate's validity: Eq. 2 restricted to the candidates is
        ``Σ weights · (s − targets)² / (B K)``.
    """
    loc = torch.as_tensor(locations)
    gt = torch.as_tensor(gt_keypoints, device=loc.device)
    if loc.dim() != 4 or loc.shape[-1] != 2 or gt.dim() != 3 or _shape(gt)[:2] != _shape(loc)[:2]:
        raise ValueError(f'candidate_heatmap_targets: need locations (B, K, n, 2) and '
                         f'gt_keypoints (B, K, 3), got {_shape(loc)} and {_shape(gt)}')
    gt = gt.float()
    d2 = ((loc.float() - gt[:, :, None, :2])**2).sum(-1)
    tgt = torch.exp(-d2 / float(sigma)**2)
    vis = (gt[..., 2] > 0) if gt.shape[-1] > 2 else torch.ones_like(gt[..., 0], dtype=torch.bool)
    wts = (vis[:, :, None] & (loc[..., 0] >= 0) & torch.isfinite(tgt)).float()
    return torch.nan_to_num(tgt * wts, nan=0.0), wts


def select_refined_keypoints(locations, scores) -> Tuple[Tensor, Tensor]:
    """The refined keypoint: Eq. 1 over the candidates, ``l* = argmax_{l ∈ L^k_{t,i}} s_k(l)``.

    Args:
        locations: ``(B, K, n, 2)`` int ``(x, y)`` candidates (``(-1, -1)`` = padding).
        scores: ``(B, K, n)`` refined responses (:func:`rescore_candidates`).

    Returns:
        tuple: ``keypoints (B, K, 2)`` int64 and ``keypoint_scores (B, K)``: the valid candidate
        of highest score (ties: the first, i.e. the higher original response); NaN scores never
        win; a joint without a valid candidate gets ``(-1, -1)`` and ``-inf``.
    """
    loc = torch.as_tensor(locations)
    s = torch.as_tensor(scores, device=loc.device)
    if loc.dim() != 4 or loc.shape[-1] != 2 or _shape(s) != _shape(loc)[:3]:
        raise ValueError(f'select_refined_keypoints: need locations (B, K, n, 2) and scores '
                         f'(B, K, n), got {_shape(loc)} and {_shape(s)}')
    if not s.is_floating_point():
        s = s.float()
    neg_inf = torch.full_like(s, float('-inf'))
    valid = (loc[..., 0] >= 0) & ~torch.isnan(s)
    s = torch.where(valid, s, neg_inf)
    if s.shape[-1] == 0:
        return (torch.full(_shape(loc)[:2] + (2, ), -1, dtype=torch.int64, device=loc.device),
                torch.full(_shape(loc)[:2], float('-inf'), dtype=s.dtype, device=loc.device))
    best = s.argmax(-1)  # first maximum
    best_s = torch.gather(s, -1, best[..., None])[..., 0]
    kp = torch.gather(loc.long(), 2, best[..., None, None].expand(*best.shape, 1, 2))[:, :, 0]
    ok = best_s > float('-inf')
    kp = torch.where(ok[..., None], kp, torch.full_like(kp, -1))
    return kp, best_s
