"""Build a pose tracker from a config dict (``dict(type='OKSHungarianTracker', ...)``)."""
from typing import Any, Mapping, Union

from mmpose_track.registry import POSE_TRACKERS

__all__ = ['build_tracker']


def build_tracker(cfg: Union[Mapping[str, Any], Any]):
    """Build a tracker registered in ``POSE_TRACKERS``.

    ``cfg`` is a dict (or mmengine ``Config``/``ConfigDict``) with ``type`` and the tracker's
    keyword arguments, or the path of a tracker config file defining ``tracker = dict(...)``.
    An already built tracker is returned as is.
    """
    from . import trackers  # noqa: F401  (registers the trackers)
    if hasattr(cfg, 'update') and hasattr(cfg, 'reset') and not isinstance(cfg, Mapping):
        return cfg
    if isinstance(cfg, str):
        from mmengine.config import Config
        cfg = Config.fromfile(cfg)['tracker']
    if not isinstance(cfg, Mapping) or 'type' not in cfg:
        raise TypeError(f'tracker config must be a dict with a "type", got {cfg!r}')
    return POSE_TRACKERS.build(dict(cfg))
