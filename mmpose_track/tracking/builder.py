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
    args = dict(cfg)
    tracker_type = args.pop('type')
    # ``get`` + call rather than ``build``: building under another default scope (configs run
    # with ``default_scope='mmpose'``) would make MMEngine warn that the scope has no such registry
    tracker_cls = POSE_TRACKERS.get(tracker_type) if isinstance(tracker_type, str) else tracker_type
    if tracker_cls is None:
        raise KeyError(f'unknown tracker type {tracker_type!r}; registered: '
                       f'{sorted(POSE_TRACKERS.module_dict)}')
    return tracker_cls(**args)
