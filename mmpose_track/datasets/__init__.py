"""Datasets, samplers and transforms (registered on import of each subpackage), and the synthetic
PoseTrack18 generator (numpy + OpenCV only).

Subpackages load on first access, so ``mmpose_track.datasets.synthetic`` imports without the
OpenMMLab stack; :mod:`mmpose_track.register_all` imports the registered ones.
"""
import importlib

_SUBMODULES = ('datasets', 'samplers', 'synthetic', 'transforms')

__all__ = list(_SUBMODULES)


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f'{__name__}.{name}')
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
