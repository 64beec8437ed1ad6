from . import backbones, data_preprocessors, heads, losses, pose_estimators, reid, utils  # noqa: F401
from . import detectors  # noqa: F401
