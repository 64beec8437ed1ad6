"""Tracking algorithms (plain functions on numpy arrays / torch tensors) and pose trackers.

See ``docs/architecture.md``: functions here have no registry and no runner; the stateful trackers
in :mod:`.trackers` are built from config parts (similarity, assigner, memory) with
:func:`build_tracker`.

Importing is light: names load on first access from their module (``from mmpose_track.tracking
import bbox_iou_matrix`` imports numpy and :mod:`.similarity` only; the trackers need
``mmengine.registry``). Nothing here imports torch (tensors are handled when they arrive) or
imports scipy before it is used.
"""
from mmpose_track.lazy import lazy_exports

#: public name -> submodule defining it
_EXPORTS = {
    # trackers and their parts
    'build_tracker': 'builder', 'build_part': 'builder',
    'DEFAULT_TRACKER': 'builder', 'default_tracker_config': 'builder',
    'PoseTracker': 'trackers', 'PresetTracker': 'trackers', 'BasePoseTracker': 'trackers',
    'TrackMemory': 'trackers', 'DetectionFrame': 'trackers', 'BaseSimilarity': 'trackers',
    'OKSSimilarity': 'trackers', 'IoUSimilarity': 'trackers',
    'IoUAppearanceSimilarity': 'trackers', 'STEmbedSimilarity': 'trackers',
    'SpatialEmbeddingSimilarity': 'trackers',
    'KeypointMatchingSimilarity': 'trackers', 'HungarianAssigner': 'trackers',
    'GreedyAssigner': 'trackers', 'OKSGreedyTracker': 'trackers',
    'OKSHungarianTracker': 'trackers', 'IoUHungarianTracker': 'trackers',
    'IoUAppearanceTracker': 'trackers', 'EmbeddingTracker': 'trackers',
    'KeypointMatchingTracker': 'trackers', 'MMDetBoxTracker': 'trackers',
    'VideoTrackingStream': 'video_stream', 'remap_track_ids': 'video_stream',
    # similarities (one implementation of each quantity)
    'bbox_iou_matrix': 'similarity', 'oks_matrix': 'similarity',
    'oks_matrix_prepared': 'similarity', 'oks_inv_two_var': 'similarity',
    'keypoint_oks_terms': 'similarity', 'keypoint_oks_matrix': 'similarity',
    'bbox_areas': 'similarity', 'keypoint_areas': 'similarity',
    'bboxes_from_keypoints': 'similarity', 'valid_joints': 'similarity',
    'embedding_distance': 'similarity', 'tie_smoothness': 'similarity',
    'keypoint_matching_similarity': 'similarity',
    # assignment, suppression, offline steps
    'hungarian_assignment': 'assignment', 'greedy_assignment': 'assignment',
    'sparse_hungarian_assignment': 'assignment',
    'nms_from_matrix': 'suppression', 'oks_nms': 'suppression', 'iou_nms': 'suppression',
    'pose_nms': 'suppression', 'pose_nms_matrix': 'suppression',
    'greedy_box_generation': 'suppression', 'person_scores': 'suppression',
    'suppress_poses': 'suppression',
    'tracklet_similarity': 'clip_merging', 'merge_clip_tracklets': 'clip_merging',
    'track_video_from_tubes': 'clip_pipeline', 'CLIP_MERGES': 'clip_pipeline',
    'ClipTrackingStream': 'clip_stream', 'tube_frame_positions': 'clip_stream',
    'baseline_merge': 'pose_merging', 'mean_shift': 'pose_merging',
    'spatial_temporal_merge': 'pose_merging', 'estimate_head_size': 'pose_merging',
    'cluster_edge_cost': 'pose_merging',
    'temporal_path_search': 'path_search',
    'filter_low_score_joints': 'filters', 'short_track_remap': 'filters',
    'TrackletSummary': 'stitching', 'summarize_tracklets': 'stitching',
    'track_velocity': 'stitching', 'stitch_score_matrix': 'stitching',
    'stitch_tracklets': 'stitching', 'stitch_tracks': 'stitching',
    'interpolate_track_gaps': 'stitching', 'interpolate_gaps': 'stitching',
    'estimate_camera_motion': 'camera_motion', 'fit_similarity_transform': 'camera_motion',
    'KalmanBoxMotion': 'motion', 'KeypointVelocityMotion': 'motion',
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, names=_EXPORTS)
