"""Hooks of mmpose_track."""
import os.path as osp
import random
from typing import Optional, Sequence

import mmcv
import mmengine
import mmengine.fileio as fileio
import numpy as np
import torch
from mmengine.hooks import Hook
from mmpose.engine.hooks import PoseVisualizationHook
from mmpose.registry import HOOKS


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save the Python, NumPy and torch random states in checkpoints and restore them on resume.

    MMEngine re-seeds at start-up but does not restore the generators' states, so augmentations
    drawn in the main process (``num_workers=0``) differ after a resume and a resumed run ends
    with other weights than an uninterrupted one. With this hook both end identical.
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        state = dict(python=random.getstate(), numpy=np.random.get_state(),
                     torch=torch.get_rng_state())
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint['random_state'] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('random_state')
        if not state or not getattr(runner, '_resume', False):
            return
        random.setstate(_as_python_state(state['python']))
        np.random.set_state(state['numpy'])
        torch.set_rng_state(state['torch'])
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state['cuda'])


def _as_python_state(state) -> tuple:
    """``random.setstate`` wants nested tuples; checkpoints may give lists back."""
    version, internal, gauss = state
    return version, tuple(internal), gauss


@HOOKS.register_module()
class PoseTrackVisualizationHook(PoseVisualizationHook):
    """MMPose's ``PoseVisualizationHook`` for the tracking loops: draws tracked frames, one image
    per frame and video.

    The tracking loops (``PoseTrackTestLoop`` / ``PoseTrackValLoop``) give ``after_*_iter`` the
    frames finished in that iteration (tracked frame-level ``PoseDataSample``, often none, a whole
    video when it ends), which this hook draws with the runner's visualizer
    (:class:`~mmpose_track.visualization.PoseTrackLocalVisualizer`: people coloured by track
    id). PoseTrack frames of different videos share file names (``000042.jpg``), so with
    ``out_dir`` every frame goes to ``<work_dir>/<timestamp>/<out_dir>/<video_id>/<frame name>``
    (``out_dir`` is resolved once, not at every iteration as MMPose 1.3.2 does; an absolute
    ``out_dir`` is used as is). Validation draws every ``interval``-th finished frame to the
    visualizer's backends.

    Args:
        draw_bbox (bool): draw the person boxes too (in the track colour).
        draw_heatmap (bool): draw heatmaps when a frame carries them.
        Others: as ``PoseVisualizationHook``.
    """

    def __init__(self, *args, draw_bbox: bool = True, draw_heatmap: bool = False,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.draw_bbox = draw_bbox
        self.draw_heatmap = draw_heatmap
        self._out_root: Optional[str] = None
        self._val_index = 0

    def _read_rgb(self, sample) -> np.ndarray:
        img_path = sample.get('img_path')
        if img_path is None:
            raise KeyError(f'{type(self).__name__}: frame {sample.get("video_id")!r}/'
                           f'{sample.get("frame_idx")!r} has no img_path in its metainfo')
        img_bytes = fileio.get(img_path, backend_args=self.backend_args)
        return mmcv.imfrombytes(img_bytes, channel_order='rgb')

    def _draw(self, sample, name: str, step: int, out_file: Optional[str]) -> None:
        self._visualizer.add_datasample(
            name, self._read_rgb(sample), data_sample=sample, draw_gt=False,
            draw_bbox=self.draw_bbox, draw_heatmap=self.draw_heatmap, show=self.show,
            wait_time=self.wait_time, kpt_thr=self.kpt_thr, out_file=out_file, step=step)

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict,
                       outputs: Sequence) -> None:
        if self.enable is False or not outputs:
            return
        self._visualizer.set_dataset_meta(runner.val_evaluator.dataset_meta)
        for sample in outputs:
            self._val_index += 1
            if self._val_index % self.interval == 0:
                self._draw(sample, osp.basename(sample.img_path) if self.show else 'val_img',
                           runner.iter, None)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence) -> None:
        if self.enable is False or not outputs:
            return
        if self.out_dir is not None and self._out_root is None:
            self._out_root = self.out_dir if osp.isabs(self.out_dir) else osp.join(
                runner.work_dir, runner.timestamp, self.out_dir)
        self._visualizer.set_dataset_meta(runner.test_evaluator.dataset_meta)
        for sample in outputs:
            self._test_index += 1
            out_file = None
            if self._out_root is not None:
                video = str(sample.get('video_id', 'video'))
                out_file = osp.join(self._out_root, video, osp.basename(sample.img_path))
                mmengine.mkdir_or_exist(osp.dirname(out_file))
            name = f'{sample.get("video_id")}/{osp.basename(sample.img_path)}'
            self._draw(sample, name if self.show else 'test_img', self._test_index, out_file)
