"""Pairs of labeled frames of one PoseTrack18 video within a temporal window."""
from typing import List

import numpy as np
from mmengine.dataset import force_full_init
from mmpose.registry import DATASETS

from .posetrack18_frame_dataset import PoseTrack18FrameDataset


@DATASETS.register_module()
class PoseTrack18PairDataset(PoseTrack18FrameDataset):
    """Frame pairs ``(t, t')`` of one video with ``|t - t'| <= frame_range`` (bottom-up).

    A sample is a key frame ``t`` and a reference frame ``t'``, both labeled frames of the same
    video with all their people (bottom-up data infos of :class:`PoseTrack18FrameDataset`,
    ``track_ids`` included, so that the pair is supervised). Key frames: labeled frames with at
    least one person with a visible keypoint (training), every labeled frame (testing).
    Reference frame: drawn uniformly from the *other* labeled frames of the video within the
    window, with ``np.random`` in training (seeded per worker by MMEngine) and with
    ``RandomState(seed + index)`` in testing (deterministic). When the window holds no other
    labeled frame (e.g. a video of one frame), ``t' = t`` (defined result; ``frame_offset`` 0).

    ``dataset[i]`` runs the pipeline on::

        dict(frames=[key_info, ref_info], key_frame_index=0, frame_offset=t' - t,
             video_id=..., frame_idx=t, num_frames=..., img_id=..., img_path=..., is_labeled=...)

    where each frame info is a full frame-level data info (with ``flip_indices`` etc.). Use
    :class:`ApplyToFrames` to run the same augmentation on both frames, then
    :class:`PackMultiFramePoseInputs`::

        pipeline = [
            dict(type='ApplyToFrames', transforms=[
                dict(type='LoadImage'),
                dict(type='BottomupRandomAffine', input_size=(512, 512)),
                dict(type='RandomFlip', direction='horizontal'),
                dict(type='GenerateTarget', encoder=...),
                dict(type='BottomupGetHeatmapMask')]),
            dict(type='PackMultiFramePoseInputs')]

    Args:
        frame_range (int): ``k`` >= 0, the largest ``|t - t'|``.
        seed (int): seed of the test-time choice of ``t'``.
        data_mode (str): only ``'bottomup'``.
        **kwargs: see :class:`PoseTrack18FrameDataset` (no ``bbox_file``).
    """

    def __init__(self, frame_range: int = 1, seed: int = 0, data_mode: str = 'bottomup',
                 **kwargs):
        if data_mode != 'bottomup':
            raise ValueError(f'{self.__class__.__name__} pairs whole frames: data_mode must be '
                             f'"bottomup", got {data_mode!r}')
        if kwargs.get('bbox_file'):
            raise ValueError(f'{self.__class__.__name__} does not take a bbox_file')
        if not isinstance(frame_range, int) or frame_range < 0:
            raise ValueError(f'frame_range must be an integer >= 0, got {frame_range!r}')
        self.frame_range = frame_range
        self.seed = seed
        self._keys: List[int] = []
        self._refs: List[List[int]] = []
        super().__init__(data_mode='bottomup', **kwargs)

    def load_data_list(self) -> List[dict]:
        ann = self._load_ann()
        return [
            self._frame_info(f, self._people_infos(f, ann['people']))
            for f in ann['frames'] if f['is_labeled']
        ]

    def _build_index(self):
        """Key frames and their candidate reference frames (positions in ``data_list``)."""
        data = self.data_list
        self._keys, self._refs = [], []
        by_video = {}
        for i, d in enumerate(data):
            by_video.setdefault(d['video_id'], []).append(i)
        for i, d in enumerate(data):
            if not self.test_mode and d['num_valid'] == 0:
                continue
            refs = [
                j for j in by_video[d['video_id']]
                if j != i and abs(data[j]['frame_idx'] - d['frame_idx']) <= self.frame_range
            ]
            self._keys.append(i)
            self._refs.append(refs)
        self.video_ids = [data[i]['video_id'] for i in self._keys]

    @force_full_init
    def __len__(self) -> int:
        return len(self._keys)

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        if idx < 0:
            idx += len(self)
        key_pos, refs = self._keys[idx], self._refs[idx]
        if not refs:
            ref_pos = key_pos
        elif self.test_mode:
            ref_pos = refs[np.random.RandomState(self.seed + idx).randint(len(refs))]
        else:
            ref_pos = refs[np.random.randint(len(refs))]
        key = super().get_data_info(key_pos)
        ref = super().get_data_info(ref_pos)
        for f in (key, ref):
            f['sample_idx'] = idx
        info = {k: key[k] for k in ('img_id', 'img_path', 'video_id', 'frame_idx', 'num_frames',
                                    'is_labeled')}
        info.update(
            frames=[key, ref],
            key_frame_index=0,
            frame_offset=int(ref['frame_idx'] - key['frame_idx']),
            sample_idx=idx)
        return info
