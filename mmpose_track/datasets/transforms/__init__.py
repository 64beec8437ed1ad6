from .box_mixing import MixDetectedBoxes, RatioFreeTopdownAffine
from .formatting import (MULTI_FRAME_META_KEYS, POSETRACK_META_KEYS, VIDEO_META_KEYS,
                         PackMultiFramePoseInputs, PackPoseTrackInputs)
from .keypoint_transforms import (LoadAnnotationsWithKeypoints, PackDetPoseInputs, WarpKeypoints,
                                  warp_keypoints)
from .multi_frame import ApplyToFrames
from .person_crop import CropPersonBox
from .temporal_target import GenerateTemporalTarget  # noqa: F401

__all__ = [
    'ApplyToFrames', 'PackPoseTrackInputs', 'PackMultiFramePoseInputs', 'POSETRACK_META_KEYS',
    'VIDEO_META_KEYS', 'MULTI_FRAME_META_KEYS', 'MixDetectedBoxes', 'RatioFreeTopdownAffine',
    'CropPersonBox', 'LoadAnnotationsWithKeypoints', 'WarpKeypoints', 'PackDetPoseInputs',
    'warp_keypoints'
]
