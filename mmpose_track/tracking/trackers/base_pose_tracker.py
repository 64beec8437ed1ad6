"""Array-backed track memory and the online tracking loop shared by all pose trackers.

Design note — why not subclass ``mmdet.models.trackers.BaseTracker``: importing it pulls torch,
mmcv and the mmdet model zoo at import time, and its memory is a dict of per-track python lists
(``tracks[id][key] -> list``) updated in python per track, which costs far more than the
≤ 100 µs per frame budget at N = 6. We mirror its *semantics* instead, with the state in arrays
(one row per live track):

* ``num_frames_retain``: a track can be matched at frame ``f`` while ``f − last_frame <=
  num_frames_retain``; otherwise it is popped (``pop_invalid_tracks``). For consecutive frames
  this equals mmdet's rule (pop when ``frame_id − frame_ids[-1] >= num_frames_retain`` after each
  update); skipped frames age tracks by the gap;
* ``update`` keeps the latest observation per track (keypoints, box, area, features; features
  optionally averaged with ``feature_momentum`` like mmdet's QDTrack/ByteTrack memo momentum);
* ``reset()`` clears everything; ``tracks`` gives an mmdet-like ``{id: memo}`` view.

Lifecycle: ids are ``0, 1, 2, …`` in order of creation and never reused until ``reset()``.
Frame ids must increase strictly (a smaller or equal one raises ``ValueError`` — call ``reset()``
between videos). Matching is one stage against all live tracks, or (``cascade=True``) first
against the tracks seen in the previous processed frame, then the remaining detections against
lost tracks (re-activation); ``reactivate=False`` never matches lost tracks.
"""
import warnings
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

from .._utils import to_numpy
from ..assignment import greedy_assignment, hungarian_assignment
from ..filters import filter_low_score_joints, short_track_remap

_EMPTY = np.zeros(0, dtype=np.int64)


class _Frame:
    """The current frame's detections, prepared once per ``update``."""
    __slots__ = ('kpts', 'boxes', 'areas', 'feats', 'frame_id', 'n')

    def __init__(self, kpts, boxes, areas, feats, frame_id):
        self.kpts = kpts
        self.boxes = boxes
        self.areas = areas
        self.feats = feats
        self.frame_id = frame_id
        self.n = len(kpts)


def _take(a: np.ndarray, idx: Optional[np.ndarray]) -> np.ndarray:
    return a if idx is None else a[idx]


