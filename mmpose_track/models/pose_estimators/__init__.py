
from .clip_topdown import ClipTopdownPoseEstimator  # noqa: F401
from .spatialnet import SpatialNet  # noqa: F401
from .temporalnet import TemporalNet  # noqa: F401
from .tkmrnet import TKMRNet  # noqa: F401
from .topdown_reid import TopdownPoseEstimatorWithReID  # noqa: F401
