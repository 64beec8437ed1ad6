"""PoseTrack evaluation.

``functional`` (numpy/scipy/shapely only) is imported here; the MMEngine metric
(:class:`~mmpose_track.evaluation.metrics.PoseTrackMetric`, needs mmengine/mmpose/torch) lives in
``mmpose_track.evaluation.metrics`` and is registered when that module is imported (by
``mmpose_track.register_all_modules()`` / ``custom_imports``), so that the evaluation command starts
without torch.
"""
from . import functional  # noqa: F401
