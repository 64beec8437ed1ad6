"""Pose trackers (``mmpose_track.registry.POSE_TRACKERS``) and their parts (``TRACKING_PARTS``).

Interface: ``tracker.reset()``; ``tracker.update(keypoints (N, K, 3), bboxes (N, 4) | None,
frame_id, **features) -> track_ids (N,) int64``; ``tracker.finalize() -> {id: id | -1}``;
``tracker.feature_keys`` (the feature names ``update`` reads).

A :class:`PoseTracker` is built from a similarity, an assigner and a track memory; the papers'
trackers (``OKSHungarianTracker``...) are presets of it with flat config keys.
"""
from .assigners import GreedyAssigner, HungarianAssigner
from .base_similarity import BaseSimilarity
from .embedding_tracker import EmbeddingTracker, SpatialEmbeddingSimilarity, STEmbedSimilarity
from .iou_trackers import (IoUAppearanceSimilarity, IoUAppearanceTracker, IoUHungarianTracker,
                           IoUSimilarity)
from .keypoint_matching_tracker import KeypointMatchingSimilarity, KeypointMatchingTracker
from .mmdet_box_tracker import MMDetBoxTracker
from .oks_trackers import OKSGreedyTracker, OKSHungarianTracker, OKSSimilarity
from .pose_tracker import BasePoseTracker, PoseTracker, PresetTracker
from .track_memory import DetectionFrame, TrackMemory
from ..motion import KalmanBoxMotion, KeypointVelocityMotion  # noqa: F401  (registers them)

__all__ = [
    'PoseTracker', 'PresetTracker', 'BasePoseTracker', 'TrackMemory', 'DetectionFrame',
    'BaseSimilarity', 'OKSSimilarity', 'IoUSimilarity', 'IoUAppearanceSimilarity',
    'STEmbedSimilarity', 'SpatialEmbeddingSimilarity', 'KeypointMatchingSimilarity',
    'HungarianAssigner', 'GreedyAssigner',
    'OKSGreedyTracker', 'OKSHungarianTracker', 'IoUHungarianTracker', 'IoUAppearanceTracker',
    'EmbeddingTracker', 'KeypointMatchingTracker', 'MMDetBoxTracker'
]
