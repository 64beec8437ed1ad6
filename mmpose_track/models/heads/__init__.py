from .ogn_head import OGNHead, flip_back_ogn_outputs  # noqa: F401
from .spatial_embedding_head import SpatialEmbeddingHead  # noqa: F401
from .human_embedding_head import HumanEmbeddingHead  # noqa: F401
from .keypoint_matching_head import GroupedLinear, KeypointMatchingHead  # noqa: F401
from .keypoint_refinement_head import KeypointRefinementHead  # noqa: F401
from .temporal_embedding_head import TemporalEmbeddingHead  # noqa: F401
