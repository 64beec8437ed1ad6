"""Small array helpers shared by the tracking functions (numpy or torch, torch imported lazily).

Functions in :mod:`mmpose_track.tracking` take numpy arrays or torch tensors. Tensors in give
tensors out (same device and dtype family); torch is never imported unless a tensor is passed, so
the numpy paths work without torch installed.
"""
from typing import Any, Tuple

import numpy as np

EPS = float(np.spacing(1))
_NDARRAY = np.ndarray


def is_tensor(x: Any) -> bool:
    """True for a ``torch.Tensor`` without importing torch."""
    t = type(x)
    return t is not _NDARRAY and t.__module__.startswith('torch') and hasattr(x, 'detach')


def xp_of(*arrays: Any):
    """Return the array namespace (``numpy`` or ``torch``) of the first non-None argument."""
    for a in arrays:
        if a is not None and is_tensor(a):
            import torch
            return torch
    return np


def to_numpy(x: Any, dtype=np.float64) -> np.ndarray:
    """Tensor or array-like to a numpy array of ``dtype`` (no copy when already right)."""
    if type(x) is _NDARRAY and x.dtype == dtype:
        return x
    if is_tensor(x):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=dtype)


def as_like(value: Any, ref: Any):
    """``value`` (array-like) as an array of the same kind, device and float dtype as ``ref``."""
    if is_tensor(ref):
        import torch
        dtype = ref.dtype if ref.is_floating_point() else torch.float32
        return torch.as_tensor(np.asarray(value), dtype=dtype, device=ref.device)
    return np.asarray(value, dtype=np.float64)


def clamp_min(x, v: float):
    """``max(x, v)`` elementwise (numpy or torch)."""
    if is_tensor(x):
        return x.clamp(min=v)
    return np.maximum(x, v)


def finite_or(x, fill: float):
    """Replace non-finite values by ``fill`` (numpy or torch)."""
    if is_tensor(x):
        import torch
        return torch.where(torch.isfinite(x), x, torch.full_like(x, fill))
    return np.where(np.isfinite(x), x, fill)


def to_float(x):
    """Float copy-free view for numpy (float64) / tensors (keep floating dtype, else float32)."""
    if type(x) is _NDARRAY and x.dtype == np.float64:
        return x
    if is_tensor(x):
        return x if x.is_floating_point() else x.float()
    return np.asarray(x, dtype=np.float64)


def split_keypoints(keypoints) -> Tuple[Any, Any]:
    """``(N, K, 2|3)`` → coordinates ``(N, K, 2)`` and scores ``(N, K)`` (ones when absent)."""
    keypoints = to_float(keypoints)
    if keypoints.ndim != 3 or keypoints.shape[-1] not in (2, 3):
        raise ValueError(f'keypoints must be (N, K, 2) or (N, K, 3), got {tuple(keypoints.shape)}')
    xy = keypoints[..., :2]
    if keypoints.shape[-1] == 3:
        scores = keypoints[..., 2]
    else:
        scores = keypoints[..., 0] * 0 + 1
    return xy, scores
