"""mmpose_track: multi-person pose estimation and tracking in video for MMPose 1.x.

Importing the package is light (no torch, no registry): subpackages load on first access
(``mmpose_track.tracking``, ``mmpose_track.datasets``, ...). To register every codec, dataset,
transform, model, metric, hook, loop and visualizer into the MMPose/MMDet/MMEngine registries,
call :func:`mmpose_track.utils.register_all_modules` (as MMPose's ``register_all_modules``), or
import :mod:`mmpose_track.register_all`, which configs do with
``custom_imports = dict(imports=['mmpose_track.register_all'], allow_failed_imports=False)``.
"""
from .lazy import lazy_exports
from .version import __version__

__getattr__, __dir__, _lazy_all = lazy_exports(
    __name__, submodules=('apis', 'codecs', 'datasets', 'engine', 'evaluation', 'models',
                          'register_all', 'registry', 'structures', 'tracking', 'utils',
                          'visualization'))
__all__ = ['__version__', *_lazy_all]
