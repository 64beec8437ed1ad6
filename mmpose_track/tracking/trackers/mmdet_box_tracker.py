"""MMDet's box trackers (SORT, ByteTrack, OC-SORT) as pose trackers, through one thin adapter.

:class:`MMDetBoxTracker` builds a tracker of ``mmdet.models.trackers`` (``SORTTracker``,
``ByteTracker``, ``OCSORTTracker``, from ``mmdet.registry.MODELS``) and drives it with the boxes
of the poses, so that box trackers and pose trackers are compared on the same detections
(``tools/track.py DETS --tracker configs/trackers/mmdet_bytetrack.py --out PRED``). The matching
logic is MMDet's, untouched; the adapter only

* turns each frame into the ``DetDataSample`` that ``track()`` reads (``metainfo['frame_id']``;
  ``pred_instances``: ``bboxes`` ``(N, 4)``, ``scores`` ``(N,)``, ``labels`` all 0, CPU float32),
* maps the returned ``instances_id`` back to the input order (MMDet returns its kept detections
  regrouped by association stage), and
* gives every detection MMDet did not keep a new id (see below), so no person is lost.

Importing this module is light (numpy and ``mmengine.registry``): mmdet and torch are imported
when a tracker is built.
"""
import warnings
from typing import Any, Dict, Mapping, Optional

import numpy as np

from mmpose_track.registry import POSE_TRACKERS
from .._utils import split_keypoints, to_numpy
from ..filters import short_track_remap
from ..similarity import bboxes_from_keypoints, valid_joints

__all__ = ['MMDetBoxTracker', 'match_rows']

_NOT_INPUTS = ('the MMDet tracker returned a box that is not one of its inputs; MMDetBoxTracker '
               'supports trackers that return (a subset of) their input boxes')
#: MMDet trackers whose ``reid`` defaults to a ReID model config (pose tracking has none)
_REID_TRACKERS = ('SORTTracker', 'OCSORTTracker')


