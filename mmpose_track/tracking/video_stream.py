"""Per-video tracking driver: predictions in dataloader order in, tracked frames out.

:class:`VideoTrackingStream` is what the tracking loops (``mmpose_track.engine.loops``) drive and
what any other caller (a demo, an inference script) can drive the same way:

1. consecutive per-person predictions of one frame (top-down estimators) are merged into one
   frame-level sample (optionally with suppression of duplicate people across the merged
   parts); per-frame predictions (bottom-up estimators, MMDet detectors with a keypoint head
   whose ``pred_instances`` hold ``keypoints``/``keypoint_scores`` and MMDet's ``scores``) pass
   as one part,
2. the online tracker runs on every frame in order and is reset when a new video starts,
3. optionally, a video refiner (TKMRNet's temporal keypoint refinement) takes every tracked
   frame and returns refined poses some frames later, written into the kept frames,
4. the frames of the current video are kept and, when the video ends, the tracker finishes it
   (offline steps: id remapping, minimum track length, merging) before the frames are returned.

The metainfo contract (``video_id``, ``frame_idx``, ...) is in ``docs/architecture.md``.
Importing this module needs numpy only; the frame-level samples are MMPose ``PoseDataSample``
objects with MMEngine ``InstanceData`` predictions, imported when the first frame is merged.
"""
from typing import Dict, List, Optional, Sequence, Union

import numpy as np

from ._utils import is_tensor, to_numpy
from .builder import build_tracker
from .suppression import suppress_poses

__all__ = ['VideoTrackingStream', 'remap_track_ids']

#: Per-person metainfo that does not describe the frame (dropped when parts are merged).
PERSON_META_KEYS = ('id', 'bbox', 'bbox_score', 'bbox_center', 'bbox_scale', 'input_center',
                    'input_scale', 'input_size', 'img_shape', 'flip', 'flip_direction',
                    'raw_ann_info', 'category_id', 'crowd_index', 'track_id', 'keypoints',
                    'keypoints_visible')


def remap_track_ids(track_ids: np.ndarray, remap: Dict[int, int]) -> np.ndarray:
    """Apply a tracker's offline id map (``{old: new}``, ``new = -1``: dropped) to ``(N,)`` ids.

    Args:
        track_ids: ``(N,)`` integer track ids of one frame.
        remap: ``{old id: new id}``; ids not in it keep their value.

    Returns:
        ``(N,)`` int64 ids after the map.
    """
    ids = np.asarray(track_ids, np.int64).reshape(-1)
    if not remap or ids.size == 0:
        return ids.copy()
    old = np.fromiter(remap.keys(), np.int64, len(remap))
    new = np.fromiter(remap.values(), np.int64, len(remap))
    order = np.argsort(old)
    old, new = old[order], new[order]
    pos = np.minimum(np.searchsorted(old, ids), len(old) - 1)
    return np.where(old[pos] == ids, new[pos], ids)


def select_pairwise_features(pairwise: dict, keys: Sequence[str], axes_of: dict,
                             keep_prev: Optional[np.ndarray],
                             keep_cur: Optional[np.ndarray]) -> dict:
    """A frame's per-frame model outputs (``pred_pairwise``) for the tracker, each array's axes
    restricted to the people the suppression kept in the frame they index.

    Args:
        pairwise: ``{name: array | tensor | callable}`` as the model predicted them (arrays
            index the model's people).
        keys: the names the tracker reads (its ``feature_keys``); others are left out.
        axes_of: the tracker's ``pairwise_axes``: ``{name: ('prev' | 'cur', ...)}``, the frame
            each leading axis indexes (default: axis 0, the previous frame).
        keep_prev, keep_cur: the people kept in the previous / current frame (indices into the
            model's people), None when all were kept.

    Returns:
        ``{name: value}``; callables unchanged.

    Raises:
        ValueError: an array has fewer entries on an axis than the frame it indexes had people.
    """
    keeps = dict(prev=keep_prev, cur=keep_cur)
    out = {}
    for key in keys:
        if key not in pairwise or pairwise[key] is None:
            continue
        val = pairwise[key]
        if not callable(val):
            for axis, which in enumerate(axes_of.get(key, ('prev', ))):
                keep = keeps[which]
                if keep is None:
                    continue
                if val.shape[axis] < int(keep.max(initial=-1)) + 1:
                    raise ValueError(
                        f'pred_pairwise[{key!r}] has {val.shape[axis]} entries on axis '
                        f'{axis} but the {which} frame had more people; it must index '
                        f'that frame\'s predicted people')
                idx = keep
                if is_tensor(val):
                    import torch
                    idx = torch.as_tensor(idx, device=val.device)
                val = val[(slice(None), ) * axis + (idx, )]
        out[key] = val
    return out


