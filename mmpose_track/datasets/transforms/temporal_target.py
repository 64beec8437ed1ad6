"""Temporal vector field targets (ST-Embed TemporalNet, Jin et al. 2019, Sec. 3.3.2, Eq. 7)."""
from typing import Optional, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.datasets.transforms import PackPoseInputs
from mmpose.registry import KEYPOINT_CODECS, TRANSFORMS

#: per-person keys this transform adds to every frame (packed into ``gt_instance_labels``).
TEMPORAL_LABEL_KEYS = ('temporal_vectors', 'temporal_weights')


@TRANSFORMS.register_module()
class GenerateTemporalTarget(BaseTransform):
    """Forward / backward TVF targets (Eq. 7) of a pair, one array per frame.

    Use after :class:`ApplyToFrames` (whose per-frame pipeline ran ``GenerateTarget`` with the
    same :class:`~mmpose_track.codecs.SpatialEmbedding` config) on a
    ``PoseTrack18PairDataset`` sample, before ``PackMultiFramePoseInputs``::

        dict(type='ApplyToFrames', transforms=[..., dict(type='GenerateTarget', encoder=codec)]),
        dict(type='GenerateTemporalTarget', encoder=codec),
        dict(type='PackMultiFramePoseInputs')

    The key frame (``key_frame_index``, frame t) gets ``temporal_vectors = q^t_jk - c^ref_k``
    (forward TVF at its joints) and the reference frame ``q^ref_jk - c^t_k`` (backward TVF),
    with ``temporal_weights`` (0 for invalid joints and for people whose track id is not in the
    other frame); people are matched by ``track_ids``, vectors are in heatmap px. The paper's
    reference frame is t - 1; ``PoseTrack18PairDataset`` may also draw a later one, and the
    vectors are then simply those from / to that frame. Both keys are added to each frame's
    ``label_mapping_table`` so that the packer puts them into that frame's
    ``gt_instance_labels``.

    Required keys: ``frames`` (2 frame dicts with ``keypoints`` (or ``transformed_keypoints``),
    ``keypoints_visible``, ``track_ids``), ``key_frame_index`` (default 0).
    Added keys (per frame): ``temporal_vectors`` ``(N, K, 2)``, ``temporal_weights``
    ``(N, K)``; ``label_mapping_table`` updated.

    Args:
        encoder (dict | SpatialEmbedding): the codec (config) of ``GenerateTarget``.
    """

    def __init__(self, encoder: Union[dict, object]):
        self.encoder_cfg = encoder
        self.encoder = KEYPOINT_CODECS.build(encoder) if isinstance(encoder, dict) else encoder
        if not hasattr(self.encoder, 'encode_temporal'):
            raise TypeError(f'{self.__class__.__name__} needs a codec with encode_temporal '
                            f'(SpatialEmbedding), got {type(self.encoder).__name__}')

    @staticmethod
    def _frame_arrays(frame: dict, name: str):
        where = f'{name} frame (img_id={frame.get("img_id")}, {frame.get("img_path")})'
        kpts = frame.get('transformed_keypoints')
        if kpts is None:
            kpts = frame.get('keypoints')
        for key, value in (('keypoints', kpts), ('keypoints_visible',
                                                 frame.get('keypoints_visible')),
                           ('track_ids', frame.get('track_ids'))):
            if value is None:
                raise KeyError(f'GenerateTemporalTarget: {where} has no "{key}"')
        vis = np.asarray(frame['keypoints_visible'])
        if vis.ndim == 3:  # (N, K, 2) before GenerateTarget splits the visibility weights
            vis = vis[..., 0]
        return where, kpts, vis, frame['track_ids']

    def transform(self, results: dict) -> Optional[dict]:
        frames = results.get('frames')
        if not isinstance(frames, (list, tuple)) or len(frames) != 2:
            n = len(frames) if isinstance(frames, (list, tuple)) else None
            raise KeyError(f'{self.__class__.__name__} needs results["frames"] with 2 frames '
                           f'(a PoseTrack18PairDataset sample), got {n}')
        key = int(results.get('key_frame_index', 0))
        if key not in (0, 1):
            raise ValueError(f'{self.__class__.__name__}: key_frame_index must be 0 or 1, got '
                             f'{key}')
        key_frame, ref_frame = frames[key], frames[1 - key]
        where_k, kk, vk, ik = self._frame_arrays(key_frame, 'key')
        where_r, kr, vr, ir = self._frame_arrays(ref_frame, 'ref')
        try:
            t = self.encoder.encode_temporal(kk, vk, ik, kr, vr, ir)
        except ValueError as e:
            raise ValueError(f'{self.__class__.__name__}: {where_k} / {where_r}: {e}') from None
        key_frame['temporal_vectors'] = t['forward_vectors']
        key_frame['temporal_weights'] = t['forward_weights']
        ref_frame['temporal_vectors'] = t['backward_vectors']
        ref_frame['temporal_weights'] = t['backward_weights']
        for frame in frames:
            table = frame.get('label_mapping_table') or PackPoseInputs.label_mapping_table
            frame['label_mapping_table'] = dict(table, **{k: k for k in TEMPORAL_LABEL_KEYS})
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(encoder={self.encoder_cfg!r})'
