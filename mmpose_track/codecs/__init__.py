from .offset_heatmap import OffsetHeatmap, smooth_heatmaps  # noqa: F401
