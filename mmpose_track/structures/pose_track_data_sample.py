"""Multi-frame data sample: a pair or clip of MMPose ``PoseDataSample`` frames."""
from typing import List

from mmdet.structures import TrackDataSample
from mmengine.structures import BaseDataElement

__all__ = ['PoseTrackDataSample']


class PoseTrackDataSample(TrackDataSample):
    """MMDet's :class:`TrackDataSample` holding :class:`PoseDataSample` frames.

    MMDet's setter of ``video_data_samples`` insists on ``DetDataSample``; this subclass accepts
    any :class:`BaseDataElement` (MMPose's ``PoseDataSample``) and keeps everything else
    (``__getitem__``, ``__len__``, ``get_key_frames``, ``get_ref_frames``, ``to``/``cpu``...).
    Sample-level metainfo: ``key_frames_inds``, ``ref_frames_inds`` and
    :data:`~mmpose_track.datasets.transforms.MULTI_FRAME_META_KEYS`.
    """

    @property
    def video_data_samples(self) -> List[BaseDataElement]:
        return self._video_data_samples

    @video_data_samples.setter
    def video_data_samples(self, value: List[BaseDataElement]):
        if isinstance(value, BaseDataElement):
            value = [value]
        assert isinstance(value, list) and value and all(
            isinstance(v, BaseDataElement) for v in value), \
            'video_data_samples must be a non-empty list of data samples'
        self.set_field(value, '_video_data_samples', dtype=list)

    @video_data_samples.deleter
    def video_data_samples(self):
        del self._video_data_samples
