"""Plain functions shared by the model heads (no registry): Pose-Guided Grouping (ST-Embed)."""
from .pgg import masked_column_index, pose_guided_grouping, pose_mask, scatter_to_map

__all__ = ['pose_guided_grouping', 'pose_mask', 'masked_column_index', 'scatter_to_map']
