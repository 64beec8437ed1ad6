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
