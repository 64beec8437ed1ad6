"""Pose trackers (registered into ``mmpose_track.registry.POSE_TRACKERS``).

Interface: ``tracker.reset()``; ``tracker.update(keypoints (N, K, 3), bboxes (N, 4) | None,
frame_id, **features) -> track_ids (N,) int64``; ``tracker.finalize() -> {id: id | -1}``.
"""
from .base_pose_tracker import BasePoseTracker
from .embedding_tracker import EmbeddingTracker
from .iou_trackers import IoUAppearanceTracker, IoUHungarianTracker
from .keypoint_matching_tracker import KeypointMatchingTracker
from .oks_trackers import OKSGreedyTracker, OKSHungarianTracker

__all__ = [
    'BasePoseTracker', 'OKSGreedyTracker', 'OKSHungarianTracker', 'IoUHungarianTracker',
    'IoUAppearanceTracker', 'EmbeddingTracker', 'KeypointMatchingTracker'
]
