"""Offline tracklet stitching and gap filling at the end of a video (issue 13).

PoseTrack is scored offline, so a tracker's ``finalize()`` may revise its ids once the whole
video is seen:

* **stitching** (:func:`stitch_tracklets`): a tracklet ``a`` that ends and a tracklet ``b`` that
  starts after a gap of at most ``max_gap`` missing frames are linked when ``a``'s last pose,
  extrapolated with its velocity to ``b``'s first frame, matches ``b``'s first pose (and ``b``
  extrapolated backwards matches ``a``), by OKS combined with appearance when both have
  embeddings. The pairs are matched by the Hungarian algorithm, the same machinery as
  :func:`~mmpose_track.tracking.clip_merging.merge_clip_tracklets` (there tracklets overlap in
  time and are compared on the shared frames; here they never overlap and are compared across the
  gap);
* **gap filling** (:func:`interpolate_gaps`, :func:`interpolate_track_gaps`): the frames missed
  inside a track are filled by linear interpolation, as MMDetection's ``InterpolateTracklets``
  (``mmdet.models.trackers`` / ``mmtrack`` post-processing) does for boxes; here the joints are
  interpolated and given a lower score, so that AP ranks them below observed joints.

Typical use at the end of a video, on the tracker's output concatenated over frames (``M``
instances with ``frame_ids``, ``track_ids``, ``keypoints``)::

    mapping = stitch_tracks(frame_ids, track_ids, keypoints, max_gap=10)
    track_ids = np.array([mapping[t] for t in track_ids])
    f, t, k = interpolate_track_gaps(frame_ids, track_ids, keypoints, max_gap=10)

Conventions: frames are integer indices; a joint is *observed* when its coordinates are finite
and its score is ``> score_thr`` (default 0: a joint scored 0 is "not predicted", see
:func:`~mmpose_track.tracking.filters.filter_low_score_joints`); velocities are in pixels per
frame, per joint.
"""
from typing import Dict, NamedTuple, Optional, Tuple

import numpy as np

from ._utils import is_tensor, to_numpy
from .assignment import sparse_hungarian_assignment
from .similarity import _mean_terms, embedding_distance, keypoint_areas, keypoint_oks_terms, \
    oks_inv_two_var

__all__ = [
    'TrackletSummary', 'summarize_tracklets', 'track_velocity', 'stitch_score_matrix',
    'stitch_tracklets', 'stitch_tracks', 'interpolate_track_gaps', 'interpolate_gaps'
]


class TrackletSummary(NamedTuple):
    """What stitching needs of ``T`` tracklets (``summary._asdict()`` are the keyword arguments of
    :func:`stitch_tracklets`).

    Attributes:
        track_ids: ``(T,)`` int64, ascending.
        first_frames, last_frames: ``(T,)`` int64 first / last frame observed.
        first_poses, last_poses: ``(T, K, 3)`` poses at those frames.
        first_velocity, last_velocity: ``(T, K, 2)`` px/frame at the start / end
            (:func:`track_velocity`).
        embeddings: ``(T, D)`` mean L2-normalised embedding, NaN rows for tracklets without one;
            None when no embeddings were given.
    """
    track_ids: np.ndarray
    first_frames: np.ndarray
    last_frames: np.ndarray
    first_poses: np.ndarray
    last_poses: np.ndarray
    first_velocity: np.ndarray
    last_velocity: np.ndarray
    embeddings: Optional[np.ndarray] = None


# ---------------------------------------------------------------------------- input checks
def _as_int(x, name: str) -> np.ndarray:
    """``x`` as a 1-D int64 array; ValueError for non-integer or non-finite values."""
    if is_tensor(x):
        x = x.detach().cpu().numpy()
    arr = np.asarray(x).reshape(-1)
    if arr.dtype.kind in 'iu':
        return arr.astype(np.int64, copy=False)
    try:
        arr = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f'{name} must be integers (frame indices / ids), got {arr[:5]}')
    if not np.isfinite(arr).all() or (arr != np.round(arr)).any():
        raise ValueError(f'{name} must be integers (frame indices / ids), got {arr[:5]}')
    return arr.astype(np.int64)


