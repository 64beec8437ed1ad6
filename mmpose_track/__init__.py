"""mmpose_track: multi-person pose estimation and tracking in video for MMPose 1.x.

Importing the package registers its codecs, datasets, transforms, models, metrics, hooks and loops
into the MMPose/MMDet/MMEngine registries (configs do it with ``custom_imports``).
"""
from .version import __version__  # noqa: F401
from . import utils  # noqa: F401,E402  (patches first: checkpoint loading)
from . import (apis, codecs, datasets, engine, evaluation, models,  # noqa: F401,E402
               tracking)

__all__ = ['__version__']
