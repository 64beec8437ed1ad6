from . import backbones, heads, losses, pose_estimators, reid  # noqa: F401
from . import detectors  # noqa: F401
