"""Tracking algorithms (plain functions on numpy arrays / torch tensors) and pose trackers.

See ``docs/architecture.md``: functions here have no registry and no runner; the stateful trackers
in :mod:`.trackers` are thin classes over them, built with :func:`build_tracker`.
"""
from .assignment import greedy_assignment, hungarian_assignment
from .builder import build_tracker
from .clip_merging import merge_clip_tracklets, tracklet_similarity
from .filters import filter_low_score_joints, short_track_remap
from .path_search import temporal_path_search
from .pose_merging import (baseline_merge, cluster_edge_cost, estimate_head_size, mean_shift,
                           spatial_temporal_merge)
from .similarity import (bbox_areas, bbox_iou_matrix, bboxes_from_keypoints, embedding_distance,
                         keypoint_areas, keypoint_matching_similarity, keypoint_oks_matrix,
                         oks_matrix, tie_smoothness, valid_joints)
from .suppression import (greedy_box_generation, iou_nms, nms_from_matrix, oks_nms, person_scores,
                          pose_nms, pose_nms_matrix, suppress_poses)
from .trackers import (BasePoseTracker, EmbeddingTracker, IoUAppearanceTracker,
                       IoUHungarianTracker, KeypointMatchingTracker, OKSGreedyTracker,
                       OKSHungarianTracker)

__all__ = [
    'build_tracker', 'oks_matrix', 'keypoint_oks_matrix', 'bbox_iou_matrix', 'bbox_areas',
    'keypoint_areas', 'bboxes_from_keypoints', 'valid_joints', 'embedding_distance',
    'tie_smoothness', 'keypoint_matching_similarity', 'hungarian_assignment',
    'greedy_assignment', 'nms_from_matrix', 'oks_nms', 'iou_nms', 'pose_nms', 'pose_nms_matrix',
    'greedy_box_generation', 'person_scores', 'suppress_poses', 'tracklet_similarity', 'merge_clip_tracklets', 'baseline_merge',
    'mean_shift', 'spatial_temporal_merge', 'estimate_head_size', 'cluster_edge_cost',
    'temporal_path_search', 'filter_low_score_joints', 'short_track_remap', 'BasePoseTracker',
    'OKSGreedyTracker', 'OKSHungarianTracker', 'IoUHungarianTracker', 'IoUAppearanceTracker',
    'EmbeddingTracker', 'KeypointMatchingTracker'
]