def _as_poses(x, n: int, name: str) -> np.ndarray:
    """``(n, K, 2|3)`` -> float64 ``(n, K, 3)`` (score 1 when absent)."""
    k = to_numpy(x)
    if k.ndim != 3 or k.shape[-1] not in (2, 3):
        raise ValueError(f'{name} must be (N, K, 2) or (N, K, 3), got shape {k.shape}')
    if len(k) != n:
        raise ValueError(f'{name} has {len(k)} rows, expected {n} (one per entry)')
    if k.shape[-1] == 2:
        k = np.concatenate([k, np.ones(k.shape[:-1] + (1, ))], -1)
    return k


def _as_embeddings(x, n: int, name: str) -> np.ndarray:
    """``(n, D, ...)`` -> float64 ``(n, D')``."""
    e = to_numpy(x)
    if e.ndim < 2 or len(e) != n:
        raise ValueError(f'{name} must be ({n}, D) (one row per entry), got shape {e.shape}')
    return e.reshape(n, int(np.prod(e.shape[1:])))


def _observed(poses: np.ndarray, score_thr: Optional[float]) -> np.ndarray:
    """``(..., K)`` observed joints: finite x, y (and score ``> score_thr`` unless None)."""
    ok = np.isfinite(poses[..., 0])
    ok &= np.isfinite(poses[..., 1])  # not .all(-1): numpy is slow on a last axis of 2
    if score_thr is not None:
        ok &= poses[..., 2] > score_thr
    return ok


def _sort_instances(frame_ids, track_ids, keypoints):
    """Frames and ids sorted by (track, frame), the sorting order and the checked keypoints
    (*not* sorted: callers gather the rows they need); ValueError on duplicates."""
    f = _as_int(frame_ids, 'frame_ids')
    t = _as_int(track_ids, 'track_ids')
    if len(t) != len(f):
        raise ValueError(f'frame_ids ({len(f)}) and track_ids ({len(t)}) differ in length')
    k = _as_poses(keypoints, len(f), 'keypoints')
    order = np.lexsort((f, t))
    f, t = f[order], t[order]
    dup = (t[1:] == t[:-1]) & (f[1:] == f[:-1])
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise ValueError(f'track {t[i]} has two instances in frame {f[i]}')
    return f, t, k, order


# ---------------------------------------------------------------------------- velocity
def _window_velocity(grp: np.ndarray, slot: np.ndarray, dt: np.ndarray, xy: np.ndarray,
                     observed: np.ndarray, num_tracks: int, window: int) -> np.ndarray:
    """Least-squares slope of each joint's ``x, y`` against time over a window, ``(T, K, 2)``.

    ``grp`` gives each selected observation's track: sorted, every track present (each track's
    observations are one contiguous run, summed with ``np.add.reduceat``); ``slot`` (its place
    in the window, ``< window``) is not needed by the sums; ``dt`` is its frame relative to the
    track's end. Joints with fewer than two observed frames take the mean velocity of the
    track's other joints (0 when none has one).
    """
    starts = np.flatnonzero(np.r_[True, grp[1:] != grp[:-1]])
    if len(starts) != num_tracks:
        raise ValueError('every track needs an observation in its window')
    w = observed.astype(np.float64)  # (n, K)
    t = np.asarray(dt, np.float64)[:, None]
    wt = w * t
    x = np.where(observed[..., None], xy, 0.0)  # (n, K, 2)
    s = np.add.reduceat(w, starts)
    st = np.add.reduceat(wt, starts)
    stt = np.add.reduceat(wt * t, starts)
    sx = np.add.reduceat(x, starts)
    stx = np.add.reduceat(x * t[..., None], starts)
    den = s * stt - st * st  # = s · Σ w (t − t̄)²: >= 1 with two distinct integer frames
    ok = den > 0.5
    with np.errstate(invalid='ignore', divide='ignore'):
        v = (s[..., None] * stx - st[..., None] * sx) / den[..., None]
    v = np.where(ok[..., None], v, 0.0)
    n_ok = ok.sum(1)  # (T,)
    body = v.sum(1) / np.maximum(n_ok, 1)[:, None]  # (T, 2) mean over joints with a slope
    return np.where(ok[..., None], v, body[:, None, :])


