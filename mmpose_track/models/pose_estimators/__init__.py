
from .spatialnet import SpatialNet  # noqa: F401
from .temporalnet import MultiFramePoseDataPreprocessor, TemporalNet  # noqa: F401
from .topdown_reid import TopdownPoseEstimatorWithReID  # noqa: F401
