"""Test and validation loops that track poses through each video before scoring.

MMEngine's loops hand every batch to the evaluator right away, and ``after_test_iter`` hooks run
after that, so tracking cannot live in a hook. These loops

1. merge consecutive per-person outputs of one frame (top-down estimators) into one frame-level
   ``PoseDataSample`` (optionally with OKS-NMS across the merged people); per-frame outputs
   (bottom-up estimators, MMDet detectors with a keypoint head whose ``pred_instances`` hold
   ``keypoints``/``keypoint_scores`` and MMDet's ``scores``) pass as one part,
2. run the online tracker on every frame in order, resetting it when a new video starts,
3. keep the frames of the current video and, when the video ends, let the tracker finish (offline
   steps: id remapping, minimum track length, merging) before the evaluator sees the video.

Each rank must receive whole videos in frame order (``VideoGroupedSampler``); the loops check it.
The metainfo contract is in ``docs/architecture.md``.
"""
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import Evaluator
from mmengine.runner.amp import autocast
from mmengine.runner.loops import TestLoop, ValLoop, _update_losses
from mmengine.structures import InstanceData
from mmpose.registry import LOOPS
from mmpose.structures import PoseDataSample

from mmpose_track.tracking import build_tracker, suppress_poses

# Fields of ``pred_instances`` that are not tracker features.
_POSE_FIELDS = ('keypoints', 'keypoint_scores', 'keypoints_visible', 'bboxes', 'bbox_scores',
                'track_ids', 'keypoint_x_labels', 'keypoint_y_labels', 'heatmaps', 'scores',
                'labels')
# Per-person metainfo that does not describe the frame.
_PERSON_META = ('id', 'bbox', 'bbox_score', 'bbox_center', 'bbox_scale', 'input_center',
                'input_scale', 'input_size', 'img_shape', 'flip', 'flip_direction', 'raw_ann_info',
                'category_id', 'crowd_index', 'track_id', 'keypoints', 'keypoints_visible')


def _as_numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


class VideoTrackingStream:
    """Turns a stream of per-person or per-frame predictions into tracked frames, video by video.

    Args:
        tracker (dict): config of a pose tracker (``mmpose_track.tracking.build_tracker``).
        nms (dict | list[dict], optional): suppression of duplicate people of a frame before
            tracking, steps applied in order to people scored ``box score x pose score``
            (:func:`mmpose_track.tracking.suppress_poses`): ``dict(type='oks', thr=0.9)``
            (MMPose's evaluation), ``[dict(type='iou', thr=0.6), dict(type='oks', thr=0.75)]``
            (OGN). ``None`` keeps every person.
        kpt_thr (float): keypoints scored at most this do not count in the pose score.
    """

    def __init__(self, tracker: dict, nms: Union[dict, List[dict], None] = None,
                 kpt_thr: float = 0.2) -> None:
        self.tracker = build_tracker(tracker)
        if isinstance(nms, dict):
            nms = [nms]
        self.nms = [dict(step) for step in nms] if nms else None
        self.kpt_thr = kpt_thr
        self._frame_parts: List[PoseDataSample] = []
        self._video_frames: List[PoseDataSample] = []
        self._seen_videos: set = set()

    @staticmethod
    def _frame_key(sample: PoseDataSample) -> tuple:
        meta = sample.metainfo
        missing = [k for k in ('video_id', 'frame_idx') if k not in meta]
        if missing:
            raise KeyError(
                f'prediction for {meta.get("img_path", "?")} lacks metainfo {missing}: add them '
                "to PackPoseInputs' meta_keys (the PoseTrack18 datasets provide them)")
        return meta['video_id'], int(meta['frame_idx'])

    def push(self, samples: Sequence[PoseDataSample]) -> List[PoseDataSample]:
        """Feed predictions in dataloader order; returns the frames of every finished video."""
        done: List[PoseDataSample] = []
        for sample in samples:
            if self._frame_parts and self._frame_key(sample) != self._frame_key(
                    self._frame_parts[0]):
                done += self._close_frame(next_key=self._frame_key(sample))
            self._frame_parts.append(sample)
        return done

    def flush(self) -> List[PoseDataSample]:
        """Finish the last frame and video (call after the last batch)."""
        done = self._close_frame(next_key=None) if self._frame_parts else []
        return done + self._close_video()

    def _close_frame(self, next_key: Optional[tuple]) -> List[PoseDataSample]:
        frame = self._merge(self._frame_parts)
        self._frame_parts = []
        video_id, frame_idx = self._frame_key(frame)
        done: List[PoseDataSample] = []
        if not self._video_frames:
            if video_id in self._seen_videos:
                raise RuntimeError(
                    f'video {video_id} arrived twice on this rank (its frames are not contiguous); '
                    'use a sampler that keeps videos whole and ordered (VideoGroupedSampler)')
            self._seen_videos.add(video_id)
            self.tracker.reset()
        elif frame_idx <= self._frame_key(self._video_frames[-1])[1]:
            raise RuntimeError(f'video {video_id}: frame {frame_idx} arrived after frame '
                               f'{self._frame_key(self._video_frames[-1])[1]}; frames must be in order')
        self._track(frame, frame_idx)
        self._video_frames.append(frame)
        if next_key is None or next_key[0] != video_id:
            done = self._close_video()
        return done

    def _close_video(self) -> List[PoseDataSample]:
        frames, self._video_frames = self._video_frames, []
        if not frames:
            return frames
        # offline step: once it has seen the whole video the tracker may renumber ids, and
        # map to -1 the tracks it drops (e.g. shorter than its ``min_track_length``)
        remap = self.tracker.finalize() if hasattr(self.tracker, 'finalize') else None
        if remap:
            for frame in frames:
                pred = frame.pred_instances
                ids = np.array([remap.get(int(i), int(i)) for i in pred.track_ids], np.int64)
                pred.track_ids = ids
                if (ids < 0).any():
                    frame.pred_instances = pred[ids >= 0]
        return frames

    def _merge(self, parts: List[PoseDataSample]) -> PoseDataSample:
        meta = {k: v for k, v in parts[0].metainfo.items() if k not in _PERSON_META}
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
        frame.pred_instances = self._suppress(pred)
        return frame

    def _suppress(self, pred: InstanceData) -> InstanceData:
        if self.nms is None or len(pred) < 2:
            return pred
        keep = suppress_poses(
            _as_numpy(pred.keypoints), _as_numpy(pred.keypoint_scores),
            _as_numpy(pred.bboxes) if 'bboxes' in pred else None,
            _as_numpy(pred.bbox_scores) if 'bbox_scores' in pred else None,
            steps=self.nms, kpt_thr=self.kpt_thr)
        return pred[np.sort(keep)]

    def _track(self, frame: PoseDataSample, frame_idx: int) -> None:
        pred = frame.pred_instances
        if len(pred) == 0 or 'keypoints' not in pred:
            frame.pred_instances = InstanceData(
                keypoints=np.zeros((0, 0, 2), np.float32),
                keypoint_scores=np.zeros((0, 0), np.float32),
                bboxes=np.zeros((0, 4), np.float32), bbox_scores=np.zeros((0, ), np.float32),
                track_ids=np.zeros((0, ), np.int64))
            self.tracker.update(np.zeros((0, 17, 3), np.float32), None, frame_idx)
            return
        kpts = pred.keypoints
        scores = pred.keypoint_scores
        if isinstance(kpts, torch.Tensor):
            keypoints = torch.cat([kpts, torch.as_tensor(scores, device=kpts.device)[..., None]], -1)
        else:
            keypoints = np.concatenate([np.asarray(kpts), np.asarray(scores)[..., None]], -1)
        bboxes = pred.get('bboxes', None)
        features = {k: pred.get(k) for k in pred.keys() if k not in _POSE_FIELDS}
        ids = self.tracker.update(keypoints, bboxes, frame_idx, **features)
        pred.track_ids = _as_numpy(ids).astype(np.int64)