def summarize_tracklets(frame_ids,
                        track_ids,
                        keypoints,
                        embeddings=None,
                        window: int = 5,
                        score_thr: Optional[float] = 0.0) -> TrackletSummary:
    """Per-tracklet ends, velocities and appearance from a tracker's output over a video.

    Vectorised over all instances (no loop over tracks).

    Args:
        frame_ids: ``(M,)`` frame index of each instance.
        track_ids: ``(M,)`` track id of each instance (one instance per track and frame).
        keypoints: ``(M, K, 2|3)`` poses (x, y[, score]).
        embeddings: ``(M, D)`` appearance embeddings or None; rows with a non-finite value count
            as missing. A tracklet's embedding is the mean of its L2-normalised ones.
        window: number of observations (instances) at each end of a tracklet used for its
            velocity (:func:`track_velocity`).
        score_thr: joints scored ``<= score_thr`` are not observed (None: only non-finite
            coordinates make a joint missing).

    Returns:
        :class:`TrackletSummary` of the ``T`` distinct track ids (ascending).
    """
    if int(window) < 2:
        raise ValueError(f'window must be >= 2 observations, got {window}')
    window = int(window)
    f, t, k, order = _sort_instances(frame_ids, track_ids, keypoints)
    M, K = k.shape[:2]
    if M == 0:
        z = np.zeros(0, dtype=np.int64)
        emb = None if embeddings is None else _as_embeddings(embeddings, 0, 'embeddings')
        return TrackletSummary(z, z, z, np.zeros((0, K, 3)), np.zeros((0, K, 3)),
                               np.zeros((0, K, 2)), np.zeros((0, K, 2)), emb)
    ids, start, counts = np.unique(t, return_index=True, return_counts=True)
    T = len(ids)
    end = start + counts - 1
    grp = np.repeat(np.arange(T), counts)
    rank = np.arange(M) - start[grp]
    rank_end = counts[grp] - 1 - rank
    sel = rank_end < window
    rows = k[order[sel]]
    v_last = _window_velocity(grp[sel], rank_end[sel], f[sel] - f[end][grp[sel]], rows[..., :2],
                              _observed(rows, score_thr), T, window)
    sel = rank < window
    rows = k[order[sel]]
    v_first = _window_velocity(grp[sel], rank[sel], f[sel] - f[start][grp[sel]], rows[..., :2],
                               _observed(rows, score_thr), T, window)
    emb = None
    if embeddings is not None:
        e = _as_embeddings(embeddings, M, 'embeddings')[order]
        has = np.isfinite(e).all(1)
        with np.errstate(invalid='ignore', divide='ignore'):
            e = e / np.linalg.norm(e, axis=1, keepdims=True)
        has &= np.isfinite(e).all(1)  # zero vectors have no direction
        e = np.where(has[:, None], e, 0.0)
        tot = np.zeros((T, e.shape[1]))
        np.add.at(tot, grp, e)
        n = np.bincount(grp, weights=has, minlength=T)
        with np.errstate(invalid='ignore', divide='ignore'):
            emb = np.where(n[:, None] > 0, tot / n[:, None], np.nan)
    return TrackletSummary(ids, f[start], f[end], k[order[start]], k[order[end]], v_first, v_last,
                           emb)


