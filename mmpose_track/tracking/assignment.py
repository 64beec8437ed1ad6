"""Bipartite assignment between detections (rows) and tracks (columns) of a similarity matrix.

Both functions return ``(rows, cols)`` int64 index arrays of the matched pairs, rows ascending.
A pair is only ever matched when its similarity is strictly greater than ``thr``; NaN entries are
never matched. Torch tensors are accepted (moved to the CPU: scipy does the work). scipy.optimize
is imported on the first Hungarian call (0.3 s: the package import stays light).
"""
from typing import Tuple

import numpy as np
from ._utils import to_numpy

__all__ = ['hungarian_assignment', 'sparse_hungarian_assignment', 'greedy_assignment']

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


def sparse_hungarian_assignment(rows, cols, similarity, num_rows: int, num_cols: int,
                                thr: float = 0.0,
                                dense_below: int = 10000) -> Tuple[np.ndarray, np.ndarray]:
    """:func:`hungarian_assignment` of a sparse similarity: only the listed entries exist.

    The same maximum-weight matching over the pairs ``> thr``, for problems where most pairs
    are impossible (offline stitching in a crowd: a tracklet can only continue one that ended
    nearby, shortly before). Solved by ``scipy.sparse.csgraph.min_weight_full_bipartite_matching``
    (LAPJVsp) on the usual extension to a full matching: rows ``R ∪ C'``, columns ``C ∪ R'``,
    a listed pair ``(i, j)`` costs ``2 − (w_ij − thr)``, leaving ``i`` or ``j`` unmatched
    (``(i, i')``, ``(j', j)``) costs 1, and ``(j', i')`` (present for every listed pair) 0, so
    a full matching costs ``|R| + |C| − Σ (w − thr)`` over the matched pairs. Problems with
    fewer than ``dense_below`` cells use the dense solver (faster when small).

    Args:
        rows, cols: ``(E,)`` the listed pairs (distinct).
        similarity: ``(E,)`` their similarities; NaN or ``<= thr`` are never matched.
        num_rows, num_cols: the matrix size.
        thr: see :func:`hungarian_assignment`.
        dense_below: see above.

    Returns:
        ``(rows, cols)`` int64 of the matched pairs, rows ascending.
    """
    rows = np.asarray(rows, np.int64).reshape(-1)
    cols = np.asarray(cols, np.int64).reshape(-1)
    gain = np.asarray(similarity, np.float64).reshape(-1) - thr
    ok = gain > 0  # also drops NaN
    rows, cols, gain = rows[ok], cols[ok], gain[ok]
    if len(rows) == 0:
        return _EMPTY, _EMPTY
    if num_rows * num_cols < dense_below:
        dense = np.full((num_rows, num_cols), np.nan)
        dense[rows, cols] = gain + thr
        return hungarian_assignment(dense, thr)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching
    n_r, n_c, e = num_rows, num_cols, len(rows)
    r_all = np.concatenate([rows, np.arange(n_r), n_r + np.arange(n_c), n_r + cols])
    c_all = np.concatenate([cols, n_c + np.arange(n_r), np.arange(n_c), n_c + rows])
    # explicit zeros would be dropped from the sparse structure: the free edges cost ~0
    cost = np.concatenate([2.0 - gain, np.ones(n_r + n_c), np.full(e, 1e-12)])
    graph = coo_matrix((cost, (r_all, c_all)), shape=(n_r + n_c, n_c + n_r)).tocsr()
    match_r, match_c = min_weight_full_bipartite_matching(graph)
    real = (match_r < n_r) & (match_c < n_c)
    out_r, out_c = match_r[real].astype(np.int64), match_c[real].astype(np.int64)
    order = np.argsort(out_r, kind='stable')
    return out_r[order], out_c[order]


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
