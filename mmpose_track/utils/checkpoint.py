"""Safe resume of MMEngine checkpoints on torch >= 2.6.

Since torch 2.6 ``torch.load`` defaults to ``weights_only=True``, and MMEngine 0.10.7 cannot resume:
its checkpoints' ``meta`` holds numpy arrays and scalars (``dataset_meta``, seeds) and the message
hub's ``HistoryBuffer`` objects, whose pickles also call ``getattr(HistoryBuffer, 'mean')`` for the
buffer's statistics methods. Instead of turning ``weights_only`` off (which would execute arbitrary
code from untrusted files), we allow-list exactly these globals, and replace ``builtins.getattr`` by
a function that only returns the registered statistics methods of ``HistoryBuffer``.
"""
import pickle
from typing import Any

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

_REGISTERED = False


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """``getattr`` restricted to what a pickled ``HistoryBuffer`` needs."""
    if obj is HistoryBuffer and isinstance(name, str) and (
            name in HistoryBuffer._statistics_methods or name in ('min', 'max', 'mean', 'current')):
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({obj!r}, {name!r}), which is not allow-listed '
        '(only HistoryBuffer statistics methods are); refusing to load an untrusted object')


def _numpy_globals() -> list:
    """Numpy functions and classes found in checkpoints, under numpy 1.x and 2.x module names."""
    try:
        from numpy.core.multiarray import _reconstruct, scalar
    except ImportError:  # pragma: no cover - numpy 2 without the numpy.core alias
        from numpy._core.multiarray import _reconstruct, scalar
    entries: list = [np.ndarray, np.dtype]
    for mod in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        entries += [(_reconstruct, f'{mod}._reconstruct'), (scalar, f'{mod}.scalar')]
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        entries += [getattr(dtypes, name) for name in dir(dtypes) if name.endswith('DType')]
    return entries


def register_checkpoint_safe_globals() -> None:
    """Allow-list, once per process, the globals that MMEngine/MMPose checkpoints contain."""
    global _REGISTERED
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if _REGISTERED or add_safe_globals is None:  # torch < 2.4 loads everything anyway
        return
    add_safe_globals(_numpy_globals() + [
        HistoryBuffer,
        (_history_buffer_getattr, 'builtins.getattr'),
        (_history_buffer_getattr, '__builtin__.getattr'),
    ])
    _REGISTERED = True