def track_velocity(frames, poses, window: int = 5, end: str = 'last',
                   score_thr: Optional[float] = 0.0) -> np.ndarray:
    """Per-joint velocity (pixels / frame) at one end of a track, ``(K, 2)``.

    Least squares: for each joint, the slope of the straight line fitted to its ``x`` and ``y``
    against the frame index over the track's last (``end='last'``) or first (``'first'``)
    ``window`` observations (``window=2``: the difference of the last two observations divided
    by their frame distance). Only observed joints are used; a joint observed in fewer than two
    of those frames takes the mean velocity of the joints that have one, and 0 when none has
    (e.g. a single-frame track: extrapolation then keeps the pose where it is).

    Args:
        frames: ``(L,)`` frame indices of the track's observations (any order, no repeats).
        poses: ``(L, K, 2|3)`` its poses.
        window: number of observations used (>= 2).
        end: ``'last'`` or ``'first'``.
        score_thr: as in :func:`summarize_tracklets`.

    Returns:
        float64 ``(K, 2)``.
    """
    if end not in ('last', 'first'):
        raise ValueError(f"end must be 'last' or 'first', got {end!r}")
    f = _as_int(frames, 'frames')
    k = _as_poses(poses, len(f), 'poses')
    if len(f) == 0:
        raise ValueError('track_velocity needs at least one observation')
    s = summarize_tracklets(f, np.zeros(len(f), dtype=np.int64), k, window=window,
                            score_thr=score_thr)
    return (s.last_velocity if end == 'last' else s.first_velocity)[0]


# ---------------------------------------------------------------------------- stitching
def _check_summary(first_frames, last_frames, first_poses, last_poses, first_velocity,
                   last_velocity, embeddings):
    ff = _as_int(first_frames, 'first_frames')
    lf = _as_int(last_frames, 'last_frames')
    T = len(ff)
    if len(lf) != T:
        raise ValueError(f'first_frames ({T}) and last_frames ({len(lf)}) differ in length')
    if (lf < ff).any():
        raise ValueError('a tracklet ends before it starts (last_frames < first_frames)')
    fp = _as_poses(first_poses, T, 'first_poses')
    lp = _as_poses(last_poses, T, 'last_poses')
    K = fp.shape[1]
    if lp.shape[1] != K:
        raise ValueError(f'first_poses and last_poses have {K} and {lp.shape[1]} joints')
    vel = []
    for v, name in ((first_velocity, 'first_velocity'), (last_velocity, 'last_velocity')):
        if v is None:
            vel.append(np.zeros((T, K, 2)))
            continue
        v = to_numpy(v)
        if v.shape != (T, K, 2):
            raise ValueError(f'{name} must be (T, K, 2) = {(T, K, 2)}, got {v.shape}')
        vel.append(v)
    emb = None
    if embeddings is not None:
        emb = _as_embeddings(embeddings, T, 'embeddings')
    return ff, lf, fp, lp, vel[0], vel[1], emb


def _stitch_bound(ends: np.ndarray, T: int, vl: np.ndarray, vf: np.ndarray,
                  area_l: np.ndarray, area_f: np.ndarray, inv: np.ndarray, ii: np.ndarray,
                  jj: np.ndarray, dt: np.ndarray) -> np.ndarray:
    """Upper bound of the OKS of each pair ``(ii, jj)`` in either direction (see
    :func:`stitch_score_matrix`, ``min_score``), ``(P,)``."""
    x, y = ends[..., 0], ends[..., 1]  # per coordinate: reductions over an axis of 2 are slow
    with np.errstate(invalid='ignore'):
        box = np.stack([np.fmin.reduce(x, axis=1), np.fmin.reduce(y, axis=1),
                        np.fmax.reduce(x, axis=1), np.fmax.reduce(y, axis=1)], 1)
    box = np.where(np.isfinite(box), box, np.nan)  # no finite joint: the pair is NaN anyway
    last_box, first_box = box[:T][ii], box[T:][jj]

    def fastest(v):
        speed = np.sqrt((v * v).sum(-1))
        return np.nan_to_num(np.fmax.reduce(speed, axis=1), nan=0.0, posinf=np.inf)

    gx = np.maximum(last_box[:, 0] - first_box[:, 2], first_box[:, 0] - last_box[:, 2])
    gy = np.maximum(last_box[:, 1] - first_box[:, 3], first_box[:, 1] - last_box[:, 3])
    margin = dt * np.maximum(fastest(vl)[ii], fastest(vf)[jj])
    gx = np.maximum(gx - margin, 0.0)
    gy = np.maximum(gy - margin, 0.0)
    s2 = 0.5 * (area_l[ii] + area_f[jj])
    bound = np.exp(-(gx * gx + gy * gy) * (inv.min() / s2))
    return np.where(np.isnan(bound), np.inf, bound)  # unknown: compute the pair


