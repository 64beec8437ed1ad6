"""Bipartite assignment between detections (rows) and tracks (columns) of a similarity matrix.

Both functions return ``(rows, cols)`` int64 index arrays of the matched pairs, rows ascending.
A pair is only ever matched when its similarity is strictly greater than ``thr``; NaN entries are
never matched. Torch tensors are accepted (moved to the CPU: scipy does the work). scipy.optimize
is imported on the first Hungarian call (0.3 s: the package import stays light).
"""
from typing import Tuple

import numpy as np
from ._utils import to_numpy

__all__ = ['hungarian_assignment', 'greedy_assignment']

_EMPTY = np.zeros(0, dtype=np.int64)
_LSA = []  # scipy.optimize.linear_sum_assignment, once imported


def _linear_sum_assignment():
    if not _LSA:
        from scipy.optimize import linear_sum_assignment
        _LSA.append(linear_sum_assignment)
    return _LSA[0]


def hungarian_assignment(similarity, thr: float = 0.0) -> Tuple[np.ndarray, np.ndarray]:
    """Maximum-weight bipartite matching with a minimum similarity (Munkres, scipy).

    Solves ST-Embed Eq. 8 / TKMRNet Eq. 3–4 (``max Σ z_ij w_ij`` with each row and column used at
    most once) over the admissible pairs ``w_ij > thr``. Leaving a row unmatched is allowed, so the
    objective is ``Σ (w_ij − thr)`` over matched pairs — the same as a cost limit in ``lapjv`` or
    gating with dummy nodes: a pair is only worth matching when it beats the threshold.
    Implemented with ``scipy.optimize.linear_sum_assignment`` on weights ``w − thr`` (inadmissible
    pairs get 0 and are dropped afterwards).
    """
    sim = to_numpy(similarity)
    if sim.ndim != 2:
        raise ValueError(f'similarity must be 2-D, got shape {sim.shape}')
    if sim.shape[0] == 0 or sim.shape[1] == 0:
        return _EMPTY, _EMPTY
    gain = sim - thr
    np.fmax(gain, 0.0, out=gain)  # inadmissible pairs (<= thr, NaN) -> 0
    rows, cols = _linear_sum_assignment()(gain, maximize=True)
    keep = gain[rows, cols] > 0
    return rows[keep].astype(np.int64, copy=False), cols[keep].astype(np.int64, copy=False)


def greedy_assignment(similarity, thr: float = 0.0,
                      order: str = 'row') -> Tuple[np.ndarray, np.ndarray]:
    """Greedy matching (baseline).

    ``order='row'`` is MMPose 0.x ``get_track_id``/``_track_by_oks``: each detection in input order
    takes the still-free track of highest similarity, matched only if that similarity ``> thr``
    (the track is then removed from the pool; otherwise the detection starts a new track).
    ``order='global'`` repeatedly takes the highest remaining entry of the matrix (greedy
    bipartite matching as in Simple Baselines / FlowTrack's ``oks-gbm``).
    Neither is optimal: ``[[0.9, 0.8], [0.8, 0.1]]`` with ``thr=0.3`` gives one pair (0.9) where
    :func:`hungarian_assignment` gives two (0.8 + 0.8).
    """
    sim = to_numpy(similarity)
    if sim.ndim != 2:
        raise ValueError(f'similarity must be 2-D, got shape {sim.shape}')
    n, m = sim.shape
    if n == 0 or m == 0:
        return _EMPTY, _EMPTY
    work = np.where(np.isnan(sim), -np.inf, sim)
    rows, cols = [], []
    if order == 'row':  # rows come out ascending
        for i in range(n):
            row = work[i]
            j = int(row.argmax())
            if row[j] > thr:
                rows.append(i)
                cols.append(j)
                work[:, j] = -np.inf
        return np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)
    if order == 'global':
        for _ in range(min(n, m)):
            flat = int(np.argmax(work))
            i, j = divmod(flat, m)
            if not work[i, j] > thr:
                break
            rows.append(i)
            cols.append(j)
            work[i, :] = -np.inf
            work[:, j] = -np.inf
    else:
        raise ValueError(f"order must be 'row' or 'global', got {order!r}")
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    srt = np.argsort(rows, kind='stable')
    return rows[srt], cols[srt]
