"""The online tracking loop shared by all pose trackers, built from three config parts.

A tracker config names its parts, in the manner of MMDet's trackers (which build ``motion`` and
friends from ``TASK_UTILS``)::

    tracker = dict(
        type='PoseTracker',
        similarity=dict(type='OKSSimilarity'),                # who looks like whom, (n, m)
        assigner=dict(type='HungarianAssigner', match_thr=0.3),  # who continues which track
        memory=dict(type='TrackMemory', num_frames_retain=5),    # what a track remembers
        reactivate=True, cascade=True)

The parts live in ``mmpose_track.registry.TRACKING_PARTS``; a new similarity is one small class
(:class:`~.base_similarity.BaseSimilarity`). The registered names of the papers' trackers
(``OKSHungarianTracker``...) are :class:`PresetTracker` subclasses: the same loop with their parts
preset from flat config keys (``match_thr``, ``num_frames_retain``, the similarity's options).

Lifecycle: ids are ``0, 1, 2, …`` in order of creation and never reused until ``reset()``. Frame
ids must increase strictly (a smaller or equal one raises ``ValueError`` — call ``reset()``
between videos). Matching is one stage against all live tracks, or (``cascade=True``) first
against the tracks seen in the previous processed frame, then the remaining detections against
lost tracks (re-activation); ``reactivate=False`` never matches lost tracks.
"""
from typing import Any, Dict, Mapping, Optional, Tuple, Union

import numpy as np

from mmpose_track.registry import POSE_TRACKERS
from ..builder import build_part
from ..camera_motion import (ecc_frame, estimate_camera_motion, image_camera_motion,
                             joint_agreement)
from ..filters import filter_low_score_joints, short_track_remap
from .._utils import is_tensor, to_numpy
from .assigners import GreedyAssigner, HungarianAssigner
from .track_memory import DetectionFrame, TrackMemory

__all__ = ['PoseTracker', 'PresetTracker', 'BasePoseTracker']

_EMPTY = np.zeros(0, dtype=np.int64)
_IDENTITY = np.eye(2, 3)  # the camera transform of a still camera
PartCfg = Union[Mapping[str, Any], Any]


