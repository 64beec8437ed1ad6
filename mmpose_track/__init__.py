"""mmpose_track: multi-person pose estimation and tracking in video for MMPose 1.x.

Importing the package is light (no torch, no registry): subpackages load on first access
(``mmpose_track.tracking``, ``mmpose_track.datasets``, ...). To register every codec, dataset,
transform, model, metric, hook, loop and visualizer into the MMPose/MMDet/MMEngine registries,
call :func:`mmpose_track.utils.register_all_modules` (as MMPose's ``register_all_modules``), or
import :mod:`mmpose_track.register_all`, which configs do with
``custom_imports = dict(imports=['mmpose_track.register_all'], allow_failed_imports=False)``.
"""
import importlib

from .version import __version__

_SUBMODULES = ('apis', 'codecs', 'datasets', 'engine', 'evaluation', 'models', 'register_all',
               'registry', 'structures', 'tracking', 'utils', 'visualization')

__all__ = ['__version__', *_SUBMODULES]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f'{__name__}.{name}')
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
