"""Track memory: the detections of one frame, prepared once, and the array-backed state of the
live tracks (config part ``memory=dict(type='TrackMemory', ...)`` of a :class:`PoseTracker`).

Why not ``mmdet.models.trackers.BaseTracker``'s memory: importing it pulls torch, mmcv and the
mmdet model zoo, and its memory is a dict of per-track python lists (``tracks[id][key] -> list``)
updated in python per track, which costs far more than the ≤ 100 µs per frame budget at N = 6. We
mirror its *semantics* with the state in arrays (one row per live track):

* ``num_frames_retain``: a track can be matched at frame ``f`` while ``f − last_frame <=
  num_frames_retain``; otherwise it is popped (:meth:`TrackMemory.pop_invalid_tracks`). For
  consecutive frames this equals mmdet's rule (pop when ``frame_id − frame_ids[-1] >=
  num_frames_retain`` after each update); skipped frames age tracks by the gap;
* ``min_hits`` (the lifecycle of SORT / ByteTrack): a track observed in fewer frames is
  *tentative* and is popped as soon as it misses one frame (a false detection does not linger
  to take a real person's place later); confirmed tracks are kept lost ``num_frames_retain``
  frames. Every person still gets an id at once (a pose tracker must not drop predictions);
* each track keeps its latest observation (keypoints, box, area, features; features optionally
  averaged with ``feature_momentum`` like mmdet's QDTrack/ByteTrack memo momentum);
* ids are ``0, 1, 2, …`` in order of creation and never reused until :meth:`reset`;
  :attr:`tracks` gives an mmdet-like ``{id: memo}`` view.
"""
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

import numpy as np

from mmpose_track.registry import TRACKING_PARTS
from .._utils import is_tensor, to_numpy

__all__ = ['DetectionFrame', 'TrackMemory', 'take']

_EMPTY = np.zeros(0, dtype=np.int64)


def take(a: np.ndarray, idx: Optional[np.ndarray]) -> np.ndarray:
    """``a[idx]``, or ``a`` itself when ``idx`` is None (all rows)."""
    return a if idx is None else a[idx]


def boxes_around_joints(kpts: np.ndarray) -> np.ndarray:
    """Tight ``x1y1x2y2`` boxes around the joints scored ``> 0`` (all finite joints when none
    is), ``(N, 4)``; ``[0, 0, 0, 0]`` for a pose without a finite joint. Inputs are sanitised
    (non-finite joints have score 0)."""
    if len(kpts) == 0:
        return np.zeros((0, 4))
    xy = kpts[..., :2]
    valid = kpts[..., 2] > 0
    if valid.all():  # fast path
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


