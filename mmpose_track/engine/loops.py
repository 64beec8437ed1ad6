"""Test and validation loops that track poses through each video before scoring.

MMEngine's loops hand every batch to the evaluator right away, so tracking cannot live in a hook
(a video's ids are final only once the video ends). These loops override only ``run_iter``: the
predictions of each batch go through a :class:`~mmpose_track.tracking.VideoTrackingStream`
(frame merging, suppression, the tracker, its offline finish at the end of each video), and the
evaluator and the ``after_{test,val}_iter`` hooks receive the frames finished in that iteration:
tracked frame-level ``PoseDataSample`` (``pred_instances.track_ids``), often an empty list, the
whole video at the iteration where it ends. ``PoseVisualizationHook`` (and
:class:`~mmpose_track.engine.hooks.PoseTrackVisualizationHook`) therefore draw tracked frames.

Each rank must receive whole videos in frame order (``VideoGroupedSampler``); the stream checks
it. The metainfo contract is in ``docs/architecture.md``.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.evaluator import Evaluator
from mmengine.logging import HistoryBuffer
from mmengine.runner import TestLoop, ValLoop
from mmengine.runner.amp import autocast
from mmengine.structures import BaseDataElement
from mmpose.registry import LOOPS

from mmpose_track.tracking.clip_stream import ClipTrackingStream
from mmpose_track.tracking.video_stream import VideoTrackingStream

__all__ = ['PoseTrackTestLoop', 'PoseTrackValLoop', 'merge_loss_outputs']


def merge_loss_outputs(outputs: list, losses: Dict[str, HistoryBuffer]
                       ) -> Tuple[list, Dict[str, HistoryBuffer]]:
    """Split the loss a ``val_step``/``test_step`` may append to its outputs and record it.

    MMEngine's loops do the same (a trailing ``BaseDataElement`` whose only key is ``loss``,
    a dict of tensors or lists of tensors); its helper is private, so the few lines are here.

    Args:
        outputs (list): the step's outputs.
        losses (dict[str, HistoryBuffer]): running losses of the loop, updated in place.

    Returns:
        tuple: the outputs without the loss element, and ``losses``.
    """
    loss: dict = {}
    if outputs and isinstance(outputs[-1], BaseDataElement) and outputs[-1].keys() == ['loss']:
        loss = outputs[-1].loss
        outputs = outputs[:-1]
    for name, value in loss.items():
        buffer = losses.setdefault(name, HistoryBuffer())
        if isinstance(value, torch.Tensor):
            buffer.update(value.item())
        elif isinstance(value, (list, tuple)) and all(isinstance(v, torch.Tensor) for v in value):
            for v in value:
                buffer.update(v.item())
    return outputs, losses


class _TrackingLoopMixin:
    """The tracking part shared by the test and validation loops."""

    def _init_tracking(self, tracker: Optional[dict], nms: Union[dict, List[dict], None],
                       tubes: Optional[dict] = None) -> None:
        if (tracker is None) == (tubes is None):
            raise ValueError(f'{type(self).__name__} needs exactly one of tracker= (frame-level '
                             'predictions) or tubes= (clip tracking: tube predictions)')
        if tubes is not None and nms is not None:
            raise ValueError(f'{type(self).__name__}: with tubes=, give the suppression as '
                             'tubes=dict(nms=...) (it applies to merge="none" only)')
        self.tracker_cfg = tracker
        self.tubes_cfg = tubes
        self.nms_cfg = nms
        self.stream = None

    def _new_stream(self) -> Union[VideoTrackingStream, ClipTrackingStream]:
        """A fresh stream (every run), given the dataset's metainfo: ``K`` from its
        ``num_keypoints``, the trackers' OKS ``sigmas`` where their config leaves them open;
        and the model's per-video refiner when it has one (``model.video_refiner()``, e.g.
        TKMRNet with ``test_cfg.refine``). With ``tubes=``, a :class:`ClipTrackingStream`."""
        dataset = self.dataloader.dataset
        meta = dict(getattr(dataset, 'metainfo', None) or {})
        num_keypoints = meta.get('num_keypoints', getattr(dataset, 'num_keypoints', None))
        if self.tubes_cfg is not None:
            return ClipTrackingStream(**self.tubes_cfg, num_keypoints=num_keypoints,
                                      dataset_meta=meta)
        model = getattr(self.runner.model, 'module', self.runner.model)  # DDP wrapped or not
        make_refiner = getattr(model, 'video_refiner', None)
        return VideoTrackingStream(self.tracker_cfg, self.nms_cfg, num_keypoints=num_keypoints,
                                   dataset_meta=meta,
                                   refiner=make_refiner() if callable(make_refiner) else None)

    def _track_batch(self, idx: int, outputs: Sequence) -> list:
        """Push one batch; returns the tracked frames finished by it (the last batch finishes
        every frame) after handing them to the evaluator."""
        if idx == 0 or self.stream is None:
            self.stream = self._new_stream()
        frames = self.stream.push(outputs)
        if idx == len(self.dataloader) - 1:
            frames += self.stream.flush()
            self.stream = None
        if frames:
            self.evaluator.process(data_samples=frames, data_batch=None)
        return frames


@LOOPS.register_module()
class PoseTrackTestLoop(_TrackingLoopMixin, TestLoop):
    """``TestLoop`` that tracks people through every video before evaluation.

    Args:
        tracker (dict): pose tracker config, e.g. the ``tracker`` of
            ``configs/trackers/oks_hungarian.py``.
        nms (dict | list[dict], optional): per-frame suppression before tracking, e.g.
            ``dict(type='oks', thr=0.9)`` for top-down estimators whose detections overlap
            (see :class:`~mmpose_track.tracking.VideoTrackingStream`).
        tubes (dict, optional): instead of ``tracker``, for models that predict person tubes
            (clip tracking): the arguments of
            :class:`~mmpose_track.tracking.ClipTrackingStream` (``merge``, ``sim_thr``,
            ``min_track_length``, ...), which sews each video's tracklets when it ends.
    """

    def __init__(self, runner, dataloader, evaluator: Union[Evaluator, Dict, List],
                 tracker: Optional[dict] = None, nms: Union[dict, List[dict], None] = None,
                 tubes: Optional[dict] = None, fp16: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self._init_tracking(tracker, nms, tubes)

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: Sequence[dict]) -> None:
        """As MMEngine's, with the evaluator and the hooks given the tracked frames."""
        self.runner.call_hook('before_test_iter', batch_idx=idx, data_batch=data_batch)
        with autocast(enabled=self.fp16):
            outputs = self.runner.model.test_step(data_batch)
        outputs, self.test_loss = merge_loss_outputs(outputs, self.test_loss)
        frames = self._track_batch(idx, outputs)
        self.runner.call_hook('after_test_iter', batch_idx=idx, data_batch=data_batch,
                              outputs=frames)


@LOOPS.register_module()
class PoseTrackValLoop(_TrackingLoopMixin, ValLoop):
    """``ValLoop`` counterpart of :class:`PoseTrackTestLoop`."""

    def __init__(self, runner, dataloader, evaluator: Union[Evaluator, Dict, List],
                 tracker: Optional[dict] = None, nms: Union[dict, List[dict], None] = None,
                 tubes: Optional[dict] = None, fp16: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self._init_tracking(tracker, nms, tubes)

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: Sequence[dict]) -> None:
        """As MMEngine's, with the evaluator and the hooks given the tracked frames."""
        self.runner.call_hook('before_val_iter', batch_idx=idx, data_batch=data_batch)
        with autocast(enabled=self.fp16):
            outputs = self.runner.model.val_step(data_batch)
        outputs, self.val_loss = merge_loss_outputs(outputs, self.val_loss)
        frames = self._track_batch(idx, outputs)
        self.runner.call_hook('after_val_iter', batch_idx=idx, data_batch=data_batch,
                              outputs=frames)
