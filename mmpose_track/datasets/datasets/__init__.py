from .posetrack18_clip_dataset import PoseTrack18ClipDataset, clip_frame_indices, enlarge_boxes
from .posetrack18_det_dataset import PoseTrack18DetDataset
from .posetrack18_frame_dataset import PoseTrack18FrameDataset
from .posetrack18_io import (PoseTrack18FormatError, load_detections, load_posetrack18,
                             read_json)
from .posetrack18_pair_dataset import PoseTrack18PairDataset
from .posetrack18_reid_dataset import PoseTrack18ReIDDataset

__all__ = [
    'PoseTrack18FrameDataset', 'PoseTrack18PairDataset', 'PoseTrack18ClipDataset',
    'PoseTrack18DetDataset', 'PoseTrack18ReIDDataset', 'PoseTrack18FormatError',
    'load_posetrack18', 'load_detections', 'read_json', 'clip_frame_indices',
    'enlarge_boxes'
]