def stitch_score_matrix(first_frames,
                        last_frames,
                        first_poses,
                        last_poses,
                        first_velocity=None,
                        last_velocity=None,
                        embeddings=None,
                        max_gap: int = 10,
                        min_gap: int = 0,
                        appearance_weight: float = 0.5,
                        sigmas=None,
                        vis_thr: Optional[float] = None,
                        min_score: Optional[float] = None) -> np.ndarray:
    """Score of continuing tracklet ``a`` (row) by tracklet ``b`` (column), ``(T, T)``.

    The *gap* of a pair is the number of frames missing between them,
    ``g = first_frames[b] − last_frames[a] − 1``; a pair is admissible when
    ``min_gap <= g <= max_gap`` (so ``b`` starts after ``a`` ends: tracklets that share or
    overlap frames are never admissible). With ``Δ = g + 1`` frames between the two poses:

    * forward: ``a``'s last pose moved by ``Δ · last_velocity[a]`` against ``b``'s first pose;
    * backward: ``b``'s first pose moved by ``−Δ · first_velocity[b]`` against ``a``'s last pose;
    * ``OKS_ab`` = mean of the two OKS (:func:`~.similarity.keypoint_oks_terms` with the scale
      ``s² = (area_a + area_b) / 2`` of the two observed poses' keypoint boxes, as
      :func:`~.similarity.oks_matrix`); a joint counts when it is finite in both poses (and, with
      ``vis_thr``, scored ``> vis_thr`` in both);
    * with appearance (both ``embeddings`` rows finite): ``(1 − w) · OKS_ab + w · (1 − d / 2)``,
      ``d`` the Euclidean distance of the L2-normalised embeddings
      (:func:`~.similarity.embedding_distance`; ``1 − d/2`` as in ``IoUAppearanceSimilarity``),
      ``w = appearance_weight``; otherwise ``OKS_ab`` alone.

    Missing velocities (None) are 0 (no extrapolation); a non-finite velocity leaves that joint
    out. Inadmissible pairs, and pairs without any joint to compare in one direction, are NaN.
    Vectorised over the admissible pairs.

    With ``min_score`` (the caller's linking threshold), pairs that cannot score above it are
    not computed and left NaN: every joint of a pose lies in the box around its finite joints,
    and an extrapolated joint at most ``Δ · v_max`` (the tracklet's fastest joint) outside it,
    so the gap ``g`` between the two boxes, less that margin, bounds every joint distance and
    each direction's OKS is at most ``exp(−g² · min_k inv_k / s²)`` (with appearance, the
    weighted mix of that bound and the appearance term). In a crowd most pairs within
    ``max_gap`` frames are people far apart; this keeps the offline step a few percent of the
    tracking time.

    Args:
        first_frames, last_frames: ``(T,)`` first / last observed frame of each tracklet.
        first_poses, last_poses: ``(T, K, 2|3)`` poses at those frames.
        first_velocity, last_velocity: ``(T, K, 2)`` px/frame (see :func:`track_velocity`).
        embeddings: ``(T, D)`` or None; rows with a NaN (or all zero): no embedding.
        max_gap: ``G``, the most frames a person may be missing (>= 0).
        min_gap: the fewest missing frames (default 0: also a break between consecutive frames).
        appearance_weight: ``w`` in ``[0, 1]``.
        sigmas: ``(K,)`` OKS sigmas; None: PoseTrack18 (= COCO, needs ``K = 17``).
        vis_thr: see above.
        min_score: pairs bounded to score ``<= min_score`` are left NaN (None: all computed).

    Returns:
        float64 ``(T, T)``, NaN where not admissible (or, with ``min_score``, not able to
        exceed it).
    """
    T = len(np.asarray(first_frames).reshape(-1))
    ii, jj, score = _stitch_pairs(first_frames, last_frames, first_poses, last_poses,
                                  first_velocity, last_velocity, embeddings, max_gap, min_gap,
                                  appearance_weight, sigmas, vis_thr, min_score)
    out = np.full((T, T), np.nan)
    out[ii, jj] = score
    return out