class DetectionFrame:
    """The people of the current frame, checked and prepared once per ``update``.

    Attributes:
        kpts: ``(N, K, 3)`` float64; a joint with a non-finite part has score 0 and NaN x, y.
        boxes: ``(N, 4)`` finite x1y1x2y2 (the given boxes, or the joints' extent).
        areas: ``(N,)`` OKS scales ``>= 1`` (box area; the joints' extent for inverted or
            degenerate boxes).
        feats: the features the tracker reads (``{name: (N, ...) array | per-frame input}``).
        frame_id: the frame index; n: ``N``.
    """
    __slots__ = ('kpts', 'boxes', 'areas', 'feats', 'frame_id', 'n')

    def __init__(self, kpts, boxes, areas, feats, frame_id):
        self.kpts = kpts
        self.boxes = boxes
        self.areas = areas
        self.feats = feats
        self.frame_id = frame_id
        self.n = len(kpts)

    @classmethod
    def prepare(cls, keypoints, bboxes, frame_id: int, features: Mapping[str, Any],
                num_kpts: Optional[int], per_person_keys: Sequence[str],
                pairwise_keys: Sequence[str],
                tensor_keys: Sequence[str] = ()) -> 'DetectionFrame':
        """Check and convert the inputs of ``update`` (see :meth:`PoseTracker.update`).

        Only the features named in ``per_person_keys`` (checked to have one row per person) and
        ``pairwise_keys`` (per-frame inputs: callables, ``(N, N_prev, K)`` arrays...) are kept;
        other names are ignored. Tensors of the ``tensor_keys`` stay tensors (device, dtype).
        """
        kpts = to_numpy(keypoints)
        if kpts.size == 0 and kpts.ndim < 3:
            kpts = kpts.reshape(0, num_kpts or 0, 3)
        if kpts.ndim != 3 or kpts.shape[-1] not in (2, 3):
            raise ValueError(f'keypoints must be (N, K, 3), got shape {kpts.shape}')
        if kpts.shape[-1] == 2:
            kpts = np.concatenate([kpts, np.ones(kpts.shape[:2] + (1, ))], -1)
        n, k = kpts.shape[:2]
        if n and num_kpts is not None and k != num_kpts:
            raise ValueError(f'expected {num_kpts} keypoints per person, got {k}')
        if not np.isfinite(kpts).all():
            kpts = kpts.copy()
            bad = ~np.isfinite(kpts[..., :2]).all(-1) | ~np.isfinite(kpts[..., 2])
            kpts[..., 2][bad] = 0.0  # a joint with a non-finite part is missing
            kpts[..., :2][bad] = np.nan
        if bboxes is None:
            boxes = boxes_around_joints(kpts)
        else:
            boxes = to_numpy(bboxes)
            if boxes.shape != (n, 4):
                raise ValueError(f'bboxes must be ({n}, 4) x1y1x2y2, got {boxes.shape}')
            if not np.isfinite(boxes).all():
                boxes = boxes.copy()
                bad = ~np.isfinite(boxes).all(1)
                boxes[bad] = boxes_around_joints(kpts[bad])
        wh = boxes[:, 2:] - boxes[:, :2]
        areas = wh[:, 0] * wh[:, 1]
        if not (areas >= 1.0).all():
            # inverted or degenerate boxes: the OKS scale falls back to the keypoint extent
            # (IoU treats them as zero-area boxes), floored at 1 px²
            bad = ~((wh > 0).all(1))
            areas = np.where(bad, 0.0, areas)
            if bad.any():
                kb = boxes_around_joints(kpts[bad])
                areas[bad] = np.maximum(kb[:, 2] - kb[:, 0], 0) * np.maximum(kb[:, 3] - kb[:, 1],
                                                                             0)
            areas = np.maximum(areas, 1.0)
        feats = {}
        if features:
            for key in per_person_keys:
                val = features.get(key)
                if val is None:
                    continue
                arr = val if key in tensor_keys and is_tensor(val) else to_numpy(val)
                if arr.ndim == 0 or len(arr) != n:
                    raise ValueError(f'feature {key!r} has {len(arr) if arr.ndim else 0} rows '
                                     f'for {n} people')
                feats[key] = arr
            for key in pairwise_keys:
                val = features.get(key)
                if val is not None:
                    feats[key] = val if callable(val) else to_numpy(val)
        return cls(kpts, boxes, areas, feats, frame_id)


