from .offset_heatmap import (OffsetHeatmap, decode_offset_heatmaps,  # noqa: F401
                             offset_heatmap_targets, smooth_heatmaps)
from .spatial_embedding import (SpatialEmbedding, combine_embeddings,  # noqa: F401
                                sie_from_svf)
