"""Output filters applied after tracking (before MOTA), as the papers do."""
from typing import Dict, Optional

import numpy as np

from ._utils import is_tensor

__all__ = ['filter_low_score_joints', 'short_track_remap']


def filter_low_score_joints(keypoints, thr: float, fill_xy: Optional[float] = None):
    """Zero the score of joints scored below ``thr`` (a copy; numpy or torch).

    The clip tracking and TKMRNet evaluations threshold low-confidence joints before MOTA; a
    joint with score 0 is "not predicted" for them. ``fill_xy`` also overwrites the coordinates
    of those joints (e.g. ``0`` or ``nan``); by default they are kept. ``keypoints``: ``(..., K,
    3)``. Non-finite scores count as below any threshold.
    """
    if keypoints.shape[-1] != 3:
        raise ValueError(f'keypoints must end in (x, y, score), got shape {tuple(keypoints.shape)}')
    if is_tensor(keypoints):
        import torch
        out = keypoints.clone()
        low = ~(out[..., 2] >= thr)
        out[..., 2] = torch.where(low, torch.zeros_like(out[..., 2]), out[..., 2])
        if fill_xy is not None:
            out[..., :2][low] = fill_xy
        return out
    out = np.array(keypoints, dtype=np.float64, copy=True)
    low = ~(out[..., 2] >= thr)
    out[..., 2][low] = 0.0
    if fill_xy is not None:
        out[..., :2][low] = fill_xy
    return out


def short_track_remap(track_lengths: Dict[int, int], min_length: int) -> Dict[int, int]:
    """``{track_id: track_id or -1}``: ``-1`` for tracks with fewer than ``min_length`` frames.

    Clip tracking removes "very short tracklets" before MOTA; the caller drops (or flags) the
    instances mapped to -1.
    """
    return {int(k): (int(k) if v >= min_length else -1) for k, v in track_lengths.items()}
