"""High-level helpers, loaded on first access:

- :mod:`.render`: tracked PoseTrack18 files to mp4 videos (``tools/render_tracks.py``);
- :mod:`.tracking`: offline tracking of detection files (``tools/track.py``; numpy only).
"""
from mmpose_track.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    names={
        'load_tracked_video': 'render', 'render_tracked_video': 'render',
        'read_detections': 'tracking', 'frame_order': 'tracking', 'compact_ids': 'tracking',
        'track_video': 'tracking', 'track_folder': 'tracking',
    },
    submodules=('render', 'tracking'))
