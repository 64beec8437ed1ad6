"""Video tracking pipeline of Wang et al. 2020 (clip tracking, Sec. 3.2): sew fixed-length
tracklets from overlapping clips into tracks of any length.
"""
from typing import Optional, Sequence

import numpy as np

from ._utils import to_numpy
from .assignment import hungarian_assignment
from .similarity import oks_matrix

__all__ = ['tracklet_similarity', 'merge_clip_tracklets']


def _dense(frame_ids: np.ndarray, keypoints: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Poses of a tracklet on ``frames`` (sorted), NaN where it has none: ``(F, K, 3)``."""
    out = np.full((len(frames), ) + keypoints.shape[1:], np.nan)
    pos = np.searchsorted(frames, frame_ids)
    inside = (pos < len(frames))
    inside[inside] = frames[pos[inside]] == frame_ids[inside]
    out[pos[inside]] = keypoints[inside]
    return out


def tracklet_similarity(frame_ids_a: Sequence[np.ndarray],
                        keypoints_a: Sequence[np.ndarray],
                        frame_ids_b: Sequence[np.ndarray],
                        keypoints_b: Sequence[np.ndarray],
                        sigmas=None,
                        vis_thr: Optional[float] = None) -> np.ndarray:
    """Mean OKS over overlapping frames between every two tracklets, ``(A, B)``.

    Clip tracking Sec. 3.2: "their similarity is computed as the average OKS over these
    frames". A pair with no overlapping frame (or no frame where both have a pose) gets NaN, i.e.
    it can never be merged. Vectorised per frame of the union window (clip length), not per pair.
    """
    A, B = len(frame_ids_a), len(frame_ids_b)
    if A == 0 or B == 0:
        return np.full((A, B), np.nan)
    fa = [np.asarray(f, dtype=np.int64).reshape(-1) for f in frame_ids_a]
    fb = [np.asarray(f, dtype=np.int64).reshape(-1) for f in frame_ids_b]
    frames = np.unique(np.concatenate(fa + fb))
    ka = np.stack([_dense(f, to_numpy(k), frames) for f, k in zip(fa, keypoints_a)])  # (A,F,K,3)
    kb = np.stack([_dense(f, to_numpy(k), frames) for f, k in zip(fb, keypoints_b)])
    present_a = np.isfinite(ka[..., :2]).any((-1, -2))  # (A, F)
    present_b = np.isfinite(kb[..., :2]).any((-1, -2))
    total = np.zeros((A, B))
    count = np.zeros((A, B))
    for f in np.flatnonzero(present_a.any(0) & present_b.any(0)):
        ia = np.flatnonzero(present_a[:, f])
        ib = np.flatnonzero(present_b[:, f])
        oks = oks_matrix(ka[ia, f], kb[ib, f], sigmas=sigmas, vis_thr=vis_thr)
        total[np.ix_(ia, ib)] += oks
        count[np.ix_(ia, ib)] += 1
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def merge_clip_tracklets(frame_ids: Sequence[np.ndarray],
                         keypoints: Sequence[np.ndarray],
                         clip_ids: Optional[Sequence[int]] = None,
                         sim_thr: float = 0.3,
                         sigmas=None,
                         vis_thr: Optional[float] = None) -> np.ndarray:
    """Link tracklets of overlapping clips into tracks (clip tracking Sec. 3.2).

    Clips are processed in ascending ``clip_ids`` (e.g. keyframe index). The tracklets of a clip
    are matched to the current tracks by the Hungarian algorithm on the *negative* mean OKS over
    the frames where a tracklet overlaps the track's most recent tracklet (the energy minimisation
    of the paper; :func:`hungarian_assignment` maximises the OKS). Matches need a mean OKS
    ``> sim_thr`` and at least one overlapping frame; unmatched tracklets open new tracks, so
    tracks can be of any length. Tracklets of one clip are different people by construction and
    never merged with each other.

    Args:
        frame_ids: per tracklet, the frame indices it has poses for, ``(L_i,)``.
        keypoints: per tracklet, its poses ``(L_i, K, 3)`` in image coordinates.
        clip_ids: per tracklet, the clip (keyframe) it comes from; default: each tracklet its own
            clip, in the given order.

    Returns:
        ``(num_tracklets,)`` int64 track ids, ``0..T-1`` in order of first appearance.
    """
    n = len(frame_ids)
    if len(keypoints) != n:
        raise ValueError('frame_ids and keypoints must have one entry per tracklet')
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    clip_ids = np.arange(n) if clip_ids is None else np.asarray(clip_ids).reshape(-1)
    if len(clip_ids) != n:
        raise ValueError('clip_ids must have one entry per tracklet')
    fids = [np.asarray(f, dtype=np.int64).reshape(-1) for f in frame_ids]
    kpts = [to_numpy(k).reshape(len(f), -1, to_numpy(k).shape[-1]) for f, k in zip(fids, keypoints)]
    out = np.full(n, -1, dtype=np.int64)
    last_of_track = []  # track id -> index of its most recent tracklet
    for clip in np.unique(clip_ids):
        members = np.flatnonzero(clip_ids == clip)
        lo = min(fids[i].min(initial=np.iinfo(np.int64).max) for i in members)
        # candidate tracks: those whose latest tracklet reaches into this clip's frames
        cand = [t for t, j in enumerate(last_of_track) if len(fids[j]) and fids[j].max() >= lo]
        rows = cols = np.zeros(0, dtype=np.int64)
        if cand:
            src = [last_of_track[t] for t in cand]
            sim = tracklet_similarity([fids[i] for i in members], [kpts[i] for i in members],
                                      [fids[j] for j in src], [kpts[j] for j in src], sigmas,
                                      vis_thr)
            rows, cols = hungarian_assignment(sim, sim_thr)
        matched = np.zeros(len(members), dtype=bool)
        for r, c in zip(rows, cols):
            t = cand[c]
            out[members[r]] = t
            last_of_track[t] = members[r]
            matched[r] = True
        for r in np.flatnonzero(~matched):
            out[members[r]] = len(last_of_track)
            last_of_track.append(members[r])
    return out
