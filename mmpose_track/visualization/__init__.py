"""Visualizers (registered in MMPose's ``VISUALIZERS``)."""
from .local_visualizer import (NECK_LINKS, POSETRACK18_DRAW_LINKS, TRACK_PALETTE, UNTRACKED_COLOR,
                               PoseTrackLocalVisualizer, track_color)

__all__ = ['PoseTrackLocalVisualizer', 'TRACK_PALETTE', 'UNTRACKED_COLOR', 'NECK_LINKS',
           'POSETRACK18_DRAW_LINKS', 'track_color']