def _stitch_pairs(first_frames, last_frames, first_poses, last_poses, first_velocity,
                  last_velocity, embeddings, max_gap, min_gap, appearance_weight, sigmas,
                  vis_thr, min_score):
    """:func:`stitch_score_matrix` as the scored pairs ``(ii, jj, score)`` (the rest NaN); the
    admissible pairs are found from the sorted first frames, without a ``T x T`` matrix."""
    ff, lf, fp, lp, vf, vl, emb = _check_summary(first_frames, last_frames, first_poses,
                                                 last_poses, first_velocity, last_velocity,
                                                 embeddings)
    if int(max_gap) < 0 or int(min_gap) < 0:
        raise ValueError(f'max_gap and min_gap must be >= 0, got {max_gap} and {min_gap}')
    if not 0.0 <= appearance_weight <= 1.0:
        raise ValueError(f'appearance_weight must be in [0, 1], got {appearance_weight}')
    T, K = fp.shape[:2]
    inv = oks_inv_two_var(sigmas, K)
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    # the admissible pairs: b starts min_gap + 1 .. max_gap + 1 frames after a ends
    by_start = np.argsort(ff, kind='stable')
    lo = np.searchsorted(ff[by_start], lf + 1 + int(min_gap), 'left')
    hi = np.searchsorted(ff[by_start], lf + 1 + int(max_gap), 'right')
    n_pairs = np.maximum(hi - lo, 0)
    ii = np.repeat(np.arange(T), n_pairs)
    if len(ii) == 0:
        return empty
    jj = by_start[np.arange(len(ii)) - np.repeat(np.cumsum(n_pairs) - n_pairs, n_pairs) +
                  np.repeat(lo, n_pairs)]
    gap_ij = ff[jj] - lf[ii] - 1
    ends = np.concatenate([lp, fp])  # one pass over both ends (a copy)
    ends[..., :2][~_observed(ends, None)] = np.nan  # inf coordinates count as missing, like NaN
    lp, fp = ends[:T], ends[T:]
    area = np.maximum(keypoint_areas(ends), 1.0)  # the scale of oks_matrix, floored at 1 px²
    area_l, area_f = area[:T], area[T:]
    app = None
    if emb is not None and appearance_weight > 0:
        has = np.isfinite(emb).all(1) & (emb != 0).any(1)  # zero vectors have no direction
        unit = np.where(has[:, None], emb, 0.0)
        d = embedding_distance(unit, unit, normalize=True)[ii, jj]
        app = (1.0 - 0.5 * d, has[ii] & has[jj])
    if min_score is not None:
        bound = _stitch_bound(ends, T, vl, vf, area_l, area_f, inv, ii, jj, gap_ij + 1.0)
        if app is not None:  # the appearance term can lift a far pair
            bound = np.where(app[1], (1.0 - appearance_weight) * bound +
                             appearance_weight * app[0], bound)
        keep = bound > min_score
        ii, jj, gap_ij = ii[keep], jj[keep], gap_ij[keep]
        if app is not None:
            app = (app[0][keep], app[1][keep])
        if len(ii) == 0:
            return empty
    dt = (gap_ij + 1.0)[:, None, None]
    a_end, b_start = lp[ii], fp[jj]
    fwd = a_end[..., :2] + dt * vl[ii]
    bwd = b_start[..., :2] - dt * vf[jj]
    fwd[~np.isfinite(fwd)] = np.nan  # non-finite velocities: joint missing
    bwd[~np.isfinite(bwd)] = np.nan
    e_fwd = keypoint_oks_terms(fwd, b_start, area_l[ii], area_f[jj], inv)
    e_bwd = keypoint_oks_terms(bwd, a_end, area_f[jj], area_l[ii], inv)
    sa, sb = a_end[..., 2], b_start[..., 2]
    score = 0.5 * (_mean_terms(e_fwd, sa, sb, vis_thr) + _mean_terms(e_bwd, sb, sa, vis_thr))
    usable = []
    for e in (e_fwd, e_bwd):
        ok = ~np.isnan(e)
        if vis_thr is not None:
            ok &= (sa > vis_thr) & (sb > vis_thr)
        usable.append(ok.any(-1))
    score[~(usable[0] & usable[1])] = np.nan
    if app is not None:
        score = np.where(app[1], (1.0 - appearance_weight) * score + appearance_weight * app[0],
                         score)
    return ii, jj, score


