"""``mmpose_track.structures.polygon``: point-in-polygon with the official evaluator's semantics.

Checked against (1) an exact-arithmetic ray-crossing loop written here (``fractions.Fraction``:
no rounding, boundary excluded, even-odd rule), (2) shapely's ``Polygon.contains(Point)`` point by
point, which is what poseval calls, and (3) hand-made cases.
"""
from fractions import Fraction

import numpy as np
import pytest

from mmpose_track.structures.polygon import points_in_polygon, points_in_polygons


def exact_inside(poly, x, y):
    """Strictly inside, exact: on an edge -> False; else even-odd count of edges crossed by the
    ray to +x (half-open rule on y: an edge counts when it straddles y with one end above)."""
    P = [(Fraction(a), Fraction(b)) for a, b in poly]
    x, y = Fraction(x), Fraction(y)
    inside = False
    for k in range(len(P)):
        (x1, y1), (x2, y2) = P[k - 1], P[k]
        cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)
        if cross == 0 and min(x1, x2) <= x <= max(x1, x2) and min(y1, y2) <= y <= max(y1, y2):
            return False  # on the edge (or a vertex)
        if (y1 > y) != (y2 > y):
            xi = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if xi > x:
                inside = not inside
    return inside


def _cases(seed, n=120):
    rng = np.random.default_rng(seed)
    for t in range(n):
        V = int(rng.integers(3, 12))
        if t % 3 == 0:  # decimals: points a rounding error away from an edge
            poly = rng.uniform(0, 20, (V, 2)).round(1)
        else:  # integer grid: many points exactly on edges and vertices, self-intersections
            poly = rng.integers(0, 20, (V, 2)).astype(float)
        if t % 5 == 0:
            poly = np.concatenate([poly, poly[:1]])  # explicitly closed ring
        pts = np.concatenate([rng.integers(-1, 21, (60, 2)).astype(float), poly,
                              (poly + np.roll(poly, -1, 0)) / 2,
                              rng.uniform(-1, 21, (30, 2))])
        yield poly, pts


def test_equals_exact_arithmetic():
    n_in = n_edge = 0
    for poly, pts in _cases(0):
        got = points_in_polygon(pts, poly)
        want = np.array([exact_inside(poly, x, y) for x, y in pts])
        np.testing.assert_array_equal(got, want, err_msg=str(poly.tolist()))
        n_in += want.sum()
        n_edge += len(poly)  # every vertex and (float) edge midpoint was tried
    assert n_in > 1000 and n_edge > 500  # not vacuous


def test_equals_shapely_polygon_contains_as_poseval():
    from shapely.geometry import Point, Polygon
    for poly, pts in _cases(1, 60):
        P = Polygon(poly.tolist())
        want = [P.contains(Point(x, y)) for x, y in pts]
        assert points_in_polygon(pts, poly).tolist() == want


def test_hand_cases():
    sq = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]])
    pts = np.array([[5, 5], [0, 5], [10, 5], [5, 0], [5, 10], [0, 0], [10, 10], [11, 5],
                    [-1, 5], [5, 11], [9.999, 9.999]], float)
    assert points_in_polygon(pts, sq).tolist() == [True] + [False] * 9 + [True]
    # (8.1, 8.0) is the decimal midpoint of (16, 10.5)-(0.2, 5.5) but, in binary, not on the edge:
    # exact arithmetic puts it inside (a float cross product says 0, "on the edge")
    tri = np.array([[16.0, 10.5], [15.5, 16.9], [13.0, 16.2], [0.2, 5.5]])
    assert points_in_polygon(np.array([[8.1, 8.0]]), tri).tolist() == \
        [exact_inside(tri, 8.1, 8.0)] == [True]
    # shape of the answer follows the points
    assert points_in_polygon(np.zeros((2, 3, 2)) + 5, sq).shape == (2, 3)


def test_groups_many_polygons():
    """Each point meets only its group's polygons; result = OR over them."""
    sq = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]])
    far = sq + 100
    pts = np.array([[5, 5], [5, 5], [105, 105], [105, 105], [5, 5]], float)
    groups = np.array([0, 1, 0, 1, 7])
    # group 0: sq; group 1: far and sq; group 7: none
    got = points_in_polygons(pts, [sq, far, sq], groups, np.array([0, 1, 1]))
    assert got.tolist() == [True, True, False, True, False]
    assert points_in_polygons(pts, []).tolist() == [False] * 5
    assert points_in_polygons(np.zeros((0, 2)), [sq]).shape == (0,)
    with pytest.raises(ValueError, match='fewer than 3 vertices'):
        points_in_polygons(pts, [sq[:2]])


def test_groups_equal_one_by_one():
    rng = np.random.default_rng(3)
    cases = list(_cases(2, 40))
    pts = np.concatenate([p for _, p in cases])
    pg = np.concatenate([np.full(len(p), i) for i, (_, p) in enumerate(cases)])
    polys = [poly for poly, _ in cases]
    qg = np.arange(len(cases))
    perm = rng.permutation(len(polys))
    got = points_in_polygons(pts, [polys[i] for i in perm], pg, qg[perm])
    want = np.concatenate([points_in_polygon(p, poly) for poly, p in cases])
    np.testing.assert_array_equal(got, want)
