"""Datasets, samplers and transforms (registered on import of each subpackage), and the synthetic
PoseTrack18 generator (numpy + OpenCV only).

Subpackages load on first access, so ``mmpose_track.datasets.synthetic`` imports without the
OpenMMLab stack; :mod:`mmpose_track.register_all` imports the registered ones.
"""
from mmpose_track.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__, submodules=('datasets', 'samplers', 'synthetic', 'transforms'))