def stitch_tracklets(track_ids,
                     first_frames,
                     last_frames,
                     first_poses,
                     last_poses,
                     first_velocity=None,
                     last_velocity=None,
                     embeddings=None,
                     max_gap: int = 10,
                     min_gap: int = 0,
                     sim_thr: float = 0.3,
                     appearance_weight: float = 0.5,
                     sigmas=None,
                     vis_thr: Optional[float] = None) -> Dict[int, int]:
    """Link broken tracklets across gaps of at most ``max_gap`` frames (issue 13).

    Every tracklet may be continued by at most one later tracklet and continue at most one
    earlier tracklet: the Hungarian algorithm (:func:`~.assignment.hungarian_assignment`,
    maximising) over the scores of :func:`stitch_score_matrix` (rows: tracklets that end,
    columns: tracklets that start), links only pairs scored ``> sim_thr``. Links form chains
    ``a → b → c`` (time only goes forward, so there is no cycle); every tracklet of a chain gets
    the id of the chain's first (earliest) tracklet.

    Args:
        track_ids: ``(T,)`` distinct ids of the tracklets.
        first_frames ... vis_thr: see :func:`stitch_score_matrix` (a
            :class:`TrackletSummary` gives them: ``stitch_tracklets(**summary._asdict())``).
        sim_thr: minimum score of a link.

    Returns:
        ``{old_id: new_id}`` for every id in ``track_ids`` (ids not stitched map to themselves).
    """
    ids = _as_int(track_ids, 'track_ids')
    if len(np.unique(ids)) != len(ids):
        raise ValueError('track_ids must be distinct (one summary per tracklet)')
    if len(ids) != len(np.asarray(first_frames).reshape(-1)):
        raise ValueError(f'track_ids ({len(ids)}) and first_frames '
                         f'({len(np.asarray(first_frames).reshape(-1))}) differ in length')
    ii, jj, score = _stitch_pairs(first_frames, last_frames, first_poses, last_poses,
                                  first_velocity, last_velocity, embeddings, max_gap, min_gap,
                                  appearance_weight, sigmas, vis_thr, min_score=sim_thr)
    T = len(ids)
    root = np.arange(T)
    ok = score > sim_thr
    if ok.any():
        ii, jj, score = ii[ok], jj[ok], score[ok]
        r_any, r_pos = np.unique(ii, return_inverse=True)
        c_any, c_pos = np.unique(jj, return_inverse=True)
        rows, cols = sparse_hungarian_assignment(r_pos, c_pos, score, len(r_any), len(c_any),
                                                 sim_thr)
        root[c_any[cols]] = r_any[rows]  # predecessor
        while True:  # pointer jumping: chains of length L resolve in log2(L) steps
            nxt = root[root]
            if (nxt == root).all():
                break
            root = nxt
    return dict(zip(ids.tolist(), ids[root].tolist()))


def stitch_tracks(frame_ids,
                  track_ids,
                  keypoints,
                  embeddings=None,
                  window: int = 5,
                  score_thr: Optional[float] = 0.0,
                  **kwargs) -> Dict[int, int]:
    """:func:`summarize_tracklets` then :func:`stitch_tracklets` on a tracker's video output.

    Args:
        frame_ids, track_ids, keypoints, embeddings, window, score_thr: see
            :func:`summarize_tracklets`.
        **kwargs: ``max_gap``, ``min_gap``, ``sim_thr``, ``appearance_weight``, ``sigmas``,
            ``vis_thr`` of :func:`stitch_tracklets`.

    Returns:
        ``{old_id: new_id}`` for every track id present.
    """
    s = summarize_tracklets(frame_ids, track_ids, keypoints, embeddings, window, score_thr)
    return stitch_tracklets(**s._asdict(), **kwargs)