@TRACKING_PARTS.register_module()
class TrackMemory:
    """The live tracks of one video in arrays, and their lifetime.

    Args:
        num_frames_retain: how many frames after its last observation a track can still be
            matched (1: only tracks seen in the previous frame).
        feature_momentum: a remembered feature becomes ``m · old + (1 − m) · new`` (0: latest).
        min_hits: frames a track must be observed in to be kept lost (1: every track); a
            tentative track (fewer) is popped at its first missed frame.
        motion: a motion part (``dict(type='KalmanBoxMotion')`` or
            ``dict(type='KeypointVelocityMotion')``, :mod:`mmpose_track.tracking.motion`), or
            None. With one, :meth:`start_frame` replaces each track's ``kpts`` / ``boxes`` /
            ``areas`` by its prediction at the current frame (what the similarities score), and
            :meth:`commit` restores the observations and feeds the matched ones to the model.

    Attributes (one row per live track): ``ids (M,)``, ``kpts (M, K, 3)``, ``boxes (M, 4)``,
    ``areas (M,)``, ``last (M,)`` (frame of the last observation), ``feats`` (``{name: (M,
    ...)}``, NaN rows for tracks never given the feature); per video: ``prev_ids`` (the ids
    returned by the previous update, in detection order), ``last_frame_id``, ``num_kpts``.
    ``feature_keys`` (the per-person features to remember) is set by the tracker from its
    similarity.
    """

    def __init__(self, num_frames_retain: int = 1, feature_momentum: float = 0.0,
                 motion=None, min_hits: int = 1):
        if num_frames_retain < 1:
            raise ValueError(f'num_frames_retain must be >= 1, got {num_frames_retain}')
        if not 0.0 <= feature_momentum < 1.0:
            raise ValueError('feature_momentum must be in [0, 1)')
        self.num_frames_retain = int(num_frames_retain)
        if min_hits < 1:
            raise ValueError(f'min_hits must be >= 1, got {min_hits}')
        self.min_hits = int(min_hits)
        self.feature_momentum = float(feature_momentum)
        self.feature_keys: Tuple[str, ...] = ()
        if isinstance(motion, Mapping):
            from ..builder import build_part
            motion = build_part(motion, 'motion')
        self.motion = motion
        self.reset()

    def reset(self) -> None:
        """Forget all tracks and restart ids at 0."""
        if self.motion is not None:
            self.motion.reset()
        self._obs = None  # the observations while kpts / boxes / areas hold predictions
        self.ids = _EMPTY
        self.kpts = np.zeros((0, 0, 3))
        self.boxes = np.zeros((0, 4))
        self.areas = np.zeros(0)
        self.last = _EMPTY
        self.feats: Dict[str, np.ndarray] = {}
        self.next_id = 0
        self.num_kpts: Optional[int] = None
        self.last_frame_id: Optional[int] = None
        self.prev_ids = _EMPTY
        cap = 64
        self._hits = np.zeros(cap, dtype=np.int64)
        self._first_seen = np.zeros(cap, dtype=np.int64)
        self._last_seen = np.zeros(cap, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.ids)

    # ------------------------------------------------------------------ views
    def active(self) -> np.ndarray:
        """``(M,)`` bool: the tracks observed in the previous update's frame."""
        return self.last == self.last_frame_id

    def prev_frame_positions(self, trk_idx: Optional[np.ndarray]) -> np.ndarray:
        """For memory rows ``trk_idx`` (None: all), the position of that track among the previous
        update's detections (to index per-frame pairwise features), ``-1`` if it was not there."""
        ids = take(self.ids, trk_idx)
        prev = self.prev_ids
        if len(prev) == 0 or len(ids) == 0:
            return np.full(len(ids), -1, dtype=np.int64)
        order = np.argsort(prev)
        srt = prev[order]
        p = np.minimum(np.searchsorted(srt, ids), len(srt) - 1)
        return np.where(srt[p] == ids, order[p], -1)

    @property
    def tracks(self) -> Dict[int, Dict[str, Any]]:
        """mmdet-like view of the live tracks: ``{id: memo}`` (built on demand, a copy)."""
        out = {}
        for r, tid in enumerate(self.ids):
            memo = dict(keypoints=self.kpts[r].copy(), bboxes=self.boxes[r].copy(),
                        frame_ids=[int(self._first_seen[tid]), int(self.last[r])],
                        num_hits=int(self._hits[tid]))
            for k, v in self.feats.items():
                memo[k] = v[r].clone() if is_tensor(v) else v[r].copy()
            out[int(tid)] = memo
        return out

    def track_lengths(self) -> Dict[int, int]:
        """``{id: number of frames it was observed in}`` for every id since the last reset."""
        return {i: int(h) for i, h in enumerate(self._hits[:self.next_id])}

    # ------------------------------------------------------------------ updates
    def start_frame(self, det: DetectionFrame) -> None:
        """Fix ``K`` on the first non-empty frame and pop the tracks too old to be matched at
        ``det.frame_id`` (ages by the gap when frames skip)."""
        if det.n and self.num_kpts is None:
            self.num_kpts = det.kpts.shape[1]
            self.kpts = np.zeros((0, self.num_kpts, 3))
        if len(self.ids):
            alive = self._alive(det.frame_id)
            if not alive.all():
                self._compress(alive)
        if self.motion is not None and len(self.ids):
            self._obs = (self.kpts, self.boxes, self.areas)
            self.kpts, self.boxes = self.motion.predict(self.kpts, self.boxes,
                                                        det.frame_id - self.last)
            wh = np.maximum(self.boxes[:, 2:] - self.boxes[:, :2], 0)
            self.areas = np.maximum(wh[:, 0] * wh[:, 1], 1.0)

    def apply_camera(self, transform: np.ndarray) -> None:
        """Move every track (its prediction, its last observation and its motion state) by a
        global ``2 x 3`` similarity transform of the image (camera motion between the last frame
        and the current one)."""
        from ..motion import apply_similarity_transform
        scale = float(np.sqrt(abs(np.linalg.det(transform[:, :2]))))

        def move(kpts, boxes, areas):
            kpts = kpts.copy()
            kpts[..., :2] = apply_similarity_transform(kpts[..., :2], transform)
            corners = apply_similarity_transform(boxes.reshape(-1, 2, 2), transform)
            boxes = np.concatenate([corners.min(1), corners.max(1)], 1)
            return kpts, boxes, areas * scale ** 2
        self.kpts, self.boxes, self.areas = move(self.kpts, self.boxes, self.areas)
        if self._obs is not None:
            self._obs = move(*self._obs)
        if self.motion is not None:
            self.motion.apply_camera(transform)

    def commit(self, det: DetectionFrame, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Detections ``rows`` continue the tracks in memory rows ``cols``; the others start new
        tracks. Returns the ``(N,)`` int64 ids of the detections."""
        n = det.n
        frame_id = det.frame_id
        ids = np.empty(n, dtype=np.int64)
        n_new = n - len(rows)
        if self._obs is not None:  # back from the predictions to the observations
            self.kpts, self.boxes, self.areas = self._obs
            self._obs = None
        if len(rows):
            ids[rows] = self.ids[cols]
            if self.motion is not None:
                self.motion.observe(cols, self.kpts[cols], self.boxes[cols], det.kpts[rows],
                                    det.boxes[rows], frame_id - self.last[cols])
            self._write(cols, det, rows, frame_id)
        if n_new:
            new = np.ones(n, dtype=bool)
            new[rows] = False
            new = np.flatnonzero(new)
            new_ids = np.arange(self.next_id, self.next_id + n_new, dtype=np.int64)
            ids[new] = new_ids
            self._append(new_ids, det, new, frame_id)
        if n:
            self._hits[ids] += 1
            self._last_seen[ids] = frame_id
        self.prev_ids = ids
        self.last_frame_id = frame_id
        return ids

    def pop_invalid_tracks(self, frame_id: int) -> None:
        """mmdet-compatible: drop tracks that can no longer be matched at ``frame_id``."""
        if len(self.ids):
            self._compress(self._alive(frame_id))

    def _alive(self, frame_id: int) -> np.ndarray:
        """``(M,)`` bool: the tracks that can still be matched at ``frame_id``."""
        age = frame_id - self.last
        alive = age <= self.num_frames_retain
        if self.min_hits > 1:  # tentative tracks live one frame past their last observation
            alive &= (age <= 1) | (self._hits[self.ids] >= self.min_hits)
        return alive

    def _write(self, rows_mem: np.ndarray, det: DetectionFrame, rows_det: np.ndarray,
               frame_id: int) -> None:
        self.kpts[rows_mem] = det.kpts[rows_det]
        self.boxes[rows_mem] = det.boxes[rows_det]
        self.areas[rows_mem] = det.areas[rows_det]
        self.last[rows_mem] = frame_id
        mom = self.feature_momentum
        for key in self.feature_keys:
            val = det.feats.get(key)
            if val is None:
                continue
            store = self._ensure_feat(key, val)
            new = val[rows_det]
            if is_tensor(store):
                import torch
                idx = torch.as_tensor(rows_mem, device=store.device)
                if mom > 0:
                    old = store[idx]
                    new = torch.where(torch.isfinite(old), mom * old + (1 - mom) * new, new)
                store[idx] = new
                continue
            if mom > 0:
                old = store[rows_mem]
                new = np.where(np.isfinite(old), mom * old + (1 - mom) * new, new)
            store[rows_mem] = new

    def _ensure_feat(self, key: str, val: np.ndarray) -> np.ndarray:
        store = self.feats.get(key)
        if store is not None and is_tensor(store) != is_tensor(val):
            raise ValueError(f'feature {key!r} changed kind within a video (tensor vs array)')
        if store is None:
            if is_tensor(val):
                import torch
                dtype = val.dtype if val.is_floating_point() else torch.float32
                store = torch.full((len(self.ids), ) + tuple(val.shape[1:]), float('nan'),
                                   dtype=dtype, device=val.device)
            else:
                store = np.full((len(self.ids), ) + val.shape[1:], np.nan)
            self.feats[key] = store
        elif store.shape[1:] != val.shape[1:]:
            raise ValueError(f'feature {key!r} changed shape: {store.shape[1:]} -> '
                             f'{val.shape[1:]}')
        return store

    def _append(self, new_ids: np.ndarray, det: DetectionFrame, rows_det: np.ndarray,
                frame_id: int) -> None:
        m_old = len(self.ids)
        if self.motion is not None:
            self.motion.start(det.kpts[rows_det], det.boxes[rows_det])
        self.ids = np.concatenate([self.ids, new_ids])
        self.kpts = np.concatenate([self.kpts, det.kpts[rows_det]])
        self.boxes = np.concatenate([self.boxes, det.boxes[rows_det]])
        self.areas = np.concatenate([self.areas, det.areas[rows_det]])
        self.last = np.concatenate([self.last, np.full(len(new_ids), frame_id, np.int64)])
        for key in self.feature_keys:
            val = det.feats.get(key)
            if val is not None:
                self._ensure_feat(key, val)
        for key, store in self.feats.items():
            val = det.feats.get(key)
            if is_tensor(store):
                import torch
                add = val[torch.as_tensor(rows_det, device=val.device)].to(store.dtype) \
                    if val is not None else store.new_full((len(new_ids), ) + store.shape[1:],
                                                           float('nan'))
                self.feats[key] = torch.cat([store[:m_old], add])
                continue
            add = val[rows_det] if val is not None else \
                np.full((len(new_ids), ) + store.shape[1:], np.nan)
            self.feats[key] = np.concatenate([store[:m_old], add])
        end = int(new_ids[-1]) + 1
        if end > len(self._hits):
            cap = max(end, 2 * len(self._hits))
            for name in ('_hits', '_first_seen', '_last_seen'):
                old = getattr(self, name)
                grown = np.zeros(cap, dtype=np.int64)
                grown[:len(old)] = old
                setattr(self, name, grown)
        self._first_seen[new_ids] = frame_id
        self.next_id = end

    def _compress(self, keep: np.ndarray) -> None:
        if self.motion is not None:
            self.motion.compress(keep)
        self.ids = self.ids[keep]
        self.kpts = self.kpts[keep]
        self.boxes = self.boxes[keep]
        self.areas = self.areas[keep]
        self.last = self.last[keep]
        for key in list(self.feats):
            store = self.feats[key]
            if is_tensor(store):
                import torch
                self.feats[key] = store[torch.as_tensor(keep, device=store.device)]
            else:
                self.feats[key] = store[keep]

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_frames_retain={self.num_frames_retain}, '
                f'min_hits={self.min_hits}, '
                f'feature_momentum={self.feature_momentum}, motion={self.motion!r}, '
                f'live_tracks={len(self.ids)}, '
                f'next_id={self.next_id})')
