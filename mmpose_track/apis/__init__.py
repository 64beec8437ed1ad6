"""High-level helpers, loaded on first access:

- :mod:`.render`: tracked PoseTrack18 files to mp4 videos (``tools/render_tracks.py``);
- :mod:`.tracking`: offline tracking of detection files (``tools/track.py``; numpy only).
"""
import importlib

_NAMES = {
    'load_tracked_video': 'render', 'render_tracked_video': 'render',
    'read_detections': 'tracking', 'frame_order': 'tracking', 'compact_ids': 'tracking',
    'track_video': 'tracking', 'track_folder': 'tracking',
}

__all__ = list(_NAMES)


def __getattr__(name: str):
    if name in _NAMES:
        return getattr(importlib.import_module(f'{__name__}.{_NAMES[name]}'), name)
    if name in ('render', 'tracking'):
        return importlib.import_module(f'{__name__}.{name}')
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
