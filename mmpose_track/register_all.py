"""Importing this module registers every mmpose_track module into the host registries.

Configs load the plugin with
``custom_imports = dict(imports=['mmpose_track.register_all'], allow_failed_imports=False)``;
code calls :func:`mmpose_track.utils.register_all_modules`, which imports this module and sets the
default scope. Also allow-lists the globals of MMEngine checkpoints for ``torch.load``
(:func:`mmpose_track.utils.checkpoint.register_checkpoint_safe_globals`) so that resuming works
on torch >= 2.6.
"""
from .utils.checkpoint import register_checkpoint_safe_globals

register_checkpoint_safe_globals()  # before any checkpoint is loaded

from . import codecs  # noqa: F401,E402
from .datasets import datasets, samplers, transforms  # noqa: F401,E402
from . import engine  # noqa: F401,E402
from .evaluation import metrics  # noqa: F401,E402
from . import models  # noqa: F401,E402
from . import tracking  # noqa: F401,E402
from . import visualization  # noqa: F401,E402