class _TrackingLoopMixin:
    """Shared ``run``/``run_iter`` of the tracking loops."""

    def _build_stream(self, tracker: dict, nms: Union[dict, List[dict], None]) -> None:
        self.tracker_cfg = tracker
        self.nms_cfg = nms
        self.stream: Optional[VideoTrackingStream] = None

    def _run_tracking(self, stage: str) -> dict:
        self.runner.call_hook(f'before_{stage}')
        self.runner.call_hook(f'before_{stage}_epoch')
        self.runner.model.eval()
        self.stream = VideoTrackingStream(self.tracker_cfg, self.nms_cfg)
        losses = self.val_loss if stage == 'val' else self.test_loss
        losses.clear()
        for idx, data_batch in enumerate(self.dataloader):
            self._tracking_iter(stage, idx, data_batch)
        frames = self.stream.flush()
        if frames:
            self.evaluator.process(data_samples=frames, data_batch=None)
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        self.runner.call_hook(f'after_{stage}_epoch', metrics=metrics)
        self.runner.call_hook(f'after_{stage}')
        return metrics

    @torch.no_grad()
    def _tracking_iter(self, stage: str, idx: int, data_batch) -> None:
        self.runner.call_hook(f'before_{stage}_iter', batch_idx=idx, data_batch=data_batch)
        with autocast(enabled=self.fp16):
            step = self.runner.model.val_step if stage == 'val' else self.runner.model.test_step
            outputs = step(data_batch)
        if stage == 'val':
            outputs, self.val_loss = _update_losses(outputs, self.val_loss)
        else:
            outputs, self.test_loss = _update_losses(outputs, self.test_loss)
        frames = self.stream.push(outputs)
        if frames:
            self.evaluator.process(data_samples=frames, data_batch=None)
        self.runner.call_hook(
            f'after_{stage}_iter', batch_idx=idx, data_batch=data_batch, outputs=outputs)


@LOOPS.register_module()
class PoseTrackTestLoop(_TrackingLoopMixin, TestLoop):
    """``TestLoop`` that tracks people through every video before evaluation.

    Args:
        tracker (dict): pose tracker config, e.g. the ``tracker`` of
            ``configs/trackers/oks_hungarian.py``.
        nms (dict | list[dict], optional): per-frame suppression before tracking, e.g.
            ``dict(type='oks', thr=0.9)`` for top-down estimators whose detections overlap
            (see :class:`VideoTrackingStream`).
    """

    def __init__(self, runner, dataloader, evaluator: Union[Evaluator, Dict, List],
                 tracker: dict, nms: Union[dict, List[dict], None] = None,
                 fp16: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self._build_stream(tracker, nms)

    def run(self) -> dict:
        return self._run_tracking('test')


@LOOPS.register_module()
class PoseTrackValLoop(_TrackingLoopMixin, ValLoop):
    """``ValLoop`` counterpart of :class:`PoseTrackTestLoop`."""

    def __init__(self, runner, dataloader, evaluator: Union[Evaluator, Dict, List],
                 tracker: dict, nms: Union[dict, List[dict], None] = None,
                 fp16: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self._build_stream(tracker, nms)

    def run(self) -> dict:
        return self._run_tracking('val')
