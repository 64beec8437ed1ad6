"""Packers keeping the video facts of PoseTrack18 samples (single frames, pairs, clips)."""
from typing import Sequence

import torch
from mmpose.datasets.transforms import PackPoseInputs
from mmpose.registry import TRANSFORMS

from mmpose_track.structures.pose_track_data_sample import PoseTrackDataSample

#: frame-level facts every test sample carries to the tracking loop and the metric
#: (docs/architecture.md, "Frame-level samples at test time").
VIDEO_META_KEYS = ('video_id', 'frame_idx', 'num_frames', 'is_labeled', 'ignore_regions')

#: MMPose's default meta keys of ``PackPoseInputs`` followed by the video facts.
POSETRACK_META_KEYS = ('id', 'img_id', 'img_path', 'category_id', 'crowd_index', 'ori_shape',
                       'img_shape', 'input_size', 'input_center', 'input_scale', 'flip',
                       'flip_direction', 'flip_indices', 'raw_ann_info',
                       'dataset_name') + VIDEO_META_KEYS

#: sample-level meta keys of a pair / clip (the key frame's facts and the clip layout).
MULTI_FRAME_META_KEYS = ('img_id', 'img_path', 'video_id', 'frame_idx', 'num_frames',
                         'is_labeled', 'key_frame_index', 'frame_offset', 'clip_frame_idx',
                         'track_id', 'sample_idx')


@TRANSFORMS.register_module()
class PackPoseTrackInputs(PackPoseInputs):
    """MMPose's ``PackPoseInputs`` that also packs the video facts and the track ids.

    Default ``meta_keys``: MMPose's plus ``video_id, frame_idx, num_frames, is_labeled,
    ignore_regions``; ``track_ids`` go to ``gt_instances.track_ids``. ``bbox_head`` is not
    packed (it stays in original image pixels while the transforms move the other boxes).
    """

    instance_mapping_table = dict(PackPoseInputs.instance_mapping_table, track_ids='track_ids')

    def __init__(self, meta_keys: Sequence[str] = POSETRACK_META_KEYS,
                 pack_transformed: bool = False):
        super().__init__(meta_keys=tuple(meta_keys), pack_transformed=pack_transformed)


@TRANSFORMS.register_module()
class PackMultiFramePoseInputs(PackPoseTrackInputs):
    """Pack a pair / clip (``results['frames']``) into ``inputs`` ``(T, C, H, W)`` and a
    :class:`PoseTrackDataSample` with one ``PoseDataSample`` per frame (packed by
    :class:`PackPoseTrackInputs` with ``meta_keys``), ``key_frames_inds = [key_frame_index]``,
    ``ref_frames_inds`` the others, and the sample-level ``MULTI_FRAME_META_KEYS`` found in
    ``results``.

    Args:
        meta_keys (Sequence[str]): per-frame meta keys.
        pack_transformed (bool): as in ``PackPoseInputs``.
    """

    def transform(self, results: dict) -> dict:
        frames = results.get('frames')
        if not isinstance(frames, (list, tuple)) or not frames:
            raise KeyError(f'{self.__class__.__name__} needs results["frames"], a non-empty '
                           'list of frame dicts')
        packed = [super(PackMultiFramePoseInputs, self).transform(f) for f in frames]
        shapes = {tuple(p['inputs'].shape) for p in packed}
        if len(shapes) != 1:
            raise ValueError(f'{self.__class__.__name__}: frames of one sample must have the '
                             f'same input shape after the pipeline, got {sorted(shapes)}')
        inputs = torch.stack([p['inputs'] for p in packed])
        data_sample = PoseTrackDataSample()
        data_sample.video_data_samples = [p['data_samples'] for p in packed]
        key = int(results.get('key_frame_index', 0))
        meta = {k: results[k] for k in MULTI_FRAME_META_KEYS if k in results}
        meta.update(
            key_frames_inds=[key],
            ref_frames_inds=[i for i in range(len(packed)) if i != key])
        data_sample.set_metainfo(meta)
        return dict(inputs=inputs, data_samples=data_sample)
