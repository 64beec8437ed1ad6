"""High-level helpers, loaded on first access:

- :mod:`.render`: tracked PoseTrack18 files to mp4 videos (``tools/render_tracks.py``);
- :mod:`.tracking`: offline tracking of detection files (``tools/track.py``; numpy only);
- :mod:`.video_io`: frames in (video files, frame folders, cameras) and mp4 out;
- :mod:`.tube_window`: the frames a stream holds for the person tubes of clip models;
- :mod:`.inferencer`: :class:`PoseTrackInferencer`, pose estimation and tracking of any video
  (``tools/track_video.py``).
"""
from mmpose_track.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    names={
        'load_tracked_video': 'render', 'render_tracked_video': 'render',
        'read_detections': 'tracking', 'frame_order': 'tracking', 'compact_ids': 'tracking',
        'track_video': 'tracking', 'track_folder': 'tracking',
        'open_frames': 'video_io', 'FrameSource': 'video_io', 'FrameSourceInfo': 'video_io',
        'VideoWriter': 'video_io', 'VideoInputError': 'video_io',
        'PoseTrackInferencer': 'inferencer', 'PoseTrackVideoWriter': 'inferencer',
    },
    submodules=('render', 'tracking', 'video_io', 'inferencer'))