# ---------------------------------------------------------------------------- gap filling
def interpolate_track_gaps(frame_ids,
                           track_ids,
                           keypoints,
                           max_gap: int,
                           score_factor: float = 0.5,
                           score_thr: Optional[float] = 0.0
                           ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poses for the frames missed inside tracks (MMDet ``InterpolateTracklets`` for joints).

    For two consecutive observations of a track at frames ``f0 < f1`` with
    ``1 <= f1 − f0 − 1 <= max_gap`` missing frames, each missing frame ``f`` gets, per joint
    observed at both ends, the linear interpolation ``p0 + (f − f0) / (f1 − f0) · (p1 − p0)``
    and the score ``min(s0, s1) · score_factor`` (``score_factor < 1``: an interpolated joint is
    ranked below the observed ones it comes from, so it cannot push an observed joint down in
    AP). Joints not observed at both ends are NaN with score 0. Longer gaps are left empty.
    Vectorised over all gaps of all tracks.

    Args:
        frame_ids: ``(M,)`` frame indices.
        track_ids: ``(M,)`` track ids (one instance per track and frame).
        keypoints: ``(M, K, 2|3)`` poses (scores 1 when absent).
        max_gap: longest gap filled (frames).
        score_factor: ``>= 0`` factor on the interpolated scores.
        score_thr: joints scored ``<= score_thr`` are not observed (None: any finite joint is).

    Returns:
        tuple: ``frames (L,)`` int64, ``track_ids (L,)`` int64 and ``poses (L, K, 3)`` of the
        filled frames, sorted by track then frame.
    """
    if int(max_gap) < 0:
        raise ValueError(f'max_gap must be >= 0, got {max_gap}')
    if not score_factor >= 0:
        raise ValueError(f'score_factor must be >= 0, got {score_factor}')
    f, t, k, order = _sort_instances(frame_ids, track_ids, keypoints)
    K = k.shape[1]
    miss = f[1:] - f[:-1] - 1
    g = np.flatnonzero((t[1:] == t[:-1]) & (miss >= 1) & (miss <= int(max_gap)))
    n = miss[g]
    L = int(n.sum())
    if L == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros((0, K, 3))
    rep = np.repeat(g, n)
    step = np.arange(L) - np.repeat(np.cumsum(n) - n, n) + 1  # 1..n within each gap
    alpha = (step / (f[rep + 1] - f[rep]))[:, None, None]
    p0, p1 = k[order[rep]], k[order[rep + 1]]
    ok = _observed(p0, score_thr) & _observed(p1, score_thr) & \
        np.isfinite(p0[..., 2]) & np.isfinite(p1[..., 2])
    xy = p0[..., :2] + alpha * (p1[..., :2] - p0[..., :2])
    s = np.minimum(p0[..., 2], p1[..., 2]) * score_factor
    poses = np.concatenate([np.where(ok[..., None], xy, np.nan),
                            np.where(ok, s, 0.0)[..., None]], -1)
    return f[rep] + step, t[rep], poses


def interpolate_gaps(frames_of_track,
                     poses_of_track,
                     max_gap: int,
                     score_factor: float = 0.5,
                     score_thr: Optional[float] = 0.0) -> Tuple[np.ndarray, np.ndarray]:
    """:func:`interpolate_track_gaps` for one track.

    Args:
        frames_of_track: ``(N,)`` frame indices (any order, no repeats).
        poses_of_track: ``(N, K, 2|3)`` poses.
        max_gap, score_factor, score_thr: see :func:`interpolate_track_gaps`.

    Returns:
        tuple: ``frames (L,)`` int64 (ascending) and ``poses (L, K, 3)`` of the filled frames.
    """
    f = _as_int(frames_of_track, 'frames_of_track')
    frames, _, poses = interpolate_track_gaps(f, np.zeros(len(f), dtype=np.int64),
                                              poses_of_track, max_gap, score_factor, score_thr)
    return frames, poses
