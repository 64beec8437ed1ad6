from .ogn_loss import MaskedSmoothL1Loss, SpatialSoftmaxLoss  # noqa: F401
from .st_embed_loss import (GroupingLoss, KeypointEmbeddingLoss,  # noqa: F401
                            KeypointVectorFieldLoss, OrdinalEmbeddingLoss)