class VideoTrackingStream:
    """Turns a stream of per-person or per-frame predictions into tracked frames, video by video.

    Args:
        tracker (dict): config of a pose tracker (:func:`mmpose_track.tracking.build_tracker`),
            or a built tracker. The features handed to it are those it names in
            ``feature_keys``: per-person ``pred_instances`` fields, and per-frame entries of the
            sample's ``pred_pairwise`` dict (e.g. ST-Embed's ``tie_backward``, TKMRNet's
            ``keypoint_similarity``). A ``pred_pairwise`` array indexes people in the order the
            model predicted them, along the axes the tracker declares in ``pairwise_axes``
            (``'cur'`` / ``'prev'`` frame; default: the first axis, the previous frame's
            people); the stream keeps the entries of the people that survived that frame's
            suppression (``nms``), so they stay aligned with the tracker's updates. Callables
            pass through unchanged.
        nms (dict | list[dict], optional): suppression of duplicate people of a frame before
            tracking, steps applied in order to people scored ``box score x pose score``
            (:func:`mmpose_track.tracking.suppress_poses`): ``dict(type='oks', thr=0.9)``
            (MMPose's evaluation), ``[dict(type='iou', thr=0.6), dict(type='oks', thr=0.75)]``
            (OGN). ``None`` keeps every person.
        kpt_thr (float): keypoints scored at most this do not count in the pose score.
        dataset_meta (dict, optional): the dataset metainfo; the tracker takes what its config
            leaves open from it (the OKS ``sigmas``), and ``num_keypoints`` defaults to its
            ``num_keypoints``.
        num_keypoints (int, optional): ``K``, the number of keypoints of the dataset
            (``dataset_meta['num_keypoints']``); gives empty frames their ``(0, K, 2)``
            keypoints. A sample's metainfo ``num_keypoints`` takes precedence; without either,
            ``K`` is taken from the other frames of the video.
        refiner (optional): a per-video pose refiner, e.g. the
            :class:`~mmpose_track.models.heads.DelayedKeypointRefiner` of
            ``TKMRNet.video_refiner()``: ``reset()`` at each new video,
            ``push_instances(pred_instances) -> [(t, result)]`` with every frame after it is
            suppressed and tracked (``t``: the frame's position in the video), ``flush()`` at
            the video's end, and ``instance_keys``: the fields it consumes, removed from the
            frame once pushed (bulky features need not stay until the video ends). A result's
            ``image_keypoints`` ``(N, K, 2)`` and ``image_keypoint_scores`` ``(N, K)`` replace
            the poses of frame ``t`` (tracking ids are kept: the tracker saw the unrefined
            poses).
    """

    def __init__(self, tracker, nms: Union[dict, List[dict], None] = None,
                 kpt_thr: float = 0.2, num_keypoints: Optional[int] = None,
                 dataset_meta: Optional[dict] = None, refiner=None) -> None:
        self.tracker = build_tracker(tracker, dataset_meta=dataset_meta)
        self.refiner = refiner
        if num_keypoints is None and dataset_meta:
            num_keypoints = dataset_meta.get('num_keypoints')
        if isinstance(nms, dict):
            nms = [nms]
        self.nms = [dict(step) for step in nms] if nms else None
        self.kpt_thr = kpt_thr
        self.num_keypoints = None if num_keypoints is None else int(num_keypoints)
        self._frame_parts: list = []
        self._video_frames: list = []
        self._seen_videos: set = set()
        self._keep_cur: Optional[np.ndarray] = None  # people kept by the suppression (None: all)
        self._keep_prev: Optional[np.ndarray] = None

    @property
    def feature_keys(self) -> tuple:
        """Names of the ``pred_instances`` fields handed to the tracker."""
        return tuple(getattr(self.tracker, 'feature_keys', ()))

    @staticmethod
    def _frame_key(sample) -> tuple:
        meta = sample.metainfo
        missing = [k for k in ('video_id', 'frame_idx') if k not in meta]
        if missing:
            raise KeyError(
                f'prediction for {meta.get("img_path", "?")} lacks metainfo {missing}: add them '
                "to PackPoseInputs' meta_keys (the PoseTrack18 datasets provide them)")
        return meta['video_id'], int(meta['frame_idx'])

    def push(self, samples: Sequence) -> list:
        """Feed predictions in dataloader order.

        Args:
            samples: ``PoseDataSample`` (or ``DetDataSample``) predictions of one batch.

        Returns:
            list: the tracked frame-level ``PoseDataSample`` of every video finished by these
            samples (a video finishes when the first sample of the next one arrives), in order;
            often empty.
        """
        done: list = []
        for sample in samples:
            if self._frame_parts and self._frame_key(sample) != self._frame_key(
                    self._frame_parts[0]):
                done += self._close_frame(next_key=self._frame_key(sample))
            self._frame_parts.append(sample)
        return done

    def flush(self) -> list:
        """Finish the last frame and video (call after the last batch); returns its frames."""
        done = self._close_frame(next_key=None) if self._frame_parts else []
        return done + self._close_video()

    def _close_frame(self, next_key: Optional[tuple]) -> list:
        frame = self._merge(self._frame_parts)
        self._frame_parts = []
        video_id, frame_idx = self._frame_key(frame)
        done: list = []
        if not self._video_frames:
            if video_id in self._seen_videos:
                raise RuntimeError(
                    f'video {video_id} arrived twice on this rank (its frames are not contiguous); '
                    'use a sampler that keeps videos whole and ordered (VideoGroupedSampler)')
            self._seen_videos.add(video_id)
            self.tracker.reset()
            if self.refiner is not None:
                self.refiner.reset()
            self._keep_prev = None
        elif frame_idx <= self._frame_key(self._video_frames[-1])[1]:
            last = self._frame_key(self._video_frames[-1])[1]
            raise RuntimeError(f'video {video_id}: frame {frame_idx} arrived after frame {last}; '
                               'frames must be in order')
        self._track(frame, frame_idx)
        self._keep_prev = self._keep_cur
        self._video_frames.append(frame)
        if self.refiner is not None:
            self._apply_refined(self.refiner.push_instances(frame.pred_instances))
            for key in self.refiner.instance_keys:
                if key in frame.pred_instances:
                    delattr(frame.pred_instances, key)
        if next_key is None or next_key[0] != video_id:
            done = self._close_video()
        return done

    def _apply_refined(self, results: list) -> None:
        """Write the refiner's poses into the kept frames of the current video."""
        for t, res in results:
            pred = self._video_frames[t].pred_instances
            if len(pred) == 0:
                continue
            kp, sc = res['image_keypoints'], res['image_keypoint_scores']
            old = pred.keypoints
            if is_tensor(old):
                import torch
                kp_new = old.clone()
                kp_new[..., :2] = torch.as_tensor(kp, dtype=old.dtype, device=old.device)
                sc_new = torch.as_tensor(sc, dtype=old.dtype, device=old.device)
            else:
                kp_new = np.array(old, copy=True)
                kp_new[..., :2] = kp
                sc_new = np.asarray(sc, np.asarray(pred.keypoint_scores).dtype)
            pred.keypoints = kp_new
            pred.keypoint_scores = sc_new
            if 'keypoints_visible' in pred:  # MMPose's top-down default: the scores
                pred.keypoints_visible = sc_new

    def _close_video(self) -> list:
        if self.refiner is not None and self._video_frames:
            self._apply_refined(self.refiner.flush())
        frames, self._video_frames = self._video_frames, []
        if not frames:
            return frames
        self._fill_empty_frames(frames)
        # offline step: once it has seen the whole video the tracker may renumber ids, and
        # map to -1 the tracks it drops (e.g. shorter than its ``min_track_length``)
        remap = self.tracker.finalize() if hasattr(self.tracker, 'finalize') else None
        if remap:
            for frame in frames:
                pred = frame.pred_instances
                ids = remap_track_ids(pred.track_ids, remap)
                pred.track_ids = ids
                if (ids < 0).any():
                    frame.pred_instances = pred[ids >= 0]
        if getattr(self.tracker, 'interpolate', None) is not None:
            self._add_gap_fill(frames, *self.tracker.gap_fill(remap))
        return frames

    def _add_gap_fill(self, frames: list, frame_ids: np.ndarray, track_ids: np.ndarray,
                      keypoints: np.ndarray) -> None:
        """Add the tracker's interpolated poses to the frames they belong to (numpy
        predictions; boxes around their joints, box score their mean joint score)."""
        if len(frame_ids) == 0:
            return
        from mmengine.structures import InstanceData
        from .similarity import bboxes_from_keypoints
        by_index = {self._frame_key(f)[1]: f for f in frames}
        for fid in np.unique(frame_ids):
            frame = by_index.get(int(fid))
            if frame is None or is_tensor(frame.pred_instances.get('keypoints', None)):
                continue
            sel = frame_ids == fid
            kp = keypoints[sel]
            scores = np.where(np.isfinite(kp[..., 2]), kp[..., 2], 0.0)
            xy = np.where(np.isfinite(kp[..., :2]), kp[..., :2], 0.0)
            pred = frame.pred_instances
            add = InstanceData(
                keypoints=xy.astype(np.float32), keypoint_scores=scores.astype(np.float32),
                bboxes=bboxes_from_keypoints(kp).astype(np.float32),
                bbox_scores=scores.mean(1).astype(np.float32),
                track_ids=track_ids[sel].astype(np.int64))
            if len(pred) == 0:
                frame.pred_instances = add
                continue
            # every field of the frame's people is kept; the added people get their values
            # where they have them, the scores as visibility, NaN (or 0) elsewhere
            for key in pred.keys():
                if key in add:
                    continue
                val = to_numpy(pred.get(key), None)
                if key == 'keypoints_visible':
                    fill = scores.astype(val.dtype)
                else:
                    fill = np.full((len(kp), ) + val.shape[1:],
                                   np.nan if val.dtype.kind == 'f' else 0, val.dtype)
                add.set_field(fill, key)
            keys = list(pred.keys())  # the frame's fields, in its order
            old = InstanceData(**{k: to_numpy(pred.get(k), None) for k in keys})
            frame.pred_instances = InstanceData.cat(
                [old, InstanceData(**{k: add.get(k) for k in keys})])

    def _merge(self, parts: list):
        from mmengine.structures import InstanceData
        from mmpose.structures import PoseDataSample
        meta = {k: v for k, v in parts[0].metainfo.items() if k not in PERSON_META_KEYS}
        frame = PoseDataSample(metainfo=meta)
        instances = [p.pred_instances for p in parts if 'pred_instances' in p]
        if len(instances) == 1:
            pred = instances[0]
        elif instances:
            pred = InstanceData.cat(instances)
        else:
            pred = InstanceData()
        if 'scores' in pred and 'bbox_scores' not in pred:  # MMDet's name (keypoint R-CNNs)
            pred.bbox_scores = pred.scores
        pairwise = {}
        for p in parts:
            pairwise.update(p.get('pred_pairwise', None) or {})
        if pairwise:
            frame.pred_pairwise = pairwise
        frame.pred_instances = self._suppress(pred)
        return frame

    def _suppress(self, pred):
        self._keep_cur = None
        if self.nms is None or len(pred) < 2:
            return pred
        keep = np.sort(np.asarray(suppress_poses(
            to_numpy(pred.keypoints), to_numpy(pred.keypoint_scores),
            to_numpy(pred.bboxes) if 'bboxes' in pred else None,
            to_numpy(pred.bbox_scores) if 'bbox_scores' in pred else None,
            steps=self.nms, kpt_thr=self.kpt_thr), np.int64))
        if len(keep) < len(pred):
            self._keep_cur = keep
        return pred[keep]

    def _pairwise_features(self, frame) -> dict:
        """The tracker's per-frame features from ``frame.pred_pairwise``, restricted to the
        people the suppression kept (:func:`select_pairwise_features`)."""
        return select_pairwise_features(frame.get('pred_pairwise', None) or {},
                                        self.feature_keys,
                                        getattr(self.tracker, 'pairwise_axes', None) or {},
                                        self._keep_prev, self._keep_cur)

    def _frame_num_keypoints(self, frame) -> Optional[int]:
        k = frame.metainfo.get('num_keypoints', self.num_keypoints)
        return None if k is None else int(k)

    def _empty_instances(self, k: int):
        from mmengine.structures import InstanceData
        return InstanceData(
            keypoints=np.zeros((0, k, 2), np.float32),
            keypoint_scores=np.zeros((0, k), np.float32),
            bboxes=np.zeros((0, 4), np.float32), bbox_scores=np.zeros((0, ), np.float32),
            track_ids=np.zeros((0, ), np.int64))

    def _fill_empty_frames(self, frames: list) -> None:
        """Give empty frames whose ``K`` was unknown the ``K`` of the video's other frames."""
        todo = [f for f in frames if f.pred_instances.keypoints.shape[1] == 0]
        if not todo or len(todo) == len(frames):
            return
        k = next(f.pred_instances.keypoints.shape[1] for f in frames
                 if f.pred_instances.keypoints.shape[1])
        for f in todo:
            f.pred_instances = self._empty_instances(k)

    def _frame_image(self, frame) -> dict:
        """``{'image': BGR frame}`` for trackers that read the frames (``'image'`` in their
        ``feature_keys``), from the sample's ``img_path``; ``{}`` otherwise."""
        if 'image' not in self.feature_keys:
            return {}
        path = frame.metainfo.get('img_path')
        if path is None:
            return {}
        import cv2
        image = cv2.imread(path)
        if image is None:
            raise FileNotFoundError(f'frame not found or unreadable: {path} (the tracker reads '
                                    'the frames)')
        return dict(image=image)

    def _track(self, frame, frame_idx: int) -> None:
        pred = frame.pred_instances
        if len(pred) == 0 or 'keypoints' not in pred:
            k = self._frame_num_keypoints(frame)
            frame.pred_instances = self._empty_instances(0 if k is None else k)
            self.tracker.update(np.zeros((0, 0 if k is None else k, 3), np.float32), None,
                                frame_idx, **self._frame_image(frame))
            return
        kpts = pred.keypoints
        scores = pred.keypoint_scores
        if is_tensor(kpts):
            import torch
            keypoints = torch.cat([kpts, torch.as_tensor(scores, device=kpts.device)[..., None]],
                                  -1)
        else:
            keypoints = np.concatenate([np.asarray(kpts), np.asarray(scores)[..., None]], -1)
        bboxes = pred.get('bboxes', None)
        features = {k: pred.get(k) for k in self.feature_keys if k in pred}
        features.update(self._pairwise_features(frame))
        features.update(self._frame_image(frame))
        ids = self.tracker.update(keypoints, bboxes, frame_idx, **features)
        pred.track_ids = to_numpy(ids, np.int64)
