"""High-level helpers: rendering tracked poses (skeletons coloured by track id) into videos."""
from .render import (COCO17_LINKS, POSETRACK18_LINKS, TRACK_PALETTE, load_tracked_video,
                     render_tracked_frame, render_tracked_video, track_color)

__all__ = [
    'COCO17_LINKS', 'POSETRACK18_LINKS', 'TRACK_PALETTE', 'track_color', 'render_tracked_frame',
    'render_tracked_video', 'load_tracked_video'
]