def match_rows(src: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Where each row of ``out`` is in ``src`` (exact equality, each ``src`` row used once).

    MMDet's trackers return a subset of the input rows, regrouped; identical rows are told apart
    by their order of occurrence (the k-th copy in ``out`` is the k-th copy in ``src``: identical
    detections are indistinguishable to the tracker, so any one-to-one choice is right).

    Args:
        src: ``(N, D)`` rows given to the tracker.
        out: ``(M, D)`` rows it returned, ``M <= N``, each one (bit for bit) a row of ``src``.

    Returns:
        ``(M,)`` int64 indices into ``src``, all different.

    Raises:
        RuntimeError: a row of ``out`` is not in ``src`` (or more often than there).
    """
    n, m = len(src), len(out)
    if m == 0:
        return np.zeros(0, np.int64)
    if m > n:
        raise RuntimeError(_NOT_INPUTS)
    _, group = np.unique(np.concatenate([src, out]), axis=0, return_inverse=True)
    group = group.reshape(-1).astype(np.int64)
    # rank of each row among the rows of its group, counted separately in src and out
    side = np.repeat(np.array([0, 1], np.int64), [n, m])
    key = group * 2 + side
    order = np.argsort(key, kind='stable')
    sorted_key = key[order]
    first = np.searchsorted(sorted_key, sorted_key, side='left')
    rank = np.empty(n + m, np.int64)
    rank[order] = np.arange(n + m) - first
    src_key = group[:n] * (n + 1) + rank[:n]
    out_key = group[n:] * (n + 1) + rank[n:]
    src_order = np.argsort(src_key)
    pos = np.minimum(np.searchsorted(src_key[src_order], out_key), n - 1)
    idx = src_order[pos]
    if not np.array_equal(src_key[idx], out_key):
        raise RuntimeError(_NOT_INPUTS)
    return idx


@POSE_TRACKERS.register_module()
class MMDetBoxTracker:
    """An MMDet box tracker (SORT, ByteTrack, OC-SORT) tracking the boxes of poses.

    Boxes: the given ``bboxes`` (``box_from='bboxes'``; when ``update`` gets ``None``, the boxes
    from the joints as below) or (``box_from='keypoints'``) the tight box around the joints scored
    ``> 0`` (:func:`~mmpose_track.tracking.bboxes_from_keypoints`) enlarged ``bbox_scale`` times
    about its centre (default 1.25, MMPose's top-down box padding: the joints lie inside the
    person, the detector's box around it). Every box is then widened to at least ``min_box_size``
    pixels (MMDet's Kalman filter divides by the box height).

    Scores (what MMDet thresholds): ``score_from='bbox'``: the ``bbox_scores`` feature (the
    detector's person score; ``VideoTrackingStream`` passes it when ``pred_instances`` holds it,
    ``tools/track.py`` with ``--features bbox_scores``), falling back (warned once) to the pose
    score when it is not given; ``score_from='pose'``: the pose score, the mean score of the joints
    scored ``> 0`` (0 for a pose without one). MMDet's MOT17 thresholds were tuned for YOLOX
    person scores; pose scores are often lower, so tune them (``init_track_thr``...) per
    estimator.

    Detections MMDet does not keep (below its score thresholds, e.g. ByteTrack's ``low`` score or
    ``init_track_thr`` for a new track, or a low-score detection left unmatched by ByteTrack's
    second association) get a new id each, taken from the MMDet tracker's own id counter, so it is
    never used by a track: such a person is a one-frame track (``min_track_length=2`` with
    :meth:`finalize` drops them, e.g. ``tools/track.py --drop-short-tracks``).

    Frames and videos: ``reset()`` resets the MMDet tracker; the frame ids given to MMDet are
    counted from the first frame after the reset (MMDet treats frame 0 as a video's first frame:
    it resets there, and ByteTrack / OC-SORT confirm the tracks born in it at once), keeping the
    gaps between frame ids (a gap ages the tracks). Frame ids must increase within a video
    (``ValueError`` otherwise: call ``reset()`` first). After ``reset()`` ids restart at 0.

    MMDet's logic is kept as is: e.g. SORT (without ReID) matches by IoU with the last box of the
    tracks seen in the previous frame only; ByteTrack and OC-SORT match the Kalman-predicted boxes
    of tracks lost up to ``num_frames_retain`` frames ago, and run the Kalman prediction only in
    frames that have detections.

    Args:
        tracker: the MMDet tracker's config, ``dict(type='ByteTracker', motion=dict(
            type='KalmanFilter'), ...)``; a SORT / OC-SORT config without ``reid`` gets
            ``reid=None`` (there is no ReID model).
        box_from: ``'bboxes'`` or ``'keypoints'``.
        score_from: ``'bbox'`` or ``'pose'``.
        bbox_scale: enlargement of the boxes derived from the joints.
        min_box_size: the least width and height of a box, in pixels.
        min_track_length: tracks observed in fewer frames are mapped to ``-1`` by
            :meth:`finalize`.

    Attributes:
        feature_keys: ``('bbox_scores',)``, an optional feature.
        tracker: the MMDet tracker.
    """
    feature_keys = ('bbox_scores', )

    def __init__(self,
                 tracker: Mapping[str, Any],
                 box_from: str = 'bboxes',
                 score_from: str = 'bbox',
                 bbox_scale: float = 1.25,
                 min_box_size: float = 1.0,
                 min_track_length: int = 1):
        if not isinstance(tracker, Mapping) or 'type' not in tracker:
            raise TypeError(f'tracker must be an MMDet tracker config dict with a "type", '
                            f'got {tracker!r}')
        if box_from not in ('bboxes', 'keypoints'):
            raise ValueError(f"box_from must be 'bboxes' or 'keypoints', got {box_from!r}")
        if score_from not in ('bbox', 'pose'):
            raise ValueError(f"score_from must be 'bbox' or 'pose', got {score_from!r}")
        if not bbox_scale > 0 or not min_box_size > 0:
            raise ValueError(f'bbox_scale and min_box_size must be > 0, got {bbox_scale}, '
                             f'{min_box_size}')
        self.tracker_cfg = dict(tracker)
        self.box_from = box_from
        self.score_from = score_from
        self.bbox_scale = float(bbox_scale)
        self.min_box_size = float(min_box_size)
        self.min_track_length = int(min_track_length)
        self.tracker = self._build(self.tracker_cfg)
        self._warned = False
        self.reset()

    @staticmethod
    def _build(cfg: Dict[str, Any]):
        """Build the MMDet tracker from ``mmdet.registry.MODELS`` (in MMDet's scope)."""
        from mmdet.registry import MODELS
        from mmdet.utils import register_all_modules
        from mmengine.registry import DefaultScope
        register_all_modules(init_default_scope=False)
        cfg = dict(cfg)
        name = cfg['type'] if isinstance(cfg['type'], str) else cfg['type'].__name__
        if name.rpartition('.')[2] in _REID_TRACKERS:
            cfg.setdefault('reid', None)
        with DefaultScope.overwrite_default_scope('mmdet'):
            tracker = MODELS.build(cfg)
        if not hasattr(tracker, 'track') or not hasattr(tracker, 'reset'):
            raise TypeError(f'{name} is not an MMDet tracker (track(), reset())')
        if getattr(tracker, 'with_reid', False) and name.rpartition('.')[2] == 'SORTTracker':
            raise ValueError(f'{name}: reid needs a ReID model and images, which pose tracking '
                             'does not have; set reid=None')
        return tracker

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget all tracks (the MMDet tracker's ``reset()``); ids restart at 0."""
        self.tracker.reset()
        self._first_frame: Optional[int] = None
        self._last_frame: Optional[int] = None
        self._lengths = np.zeros(0, np.int64)

    @property
    def num_tracks(self) -> int:
        """Number of ids given since the last reset."""
        return int(self.tracker.num_tracks)

    def track_lengths(self) -> Dict[int, int]:
        """``{id: number of frames it was observed in}`` for every id since the last reset."""
        ids = np.flatnonzero(self._lengths)
        return dict(zip(ids.tolist(), self._lengths[ids].tolist()))

    def finalize(self) -> Dict[int, int]:
        """Offline step at the end of a video: ``{id: id, or -1 when observed in fewer than
        min_track_length frames}``. Does not reset the tracker."""
        return short_track_remap(self.track_lengths(), self.min_track_length)

    # ------------------------------------------------------------------ inputs
    def _frame_id(self, frame_id) -> int:
        last = self._last_frame
        if frame_id is None:
            return 0 if last is None else last + 1
        fid = int(frame_id)
        if last is not None and fid <= last:
            raise ValueError(f'frame_id {fid} does not come after the last frame {last}: frames '
                             'must be given in increasing order; call reset() before a new video')
        return fid

    def _boxes(self, kpts: np.ndarray, bboxes) -> np.ndarray:
        n = len(kpts)
        if self.box_from == 'bboxes' and bboxes is not None:
            boxes = to_numpy(bboxes)
            if boxes.shape != (n, 4):
                raise ValueError(f'bboxes must be (N, 4) = ({n}, 4), got {boxes.shape}')
            if not np.isfinite(boxes).all():
                raise ValueError('bboxes hold non-finite values')
        else:
            boxes = np.asarray(bboxes_from_keypoints(kpts, 0.0), np.float64)
            ctr = 0.5 * (boxes[:, :2] + boxes[:, 2:])
            half = 0.5 * self.bbox_scale * (boxes[:, 2:] - boxes[:, :2])
            boxes = np.concatenate([ctr - half, ctr + half], 1)
        ctr = 0.5 * (boxes[:, :2] + boxes[:, 2:])
        half = np.maximum(0.5 * (boxes[:, 2:] - boxes[:, :2]), 0.5 * self.min_box_size)
        return np.concatenate([ctr - half, ctr + half], 1)

    def _scores(self, kpts: np.ndarray, features: Mapping[str, Any]) -> np.ndarray:
        n = len(kpts)
        given = features.get('bbox_scores')
        if self.score_from == 'bbox':
            if given is not None:
                scores = to_numpy(given).reshape(-1)
                if scores.shape != (n, ) or not np.isfinite(scores).all():
                    raise ValueError(f'bbox_scores must be {n} finite numbers, got shape '
                                     f'{scores.shape}')
                return scores
            if not self._warned and n:
                self._warned = True
                warnings.warn(f'{type(self).__name__}: no `bbox_scores` feature; scoring the '
                              'boxes with the mean joint score', stacklevel=3)
        _, kp_scores = split_keypoints(kpts)
        valid = valid_joints(kpts, 0.0)
        count = valid.sum(1)
        return np.where(valid, kp_scores, 0.0).sum(1) / np.maximum(count, 1)

    # ------------------------------------------------------------------ main
    def update(self, keypoints, bboxes=None, frame_id: Optional[int] = None,
               **features) -> np.ndarray:
        """Assign track ids to the people of one frame.

        Args:
            keypoints: ``(N, K, 3)`` (x, y, score) numpy array or tensor (``N`` may be 0).
            bboxes: ``(N, 4)`` x1y1x2y2, or None (boxes from the joints).
            frame_id: frame index, increasing within a video (None: previous + 1).
            **features: ``bbox_scores`` ``(N,)`` (optional); other names are ignored.

        Returns:
            ``(N,)`` int64 numpy array of track ids ``>= 0``, unique within the frame.
        """
        import torch
        from mmdet.structures import DetDataSample
        from mmengine.structures import InstanceData
        kpts = to_numpy(keypoints)
        if kpts.ndim != 3 or kpts.shape[-1] not in (2, 3):
            raise ValueError(f'keypoints must be (N, K, 3), got {kpts.shape}')
        fid = self._frame_id(frame_id)
        if self._first_frame is None:
            self._first_frame = fid
        n = len(kpts)
        rows = np.concatenate([self._boxes(kpts, bboxes), self._scores(kpts, features)[:, None]],
                              1).astype(np.float32)
        rows_t = torch.from_numpy(rows)
        sample = DetDataSample(metainfo=dict(frame_id=fid - self._first_frame))
        sample.pred_instances = InstanceData(
            bboxes=rows_t[:, :4], scores=rows_t[:, 4], labels=torch.zeros(n, dtype=torch.long))
        res = self.tracker.track(model=None, img=None, data_sample=sample)
        self._last_frame = fid

        ids = np.full(n, -1, np.int64)
        if len(res):
            out = torch.cat([res.bboxes, res.scores[:, None]], 1).numpy()
            ids[match_rows(rows, out)] = res.instances_id.numpy()
        dropped = ids < 0
        if dropped.any():  # a new id each, from MMDet's own counter (no track will take it)
            start = int(self.tracker.num_tracks)
            ids[dropped] = np.arange(start, start + int(dropped.sum()))
            self.tracker.num_tracks = start + int(dropped.sum())
        if n:
            need = int(ids.max()) + 1
            if need > len(self._lengths):
                self._lengths = np.concatenate(
                    [self._lengths, np.zeros(need - len(self._lengths), np.int64)])
            self._lengths[ids] += 1
        return ids

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(tracker={self.tracker_cfg!r}, box_from='
                f'{self.box_from!r}, score_from={self.score_from!r}, bbox_scale='
                f'{self.bbox_scale}, min_track_length={self.min_track_length})')