@POSE_TRACKERS.register_module()
class PoseTracker:
    """Online pose tracker: similarity, assignment and track memory built from config.

    Args:
        similarity: the similarity part (a :class:`~.base_similarity.BaseSimilarity`, or its
            config ``dict(type=..., ...)`` in ``TRACKING_PARTS``).
        assigner: the assignment part; default ``dict(type='HungarianAssigner',
            match_thr=0.3)``. Its ``match_thr`` is passed to the similarity as ``min_sim``.
        memory: the track memory; default ``dict(type='TrackMemory', num_frames_retain=1)``.
        reactivate: match lost tracks (not seen in the previous frame but retained).
        cascade: match tracks seen in the previous frame first, lost tracks second.
        min_track_length: tracks observed in fewer frames are mapped to ``-1`` by
            :meth:`finalize` (offline; clip tracking drops very short tracklets before MOTA).
        joint_score_thr: joints scored below it are zeroed by :meth:`filter_output` (the
            papers threshold low-confidence joints before MOTA); not used for matching.
        score_thrs: ByteTrack's two-stage association, ``dict(high=0.6)``: people whose pose
            score (mean joint score) is at least ``high`` are matched first (with the cascade
            above); the others then only against the tracks of the previous frame still
            unmatched. Unmatched people of either kind start tracks (every person gets an id;
            ByteTrack drops its low-score leftovers, a pose tracker must not lose predictions).
            None: one stage.
        camera_motion: compensation of the camera's motion from the poses,
            ``dict(inlier_ratio=0.5, max_candidates=64, min_inliers=2)``: before matching, the
            global similarity transform that carries the tracks onto the people of the frame
            (:func:`~mmpose_track.tracking.camera_motion.estimate_camera_motion`) moves every
            track (:meth:`TrackMemory.apply_camera`). With ``source='image'`` the motion is
            measured on the frames instead (ECC, MMDet's ``CameraMotionCompensation``;
            ``image=dict(max_side=320, warp_mode=..., min_corr=0.8)``, the arguments of
            :func:`~mmpose_track.tracking.camera_motion.ecc_frame` and
            :func:`~mmpose_track.tracking.camera_motion.image_camera_motion`): :meth:`update`
            then reads the per-frame feature ``image`` (``(H, W, 3)`` BGR) and falls back to
            the poses in frames where ECC fails or no image is given. None: off.
        stitch: offline stitching at :meth:`finalize` (PoseTrack is scored offline),
            ``dict(max_gap=10, sim_thr=0.3, ...)``, the arguments of
            :func:`~mmpose_track.tracking.stitching.stitch_tracks`: a track that ends and one
            that starts at most ``max_gap`` frames later are linked by Hungarian on their
            velocity-extrapolated OKS (and appearance, when the similarity reads
            ``embeddings``); ``min_track_length`` then counts the stitched tracks. The tracker
            keeps its output of the video for it. None: off.
        interpolate: gap filling after :meth:`finalize`, ``dict(max_gap=5, score_factor=0.5)``
            (:func:`~mmpose_track.tracking.stitching.interpolate_track_gaps`, MMDet's
            ``InterpolateTracklets`` for joints): :meth:`gap_fill` gives the poses of the frames
            a (stitched) track missed, joints interpolated, scores lowered; the tracking stream
            and ``tools/track.py`` add them. None: off.

    Attributes:
        feature_keys: names of the features :meth:`update` reads (the similarity's per-person
            and per-frame ones), e.g. ``('embeddings',)``; ``()`` when none.
    """

    def __init__(self,
                 similarity: PartCfg,
                 assigner: Optional[PartCfg] = None,
                 memory: Optional[PartCfg] = None,
                 reactivate: bool = True,
                 cascade: bool = True,
                 min_track_length: int = 1,
                 joint_score_thr: float = 0.0,
                 score_thrs: Optional[Mapping[str, float]] = None,
                 camera_motion: Optional[Mapping[str, Any]] = None,
                 stitch: Optional[Mapping[str, Any]] = None,
                 interpolate: Optional[Mapping[str, Any]] = None):
        self.similarity = build_part(similarity, 'similarity')
        self.assigner = build_part(
            dict(type='HungarianAssigner', match_thr=0.3) if assigner is None else assigner,
            'assigner')
        self.memory: TrackMemory = build_part(
            dict(type='TrackMemory') if memory is None else memory, 'memory')
        self.reactivate = bool(reactivate)
        self.cascade = bool(cascade)
        self.min_track_length = int(min_track_length)
        self.joint_score_thr = float(joint_score_thr)
        if score_thrs is not None and set(score_thrs) - {'high'}:
            raise ValueError(f'score_thrs takes high=..., got {dict(score_thrs)}')
        self.score_thrs = None if score_thrs is None else dict(score_thrs)
        self.camera_motion = None if camera_motion is None else dict(camera_motion)
        self._image_cmc: Optional[Dict[str, Any]] = None  # ECC options (source='image')
        if self.camera_motion is not None:
            source = self.camera_motion.pop('source', 'poses')
            image_opts = dict(self.camera_motion.pop('image', None) or {})
            if source not in ('poses', 'image'):
                raise ValueError(f"camera_motion source must be 'poses' or 'image', got "
                                 f'{source!r}')
            if source == 'image':
                self._image_cmc = dict(max_side=image_opts.pop('max_side', 320),
                                       ecc=image_opts)
        self.stitch = None if stitch is None else dict(stitch)
        self.interpolate = None if interpolate is None else dict(interpolate)
        #: the camera transform found at the last update (None: none or off)
        self.last_camera_transform: Optional[np.ndarray] = None
        sim = self.similarity
        self._person_keys: Tuple[str, ...] = tuple(sim.feature_keys)
        self._pairwise_keys: Tuple[str, ...] = tuple(sim.pairwise_keys)
        self._tensor_keys: Tuple[str, ...] = tuple(getattr(sim, 'tensor_keys', ()))
        #: ``{pairwise key: ('cur' | 'prev', ...)}``, the frames its leading axes index
        self.pairwise_axes = dict(getattr(sim, 'pairwise_axes', {}))
        self.feature_keys: Tuple[str, ...] = tuple(
            dict.fromkeys(self._person_keys + self._pairwise_keys +
                          (('image', ) if self._image_cmc is not None else ())))
        self.memory.feature_keys = tuple(sim.remembered_keys)
        self._min_sim = getattr(self.assigner, 'match_thr', None)
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget all tracks and restart ids at 0 (call between videos)."""
        self.memory.reset()
        self._history: list = []  # (frame ids, track ids, keypoints, embeddings) per update
        self._prev_frame = None  # the previous update's image, as ecc_frame gives it

    def set_dataset_meta(self, dataset_meta: Mapping[str, Any]) -> None:
        """Take the dataset metainfo (e.g. OKS ``sigmas``) where the config left it open."""
        self.similarity.set_dataset_meta(dataset_meta)

    @property
    def num_tracks(self) -> int:
        """Number of tracks created since the last reset."""
        return self.memory.next_id

    @property
    def empty(self) -> bool:
        return len(self.memory) == 0

    @property
    def tracks(self) -> Dict[int, Dict[str, Any]]:
        """mmdet-like view of the live tracks: ``{id: memo}`` (built on demand, a copy)."""
        return self.memory.tracks

    def track_lengths(self) -> Dict[int, int]:
        """``{id: number of frames it was observed in}`` for every id since the last reset."""
        return self.memory.track_lengths()

    def finalize(self) -> Dict[int, int]:
        """Offline step at the end of a video: ``{id: new id}``, the stitched id (``stitch``)
        or ``-1`` when the (stitched) track is shorter than ``min_track_length``. Does not reset
        the tracker."""
        lengths = self.track_lengths()
        if self.stitch is None or not self._history:
            return short_track_remap(lengths, self.min_track_length)
        from ..stitching import stitch_tracks
        frames, ids, kpts, emb = self._video_output()
        stitched = stitch_tracks(frames, ids, kpts, embeddings=emb, **self.stitch)
        merged: Dict[int, int] = {}  # frames of each stitched track
        for old, n in lengths.items():
            new = stitched.get(old, old)
            merged[new] = merged.get(new, 0) + n
        keep = short_track_remap(merged, self.min_track_length)
        return {int(old): keep[stitched.get(old, old)] for old in lengths}

    def _video_output(self):
        """This video's output so far: frame ids, track ids, keypoints, embeddings (or None)."""
        return tuple(None if any(v is None for v in x) else np.concatenate(x)
                     for x in zip(*self._history))

    def gap_fill(self, remap: Optional[Mapping[int, int]] = None):
        """Poses for the frames the tracks missed (``interpolate``), after ``remap`` (what
        :meth:`finalize` returned: stitched ids, ``-1`` dropped).

        Returns:
            tuple: ``frame_ids (L,)``, ``track_ids (L,)`` (after ``remap``) and ``keypoints
            (L, K, 3)``; empty when ``interpolate`` is off or nothing is missing.
        """
        k = self.memory.num_kpts or 0
        empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, k, 3)))
        if self.interpolate is None or not self._history:
            return empty
        from ..stitching import interpolate_track_gaps
        from ..video_stream import remap_track_ids
        frames, ids, kpts, _ = self._video_output()
        ids = remap_track_ids(ids, dict(remap or {}))
        keep = ids >= 0
        if not keep.any():
            return empty
        return interpolate_track_gaps(frames[keep], ids[keep], kpts[keep], **self.interpolate)

    def filter_output(self, keypoints):
        """:func:`filter_low_score_joints` with this tracker's ``joint_score_thr``."""
        if self.joint_score_thr <= 0:
            return keypoints
        return filter_low_score_joints(keypoints, self.joint_score_thr)

    def pop_invalid_tracks(self, frame_id: int) -> None:
        """mmdet-compatible: drop tracks that can no longer be matched at ``frame_id``."""
        self.memory.pop_invalid_tracks(frame_id)

    # ------------------------------------------------------------------ main
    def _check_frame_id(self, frame_id) -> int:
        last = self.memory.last_frame_id
        if frame_id is None:
            return 0 if last is None else last + 1
        fid = int(frame_id)
        if last is not None and fid <= last:
            raise ValueError(
                f'frame_id {fid} does not come after the last frame {last}: '
                'frames must be given in increasing order; call reset() before a new (or the '
                'same) video')
        return fid

    def _match(self, sim: np.ndarray, det_idx: Optional[np.ndarray],
               trk_idx: Optional[np.ndarray]):
        """Match detections ``det_idx`` to memory rows ``trk_idx`` (None: all) on their block of
        the frame's similarity matrix ``sim (N, M)``; returns (det, row) index arrays."""
        sub = sim if det_idx is None else sim[det_idx]
        if trk_idx is not None:
            sub = sub[:, trk_idx]
        r, c = self.assigner(sub)
        if det_idx is not None:
            r = det_idx[r]
        if trk_idx is not None:
            c = trk_idx[c]
        return r, c

    def _associate(self, sim: np.ndarray, det_idx: Optional[np.ndarray]):
        """Match detections ``det_idx`` (None: all) to the tracks: one stage, or the cascade
        (tracks of the previous frame first, then lost ones); ``(det, row)`` index arrays."""
        mem = self.memory
        m = len(mem)
        active = mem.active()
        if not self.reactivate:
            idx = np.flatnonzero(active)
            if not len(idx):
                return _EMPTY, _EMPTY
            return self._match(sim, det_idx, None if len(idx) == m else idx)
        if not self.cascade or active.all() or not active.any():
            return self._match(sim, det_idx, None)
        rows, cols = self._match(sim, det_idx, np.flatnonzero(active))
        n = len(sim)
        left = np.ones(n, dtype=bool) if det_idx is None else np.zeros(n, dtype=bool)
        if det_idx is not None:
            left[det_idx] = True
        left[rows] = False
        if left.any():
            r2, c2 = self._match(sim, np.flatnonzero(left), np.flatnonzero(~active))
            if len(r2):
                rows = np.concatenate([rows, r2])
                cols = np.concatenate([cols, c2])
        return rows, cols

    def _associate_frame(self, det: DetectionFrame):
        """One or two stages (``score_thrs``) of :meth:`_associate`; ``(det, row)`` arrays.

        The similarity is evaluated once, between every detection and every live track (each
        similarity is element-wise: a block of it equals the similarity of the subsets); the
        stages and the cascade assign on blocks of it."""
        mem = self.memory
        sim = to_numpy(self.similarity(det, mem, None, None, self._min_sim))
        if self.score_thrs is None:
            return self._associate(sim, None)
        # pose score (mean joint score) >= high, as a sum (np.mean costs more at small N)
        is_high = det.kpts[..., 2].sum(1) >= self.score_thrs['high'] * det.kpts.shape[1]
        if is_high.all():
            return self._associate(sim, None)
        high = np.flatnonzero(is_high)
        rows, cols = self._associate(sim, high) if len(high) else (_EMPTY, _EMPTY)
        free = mem.active()
        free[cols] = False
        if free.any():
            r2, c2 = self._match(sim, np.flatnonzero(~is_high), np.flatnonzero(free))
            rows, cols = np.concatenate([rows, r2]), np.concatenate([cols, c2])
        return rows, cols

    def _camera_moved(self, det: DetectionFrame, rows: np.ndarray, cols: np.ndarray) -> bool:
        """Camera-motion compensation after a first association: when nearly every track of the
        previous frame found its person confidently (joint agreement, the score
        :func:`~mmpose_track.tracking.camera_motion.estimate_camera_motion` uses, above 0.5),
        no motion could beat the still camera and nothing is estimated; otherwise the transform
        is estimated and, unless it is the identity, moves every track
        (:meth:`TrackMemory.apply_camera`). Returns whether it did."""
        mem = self.memory
        active = mem.active()  # lost tracks' old places would mislead
        num_seen = np.count_nonzero(active)
        if not num_seen:
            return False
        # the motion must explain min_gain people more than the still camera (see
        # estimate_camera_motion), and at most min(tracks, people) are explained
        room = min(num_seen, det.n) - self.camera_motion.get('min_gain', 2)
        on = active[cols]
        if np.count_nonzero(on) > room:
            c = cols[on]
            good = np.count_nonzero(
                joint_agreement(mem.kpts[c], mem.boxes[c], det.kpts[rows[on]]) > 0.5)
            if good > room:
                return False
        seen = np.flatnonzero(active)
        t = estimate_camera_motion(mem.kpts[seen], mem.boxes[seen], det.kpts, det.boxes,
                                   **self.camera_motion)
        if t is None or np.array_equal(t, _IDENTITY):
            return False
        mem.apply_camera(t)
        self.last_camera_transform = t
        return True

    def _image_moved(self, image) -> bool:
        """Image-based compensation (``source='image'``): the ECC motion from the previous
        update's frame to ``image`` moves every track. Returns whether the motion was measured
        (False: no image, no previous frame or ECC failed; the poses decide then)."""
        if image is None:
            self._prev_frame = None
            return False
        prev = self._prev_frame
        self._prev_frame = ecc_frame(to_numpy(image, None), self._image_cmc['max_side'])
        if prev is None or not len(self.memory):
            return False
        t = image_camera_motion(prev, self._prev_frame, **self._image_cmc['ecc'])
        if t is None:
            return False
        if not np.allclose(t, _IDENTITY, atol=1e-3):
            self.memory.apply_camera(t)
            self.last_camera_transform = t
        return True

    def update(self, keypoints, bboxes=None, frame_id: Optional[int] = None,
               **features) -> np.ndarray:
        """Assign track ids to the people of one frame.

        Args:
            keypoints: ``(N, K, 3)`` (x, y, score) numpy array or tensor (``N`` may be 0).
            bboxes: ``(N, 4)`` x1y1x2y2, or None (tight boxes around the joints scored > 0).
            frame_id: frame index, strictly increasing within a video (None: previous + 1).
            **features: the features named in :attr:`feature_keys` (per-person ``(N, ...)``
                arrays or tensors, or the per-frame inputs the similarity documents); other
                names are ignored.

        Returns:
            ``(N,)`` int64 numpy array of track ids ``>= 0``, unique within the frame.
        """
        mem = self.memory
        frame_id = self._check_frame_id(frame_id)
        det = DetectionFrame.prepare(keypoints, bboxes, frame_id, features, mem.num_kpts,
                                     self._person_keys, self._pairwise_keys,
                                     self._tensor_keys)
        mem.start_frame(det)
        n, m = det.n, len(mem)
        rows = cols = _EMPTY
        self.last_camera_transform = None
        image_moved = False
        if self._image_cmc is not None:
            image_moved = self._image_moved(features.get('image')) and bool(n and m)
        if n and m:
            rows, cols = self._associate_frame(det)
            if self.camera_motion is not None and not image_moved and \
                    self._camera_moved(det, rows, cols):
                rows, cols = self._associate_frame(det)  # again, the tracks moved with it
        ids = mem.commit(det, rows, cols)
        if (self.stitch is not None or self.interpolate is not None) and n:
            emb = det.feats.get('embeddings')
            self._history.append((np.full(n, frame_id, np.int64), ids, det.kpts.copy(),
                                  None if emb is None or is_tensor(emb) else np.asarray(emb)))
        return ids

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(similarity={self.similarity!r}, '
                f'assigner={self.assigner!r}, memory={self.memory!r}, '
                f'reactivate={self.reactivate}, cascade={self.cascade})')


