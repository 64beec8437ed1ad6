from .hooks import PoseTrackVisualizationHook, RandomStateHook
from .loops import PoseTrackTestLoop, PoseTrackValLoop, merge_loss_outputs

__all__ = ['PoseTrackTestLoop', 'PoseTrackValLoop', 'RandomStateHook',
           'PoseTrackVisualizationHook', 'merge_loss_outputs']
