from .hooks import RandomStateHook
from .loops import PoseTrackTestLoop, PoseTrackValLoop, VideoTrackingStream

__all__ = ['PoseTrackTestLoop', 'PoseTrackValLoop', 'RandomStateHook', 'VideoTrackingStream']