def assigner_from_name(name: str, match_thr: float):
    """The assigner of the flat ``assigner`` key: ``'hungarian'``, ``'greedy'`` (row order,
    MMPose 0.x) or ``'greedy_global'``."""
    if name == 'hungarian':
        return HungarianAssigner(match_thr)
    if name in ('greedy', 'greedy_global'):
        return GreedyAssigner(match_thr, 'row' if name == 'greedy' else 'global')
    raise ValueError(f"unknown assigner {name!r}: 'hungarian', 'greedy' or 'greedy_global' (or "
                     "an assigner config dict)")


class PresetTracker(PoseTracker):
    """A :class:`PoseTracker` whose assigner and memory come from flat config keys.

    Base of the registered trackers of the papers (``OKSHungarianTracker``...), which add their
    similarity's options to these keys.

    Args:
        similarity: the similarity part (object or config).
        match_thr: the assigner's threshold (pairs are matched only when ``>`` it).
        assigner: ``'hungarian'``, ``'greedy'`` or ``'greedy_global'``, or an assigner config /
            object (then used as is and ``match_thr`` is not applied to it).
        num_frames_retain, feature_momentum, motion: :class:`~.track_memory.TrackMemory`'s.
        **kwargs: the lifecycle keys of :class:`PoseTracker` (``reactivate``, ``cascade``,
            ``min_track_length``, ``joint_score_thr``).
    """

    def __init__(self, similarity: PartCfg, match_thr: float = 0.3,
                 assigner: Union[str, PartCfg] = 'hungarian', num_frames_retain: int = 1,
                 feature_momentum: float = 0.0, motion=None, **kwargs):
        if isinstance(assigner, str):
            assigner = assigner_from_name(assigner, match_thr)
        super().__init__(similarity, assigner,
                         TrackMemory(num_frames_retain, feature_momentum, motion), **kwargs)


#: old name of :class:`PoseTracker` (the base class of every tracker)
BasePoseTracker = PoseTracker
