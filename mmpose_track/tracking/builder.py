"""Build a pose tracker (``POSE_TRACKERS``) and its parts (``TRACKING_PARTS``) from config dicts.

Neither function imports torch, so that ``tools/track.py`` starts fast. The registries are
MMEngine ``Registry`` objects (importing ``mmengine.registry`` imports no torch), but types are
looked up in their ``module_dict`` rather than with ``Registry.get``/``build``: on first use those
create MMEngine's logger, whose rank lookup imports torch (``mmengine.dist``), and building under
another default scope (configs run with ``default_scope='mmpose'``) would make MMEngine warn that
the scope has no such registry. A ``'mmpose_track.'`` scope prefix on a type name is accepted.
"""
from typing import Any, Mapping, Optional, Union

from mmpose_track.registry import POSE_TRACKERS, TRACKING_PARTS

__all__ = ['build_tracker', 'build_part']

#: what each kind of part must provide
_PART_API = {'similarity': '__call__', 'assigner': '__call__', 'memory': 'commit',
             'motion': 'predict'}


def _lookup(registry, name: str):
    """The class registered as ``name`` (or ``'<scope>.name'`` with the registry's scope)."""
    scope, _, key = name.rpartition('.')
    if scope and scope != registry.scope:
        return None
    return registry.module_dict.get(key)


def _build(registry, cfg: Mapping[str, Any], what: str):
    if 'type' not in cfg:
        raise TypeError(f'{what} config must be a dict with a "type", got {dict(cfg)!r}')
    args = dict(cfg)
    obj_type = args.pop('type')
    cls = _lookup(registry, obj_type) if isinstance(obj_type, str) else obj_type
    if cls is None:
        raise KeyError(f'unknown {what} type {obj_type!r}; registered: '
                       f'{sorted(registry.module_dict)}')
    try:
        return cls(**args)
    except TypeError as err:  # unknown / missing keys: name the type
        raise TypeError(f'{what} {obj_type!r}: {err}') from None


def build_part(cfg: Union[Mapping[str, Any], Any], kind: str):
    """Build a tracker part (``kind``: ``'similarity'``, ``'assigner'``, ``'memory'`` or
    ``'motion'``) from
    ``dict(type=..., ...)`` registered in ``TRACKING_PARTS``; an already built part is returned
    as is."""
    if isinstance(cfg, Mapping):
        from . import trackers  # noqa: F401  (registers the parts)
        part = _build(TRACKING_PARTS, cfg, f'tracker {kind}')
    else:
        part = cfg
    need = _PART_API[kind]
    if not hasattr(part, need):
        raise TypeError(f'tracker {kind} must provide {need}(), got {part!r}')
    return part


#: the tracker config of ``configs/trackers/`` used when none is named (``tools/track.py``
#: without ``--tracker``): the best detection-only tracker of issue 13 (OKS + Hungarian with
#: MMDet's Kalman motion and camera-motion compensation from the poses)
DEFAULT_TRACKER = 'oks_kalman_cmc'


def default_tracker_config(name: str = DEFAULT_TRACKER) -> str:
    """The path of ``configs/trackers/<name>.py``: in the checkout the package runs from, else
    in the installed package (``mmpose_track/.mim/configs``, what ``mim`` uses).

    Raises:
        FileNotFoundError: neither holds it.
    """
    import os.path as osp
    pkg = osp.dirname(osp.dirname(osp.abspath(__file__)))
    for root in (osp.join(osp.dirname(pkg), 'configs'), osp.join(pkg, '.mim', 'configs')):
        path = osp.join(root, 'trackers', f'{name}.py')
        if osp.isfile(path):
            return path
    raise FileNotFoundError(f'tracker config {name}.py not found in configs/trackers of the '
                            f'checkout or of the installed package ({pkg})')


def build_tracker(cfg: Union[Mapping[str, Any], Any],
                  dataset_meta: Optional[Mapping[str, Any]] = None):
    """Build a tracker registered in ``POSE_TRACKERS``.

    Args:
        cfg: a dict (or mmengine ``Config``/``ConfigDict``) with ``type`` and the tracker's
            keyword arguments (parts as nested dicts: ``similarity=dict(type=...)``...), or the
            path of a tracker config file defining ``tracker = dict(...)``. An already built
            tracker is returned as is.
        dataset_meta: the dataset metainfo; the tracker takes what its config leaves open from
            it (the OKS ``sigmas``).

    Returns:
        The tracker (``reset()``, ``update(...)``, ``feature_keys``).
    """
    from . import trackers  # noqa: F401  (registers the trackers)
    if hasattr(cfg, 'update') and hasattr(cfg, 'reset') and not isinstance(cfg, Mapping):
        tracker = cfg
    else:
        if isinstance(cfg, str):
            from mmengine.config import Config
            cfg = Config.fromfile(cfg)['tracker']
        if not isinstance(cfg, Mapping):
            raise TypeError(f'tracker config must be a dict with a "type", got {cfg!r}')
        tracker = _build(POSE_TRACKERS, cfg, 'tracker')
    if dataset_meta is not None and hasattr(tracker, 'set_dataset_meta'):
        tracker.set_dataset_meta(dataset_meta)
    return tracker
