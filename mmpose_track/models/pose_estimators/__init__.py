
from .topdown_reid import TopdownPoseEstimatorWithReID  # noqa: F401
