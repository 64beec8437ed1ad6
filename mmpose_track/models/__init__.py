from . import backbones, heads, losses, pose_estimators  # noqa: F401
