from .ogn_loss import MaskedSmoothL1Loss, SpatialSoftmaxLoss  # noqa: F401
