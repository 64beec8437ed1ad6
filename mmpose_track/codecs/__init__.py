from .offset_heatmap import (OffsetHeatmap, decode_offset_heatmaps,  # noqa: F401
                             offset_heatmap_targets, smooth_heatmaps)
