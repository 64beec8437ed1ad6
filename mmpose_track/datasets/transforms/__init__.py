from .formatting import (MULTI_FRAME_META_KEYS, POSETRACK_META_KEYS, VIDEO_META_KEYS,
                         PackMultiFramePoseInputs, PackPoseTrackInputs, PoseTrackDataSample)
from .multi_frame import ApplyToFrames
from .box_mixing import MixDetectedBoxes, RatioFreeTopdownAffine

__all__ = [
    'ApplyToFrames', 'PackPoseTrackInputs', 'PackMultiFramePoseInputs', 'PoseTrackDataSample',
    'POSETRACK_META_KEYS', 'VIDEO_META_KEYS', 'MULTI_FRAME_META_KEYS',
    'MixDetectedBoxes', 'RatioFreeTopdownAffine'
]