class BasePoseTracker:
    """Base class: memory, lifecycle and assignment; subclasses define :meth:`similarity`.

    Args:
        match_thr: a detection and a track are matched only when their similarity is ``>``
            this.
        num_frames_retain: how many frames after its last observation a track can still be
            matched (1: only tracks seen in the previous frame).
        reactivate: match lost tracks (not seen in the previous frame but retained).
        cascade: match tracks seen in the previous frame first, lost tracks second.
        assigner: ``'hungarian'`` (optimal, Munkres), ``'greedy'`` (MMPose 0.x: detections in
            input order take their best free track) or ``'greedy_global'``.
        min_track_length: tracks observed in fewer frames are mapped to ``-1`` by
            :meth:`finalize` (offline; clip tracking drops very short tracklets before MOTA).
        joint_score_thr: joints scored below it are zeroed by :meth:`filter_output` (the
            papers threshold low-confidence joints before MOTA); not used for matching.
        feature_momentum: stored features become ``m · old + (1 − m) · new`` (0: latest only).
        feature_keys: names of per-person features to remember per track.
    """
    default_feature_keys: Tuple[str, ...] = ()
    #: per-frame inputs that are not one row per person (e.g. ``(N, N_prev, K)`` matrices)
    pairwise_features: Tuple[str, ...] = ('keypoint_similarity', 'tie_backward')

    def __init__(self,
                 match_thr: float = 0.3,
                 num_frames_retain: int = 1,
                 reactivate: bool = True,
                 cascade: bool = True,
                 assigner: str = 'hungarian',
                 min_track_length: int = 1,
                 joint_score_thr: float = 0.0,
                 feature_momentum: float = 0.0,
                 feature_keys: Optional[Sequence[str]] = None):
        if num_frames_retain < 1:
            raise ValueError(f'num_frames_retain must be >= 1, got {num_frames_retain}')
        if assigner not in ('hungarian', 'greedy', 'greedy_global'):
            raise ValueError(f'unknown assigner {assigner!r}')
        if not 0.0 <= feature_momentum < 1.0:
            raise ValueError('feature_momentum must be in [0, 1)')
        self.match_thr = float(match_thr)
        self.num_frames_retain = int(num_frames_retain)
        self.reactivate = bool(reactivate)
        self.cascade = bool(cascade)
        self.assigner = assigner
        self.min_track_length = int(min_track_length)
        self.joint_score_thr = float(joint_score_thr)
        self.feature_momentum = float(feature_momentum)
        self.feature_keys = tuple(self.default_feature_keys if feature_keys is None else
                                  feature_keys)
        self._warned = set()
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget all tracks and restart ids at 0 (call between videos)."""
        self._ids = _EMPTY
        self._kpts = np.zeros((0, 0, 3))
        self._boxes = np.zeros((0, 4))
        self._areas = np.zeros(0)
        self._last = _EMPTY
        self._feats: Dict[str, np.ndarray] = {}
        self._next_id = 0
        self._num_kpts: Optional[int] = None
        self._last_frame_id: Optional[int] = None
        self._prev_ids = _EMPTY  # ids returned by the previous update, in detection order
        cap = 64
        self._hits = np.zeros(cap, dtype=np.int64)
        self._first_seen = np.zeros(cap, dtype=np.int64)
        self._last_seen = np.zeros(cap, dtype=np.int64)

    @property
    def num_tracks(self) -> int:
        """Number of tracks created since the last reset."""
        return self._next_id

    @property
    def empty(self) -> bool:
        return len(self._ids) == 0

    @property
    def tracks(self) -> Dict[int, Dict[str, Any]]:
        """mmdet-like view of the live tracks: ``{id: memo}`` (built on demand, a copy)."""
        out = {}
        for r, tid in enumerate(self._ids):
            memo = dict(keypoints=self._kpts[r].copy(), bboxes=self._boxes[r].copy(),
                        frame_ids=[int(self._first_seen[tid]), int(self._last[r])],
                        num_hits=int(self._hits[tid]))
            for k, v in self._feats.items():
                memo[k] = v[r].copy()
            out[int(tid)] = memo
        return out

    def track_lengths(self) -> Dict[int, int]:
        """``{id: number of frames it was observed in}`` for every id since the last reset."""
        return {i: int(h) for i, h in enumerate(self._hits[:self._next_id])}

    def finalize(self) -> Dict[int, int]:
        """Offline step at the end of a video: ``{id: id, or -1 when shorter than
        min_track_length}``. Does not reset the tracker."""
        return short_track_remap(self.track_lengths(), self.min_track_length)

    def filter_output(self, keypoints):
        """:func:`filter_low_score_joints` with this tracker's ``joint_score_thr``."""
        if self.joint_score_thr <= 0:
            return keypoints
        return filter_low_score_joints(keypoints, self.joint_score_thr)

    # ------------------------------------------------------------------ hooks
    def similarity(self, det: _Frame, det_idx: Optional[np.ndarray],
                   trk_idx: Optional[np.ndarray]) -> np.ndarray:
        """``(n_det, n_trk)`` similarity (higher = same person) between the detections
        ``det_idx`` (None: all) and the memory rows ``trk_idx`` (None: all)."""
        raise NotImplementedError

    def prev_frame_positions(self, trk_idx: Optional[np.ndarray]) -> np.ndarray:
        """For memory rows ``trk_idx``, the position of that track among the previous update's
        detections (to index per-frame pairwise features), ``-1`` if it was not there."""
        ids = _take(self._ids, trk_idx)
        prev = self._prev_ids
        if len(prev) == 0 or len(ids) == 0:
            return np.full(len(ids), -1, dtype=np.int64)
        order = np.argsort(prev)
        srt = prev[order]
        p = np.minimum(np.searchsorted(srt, ids), len(srt) - 1)
        return np.where(srt[p] == ids, order[p], -1)

    def warn_once(self, key: str, msg: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            warnings.warn(msg, stacklevel=3)

    # ------------------------------------------------------------------ input
    def _prepare(self, keypoints, bboxes, frame_id, features) -> _Frame:
        kpts = to_numpy(keypoints)
        if kpts.size == 0 and kpts.ndim < 3:
            kpts = kpts.reshape(0, self._num_kpts or 0, 3)
        if kpts.ndim != 3 or kpts.shape[-1] not in (2, 3):
            raise ValueError(f'keypoints must be (N, K, 3), got shape {kpts.shape}')
        if kpts.shape[-1] == 2:
            kpts = np.concatenate([kpts, np.ones(kpts.shape[:2] + (1, ))], -1)
        n, k = kpts.shape[:2]
        if n:
            if self._num_kpts is None:
                self._num_kpts = k
                self._kpts = np.zeros((0, k, 3))
            elif k != self._num_kpts:
                raise ValueError(f'expected {self._num_kpts} keypoints per person, got {k}')
        if not np.isfinite(kpts).all():
            kpts = kpts.copy()
            bad = ~np.isfinite(kpts[..., :2]).all(-1) | ~np.isfinite(kpts[..., 2])
            kpts[..., 2][bad] = 0.0  # a joint with a non-finite part is missing
            kpts[..., :2][bad] = np.nan
        if bboxes is None:
            boxes = self._boxes_from_kpts(kpts)
        else:
            boxes = to_numpy(bboxes)
            if boxes.shape != (n, 4):
                raise ValueError(f'bboxes must be ({n}, 4) x1y1x2y2, got {boxes.shape}')
            if not np.isfinite(boxes).all():
                boxes = boxes.copy()
                bad = ~np.isfinite(boxes).all(1)
                boxes[bad] = self._boxes_from_kpts(kpts[bad])
        wh = boxes[:, 2:] - boxes[:, :2]
        areas = wh[:, 0] * wh[:, 1]
        if not (areas >= 1.0).all():
            # inverted or degenerate boxes: the OKS scale falls back to the keypoint extent
            # (IoU treats them as zero-area boxes), floored at 1 px²
            bad = ~((wh > 0).all(1))
            areas = np.where(bad, 0.0, areas)
            if bad.any():
                kb = self._boxes_from_kpts(kpts[bad])
                areas[bad] = np.maximum(kb[:, 2] - kb[:, 0], 0) * np.maximum(kb[:, 3] - kb[:, 1],
                                                                             0)
            areas = np.maximum(areas, 1.0)
        feats = {}
        for key, val in features.items():
            if val is None:
                continue
            if callable(val):
                feats[key] = val
                continue
            arr = to_numpy(val)
            feats[key] = arr
            if key not in self.pairwise_features and (arr.ndim == 0 or len(arr) != n):
                raise ValueError(f'feature {key!r} has {len(arr)} rows for {n} people')
        return _Frame(kpts, boxes, areas, feats, frame_id)

    @staticmethod
    def _boxes_from_kpts(kpts: np.ndarray) -> np.ndarray:
        if len(kpts) == 0:
            return np.zeros((0, 4))
        xy = kpts[..., :2]
        valid = kpts[..., 2] > 0
        if valid.all():  # fast path: inputs are sanitised (non-finite joints have score 0)
            return np.concatenate([xy.min(1), xy.max(1)], 1)
        valid &= np.isfinite(xy).all(-1)
        none = ~valid.any(1)
        if none.any():
            valid[none] = np.isfinite(xy[none]).all(-1)
        m = valid[..., None]
        lo = np.where(m, xy, np.inf).min(1)
        hi = np.where(m, xy, -np.inf).max(1)
        boxes = np.concatenate([lo, hi], 1)
        return np.where(np.isfinite(boxes), boxes, 0.0)

    def _check_frame_id(self, frame_id) -> int:
        if frame_id is None:
            return 0 if self._last_frame_id is None else self._last_frame_id + 1
        fid = int(frame_id)
        if self._last_frame_id is not None and fid <= self._last_frame_id:
            raise ValueError(
                f'frame_id {fid} does not come after the last frame {self._last_frame_id}: '
                'frames must be given in increasing order; call reset() before a new (or the '
                'same) video')
        return fid

    # ------------------------------------------------------------------ main
    def _assign(self, sim: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        if self.assigner == 'hungarian':
            return hungarian_assignment(sim, self.match_thr)
        order = 'row' if self.assigner == 'greedy' else 'global'
        return greedy_assignment(sim, self.match_thr, order)

    def _match(self, det: _Frame, det_idx, trk_idx):
        """Match detections ``det_idx`` to rows ``trk_idx``; returns (det, row) index arrays."""
        sim = self.similarity(det, det_idx, trk_idx)
        r, c = self._assign(sim)
        if det_idx is not None:
            r = det_idx[r]
        if trk_idx is not None:
            c = trk_idx[c]
        return r, c

    def update(self, keypoints, bboxes=None, frame_id: Optional[int] = None,
               **features) -> np.ndarray:
        """Assign track ids to the people of one frame.

        Args:
            keypoints: ``(N, K, 3)`` (x, y, score) numpy array or tensor (``N`` may be 0).
            bboxes: ``(N, 4)`` x1y1x2y2, or None (tight boxes around the joints scored > 0).
            frame_id: frame index, strictly increasing within a video (None: previous + 1).
            **features: per-person features by name (e.g. ``embeddings (N, D)``), or per-frame
                pairwise inputs a tracker documents; unknown names are ignored.

        Returns:
            ``(N,)`` int64 numpy array of track ids ``>= 0``, unique within the frame.
        """
        frame_id = self._check_frame_id(frame_id)
        det = self._prepare(keypoints, bboxes, frame_id, features)
        n = det.n
        # pop tracks too old to be matched at this frame (ages by the gap when frames skip)
        if len(self._ids):
            alive = (frame_id - self._last) <= self.num_frames_retain
            if not alive.all():
                self._compress(alive)
        m = len(self._ids)
        rows = cols = _EMPTY
        if n and m:
            prev = self._last_frame_id
            active = self._last == prev
            if not self.reactivate:
                idx = np.flatnonzero(active)
                if len(idx):
                    rows, cols = self._match(det, None, None if len(idx) == m else idx)
            elif not self.cascade or active.all() or not active.any():
                rows, cols = self._match(det, None, None)
            else:
                idx_a = np.flatnonzero(active)
                rows, cols = self._match(det, None, idx_a)
                left = np.ones(n, dtype=bool)
                left[rows] = False
                if left.any():
                    r2, c2 = self._match(det, np.flatnonzero(left), np.flatnonzero(~active))
                    if len(r2):
                        rows = np.concatenate([rows, r2])
                        cols = np.concatenate([cols, c2])
        ids = np.empty(n, dtype=np.int64)
        n_new = n - len(rows)
        if len(rows):
            ids[rows] = self._ids[cols]
            self._write(cols, det, rows, frame_id)
        if n_new:
            new = np.ones(n, dtype=bool)
            new[rows] = False
            new = np.flatnonzero(new)
            new_ids = np.arange(self._next_id, self._next_id + n_new, dtype=np.int64)
            ids[new] = new_ids
            self._append(new_ids, det, new, frame_id)
        if n:
            self._hits[ids] += 1
            self._last_seen[ids] = frame_id
        self._prev_ids = ids
        self._last_frame_id = frame_id
        return ids

    # ------------------------------------------------------------------ memory ops
    def _write(self, rows_mem: np.ndarray, det: _Frame, rows_det: np.ndarray,
               frame_id: int) -> None:
        self._kpts[rows_mem] = det.kpts[rows_det]
        self._boxes[rows_mem] = det.boxes[rows_det]
        self._areas[rows_mem] = det.areas[rows_det]
        self._last[rows_mem] = frame_id
        mom = self.feature_momentum
        for key in self.feature_keys:
            val = det.feats.get(key)
            if val is None or callable(val):
                continue
            store = self._ensure_feat(key, val)
            new = val[rows_det]
            if mom > 0:
                old = store[rows_mem]
                new = np.where(np.isfinite(old), mom * old + (1 - mom) * new, new)
            store[rows_mem] = new

    def _ensure_feat(self, key: str, val: np.ndarray) -> np.ndarray:
        store = self._feats.get(key)
        if store is None:
            store = np.full((len(self._ids), ) + val.shape[1:], np.nan)
            self._feats[key] = store
        elif store.shape[1:] != val.shape[1:]:
            raise ValueError(f'feature {key!r} changed shape: {store.shape[1:]} -> '
                             f'{val.shape[1:]}')
        return store

    def _append(self, new_ids: np.ndarray, det: _Frame, rows_det: np.ndarray,
                frame_id: int) -> None:
        m_old = len(self._ids)
        self._ids = np.concatenate([self._ids, new_ids])
        self._kpts = np.concatenate([self._kpts, det.kpts[rows_det]])
        self._boxes = np.concatenate([self._boxes, det.boxes[rows_det]])
        self._areas = np.concatenate([self._areas, det.areas[rows_det]])
        self._last = np.concatenate([self._last, np.full(len(new_ids), frame_id, np.int64)])
        for key in self.feature_keys:
            val = det.feats.get(key)
            if val is not None and not callable(val):
                self._ensure_feat(key, val)
        for key, store in self._feats.items():
            val = det.feats.get(key)
            add = val[rows_det] if (val is not None and not callable(val)) else \
                np.full((len(new_ids), ) + store.shape[1:], np.nan)
            self._feats[key] = np.concatenate([store[:m_old], add])
        end = int(new_ids[-1]) + 1
        if end > len(self._hits):
            cap = max(end, 2 * len(self._hits))
            for name in ('_hits', '_first_seen', '_last_seen'):
                old = getattr(self, name)
                grown = np.zeros(cap, dtype=np.int64)
                grown[:len(old)] = old
                setattr(self, name, grown)
        self._first_seen[new_ids] = frame_id
        self._next_id = end

    def _compress(self, keep: np.ndarray) -> None:
        self._ids = self._ids[keep]
        self._kpts = self._kpts[keep]
        self._boxes = self._boxes[keep]
        self._areas = self._areas[keep]
        self._last = self._last[keep]
        for key in list(self._feats):
            self._feats[key] = self._feats[key][keep]

    def pop_invalid_tracks(self, frame_id: int) -> None:
        """mmdet-compatible: drop tracks that can no longer be matched at ``frame_id``."""
        if len(self._ids):
            self._compress((frame_id - self._last) <= self.num_frames_retain)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(match_thr={self.match_thr}, '
                f'num_frames_retain={self.num_frames_retain}, assigner={self.assigner!r}, '
                f'live_tracks={len(self._ids)}, next_id={self._next_id})')
