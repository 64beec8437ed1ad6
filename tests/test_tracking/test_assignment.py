import numpy as np
import pytest

from mmpose_track.tracking import greedy_assignment, hungarian_assignment


def test_hungarian_beats_greedy_where_greedy_is_suboptimal():
    sim = np.array([[0.9, 0.8], [0.8, 0.1]])
    r, c = hungarian_assignment(sim, thr=0.3)
    assert list(zip(r, c)) == [(0, 1), (1, 0)]  # 0.8 + 0.8
    for order in ('row', 'global'):
        r, c = greedy_assignment(sim, thr=0.3, order=order)
        assert list(zip(r, c)) == [(0, 0)]  # takes 0.9, then only 0.1 < thr is left


def test_greedy_row_order_is_input_order_like_mmpose_0x():
    sim = np.array([[0.5, 0.4], [0.9, 0.2]])
    r, c = greedy_assignment(sim, 0.3, 'row')  # row 0 first takes col 0 (0.5)
    assert list(zip(r, c)) == [(0, 0)]
    r, c = greedy_assignment(sim, 0.3, 'global')  # 0.9 first, then 0.4
    assert list(zip(r, c)) == [(0, 1), (1, 0)]


def test_threshold_nan_rectangular_and_empty():
    sim = np.array([[0.3, np.nan, 0.31], [0.2, 0.95, 0.1]])
    r, c = hungarian_assignment(sim, 0.3)  # 0.3 is not > 0.3; NaN never matched
    assert list(zip(r, c)) == [(0, 2), (1, 1)]
    r, c = hungarian_assignment(sim[:, :1], 0.3)
    assert len(r) == 0
    for fn in (hungarian_assignment, greedy_assignment):
        r, c = fn(np.zeros((0, 3)), 0.1)
        assert r.dtype == np.int64 and len(r) == 0
    with pytest.raises(ValueError):
        greedy_assignment(sim, 0.1, order='bogus')


def test_hungarian_maximises_total_over_admissible_pairs():
    rng = np.random.default_rng(0)
    from itertools import permutations
    for _ in range(20):
        sim = rng.random((4, 4))
        r, c = hungarian_assignment(sim, 0.0)
        best = max(sum(sim[i, p[i]] for i in range(4)) for p in permutations(range(4)))
        assert sim[r, c].sum() == pytest.approx(best)


@pytest.mark.parametrize('seed', [0, 1, 2])
@pytest.mark.parametrize('shape, edges', [((150, 120, ), 400), ((40, 300), 900)])
def test_sparse_hungarian_equals_dense_on_sparse_problems(seed, shape, edges):
    """The sparse solver (dummy-node extension, LAPJVsp) reaches the dense solver's optimum on
    random sparse problems above the dense cut-off, matches only listed pairs above the
    threshold, each row and column once; ties aside the pairs are the same."""
    from mmpose_track.tracking.assignment import sparse_hungarian_assignment
    rng = np.random.default_rng(seed)
    n_r, n_c = shape
    key = np.unique(rng.integers(0, n_r * n_c, edges))
    r, c = key // n_c, key % n_c
    w = rng.uniform(0, 1, len(key))
    w[rng.random(len(key)) < 0.05] = np.nan
    thr = 0.3
    dense = np.full(shape, np.nan)
    dense[r, c] = w
    dr, dc = hungarian_assignment(dense, thr)
    sr, sc = sparse_hungarian_assignment(r, c, w, n_r, n_c, thr, dense_below=0)
    assert len(set(sr)) == len(sr) and len(set(sc)) == len(sc)
    assert (dense[sr, sc] > thr).all()
    np.testing.assert_allclose((dense[sr, sc] - thr).sum(), (dense[dr, dc] - thr).sum(),
                               rtol=1e-9)
    # small problems go to the dense solver: identical pairs
    sr2, sc2 = sparse_hungarian_assignment(r, c, w, n_r, n_c, thr)
    if n_r * n_c < 10000:
        np.testing.assert_array_equal(sr2, dr)
    assert sparse_hungarian_assignment([], [], [], 5, 5, thr)[0].size == 0
