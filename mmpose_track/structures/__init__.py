"""Data structures and PoseTrack18 format knowledge shared by datasets, trackers, metrics and tools.

The numpy-only modules (``posetrack18_format``, ``polygon``) import without torch or mmpose, so the
evaluation and tracking commands start fast; ``PoseTrackDataSample`` (an MMPose ``PoseDataSample``)
is imported on first access.
"""


def __getattr__(name: str):
    if name == 'PoseTrackDataSample':
        from .pose_track_data_sample import PoseTrackDataSample
        return PoseTrackDataSample
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
