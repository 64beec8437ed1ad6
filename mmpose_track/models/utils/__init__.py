"""Plain functions shared by the model heads (no registry): Pose-Guided Grouping (ST-Embed),
keypoint candidates, pair sampling and temporal aggregation (TKMRNet)."""
from .keypoint_matching import (KeypointPairs, candidate_heatmap_targets,
                                gather_location_features, heatmap_candidates,
                                keypoint_location_sets, rescore_candidates,
                                sample_keypoint_pairs, select_refined_keypoints,
                                temporal_context_aggregation)
from .pgg import masked_column_index, pose_guided_grouping, pose_mask, scatter_to_map

__all__ = [
    'pose_guided_grouping', 'pose_mask', 'masked_column_index', 'scatter_to_map',
    'heatmap_candidates', 'gather_location_features', 'keypoint_location_sets', 'KeypointPairs',
    'sample_keypoint_pairs', 'temporal_context_aggregation', 'rescore_candidates',
    'candidate_heatmap_targets', 'select_refined_keypoints'
]
