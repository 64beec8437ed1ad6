"""Point-in-polygon for many points and many polygons at once (PoseTrack ignore regions).

One implementation, vectorised: the polygons are built and prepared once by shapely 2 and every
(point, polygon) pair is tested in one C call (``shapely.contains_xy``); a numpy bounding-box test
first discards the pairs that cannot be inside.

Semantics are those of the official PoseTrack evaluator (poseval
``eval_helpers.removeIgnoredPoints``: ``shapely.geometry.Polygon(region).contains(Point(x, y))``):
a point is inside when it lies in the polygon's interior -- points on an edge or a vertex are
outside; the ring is closed implicitly; a self-intersecting ring follows the even-odd
(ray-crossing) rule of GEOS; orientation tests are exact (GEOS' robust predicates), so a point a
rounding error away from an edge is classified as exact arithmetic says. ``shapely.contains_xy``
on a prepared polygon is the same GEOS predicate (``IndexedPointInAreaLocator``), checked equal to
``Polygon.contains`` and to an exact-arithmetic reference in
``tests/test_evaluation/test_polygon.py``.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np


def _shapely():
    try:
        import shapely
    except ImportError as e:  # pragma: no cover - shapely is in requirements/runtime.txt
        raise ImportError('point-in-polygon needs shapely >= 2 (pip install shapely; see '
                          'requirements/runtime.txt)') from e
    return shapely


def points_in_polygons(points: np.ndarray,
                       polygons: Sequence[np.ndarray],
                       point_groups: Optional[np.ndarray] = None,
                       polygon_groups: Optional[np.ndarray] = None) -> np.ndarray:
    """Which points lie strictly inside at least one polygon of their group.

    Args:
        points: ``(N, 2)`` ``x, y``.
        polygons: M polygons, each ``(V_m, 2)`` vertices (``V_m >= 3``, the ring closes
            implicitly).
        point_groups: ``(N,)`` integer group of each point (e.g. its frame); default: all 0.
        polygon_groups: ``(M,)`` integer group of each polygon; a point is tested only against the
            polygons of its own group. Default: all 0.

    Returns:
        ``(N,)`` bool: ``True`` where the point is in the interior of some polygon of its group
        (boundary excluded).
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    n, m = len(pts), len(polygons)
    inside = np.zeros(n, bool)
    if n == 0 or m == 0:
        return inside
    pg = np.zeros(n, np.int64) if point_groups is None else \
        np.asarray(point_groups, np.int64).reshape(n)
    qg = np.zeros(m, np.int64) if polygon_groups is None else \
        np.asarray(polygon_groups, np.int64).reshape(m)
    verts = [np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in polygons]
    sizes = np.array([len(v) for v in verts])
    if (sizes < 3).any():
        raise ValueError(f'polygon {int(np.argmax(sizes < 3))} has fewer than 3 vertices')
    coords = np.concatenate(verts)
    ring = np.repeat(np.arange(m), sizes)
    # bounding boxes; a point outside the open box of a polygon is not in its interior
    lo = np.empty((m, 2))
    hi = np.empty((m, 2))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    lo[:] = np.minimum.reduceat(coords, starts, axis=0)
    hi[:] = np.maximum.reduceat(coords, starts, axis=0)

    # (point, polygon) pairs of the same group: sort polygons by group, each point meets the
    # contiguous run of its group's polygons
    order = np.argsort(qg, kind='stable')
    sg = qg[order]
    first = np.searchsorted(sg, pg, 'left')
    count = np.searchsorted(sg, pg, 'right') - first
    tot = int(count.sum())
    if tot == 0:
        return inside
    pi = np.repeat(np.arange(n), count)
    offs = np.arange(tot) - np.repeat(np.cumsum(count) - count, count)
    qi = order[np.repeat(first, count) + offs]
    x, y = pts[pi, 0], pts[pi, 1]
    near = (x > lo[qi, 0]) & (x < hi[qi, 0]) & (y > lo[qi, 1]) & (y < hi[qi, 1])
    if not near.any():
        return inside
    pi, qi = pi[near], qi[near]
    shapely = _shapely()
    used = np.unique(qi)
    keep = np.isin(ring, used)
    remap = np.full(m, -1)
    remap[used] = np.arange(len(used))
    rings = shapely.linearrings(coords[keep], indices=remap[ring[keep]])
    geoms = shapely.polygons(rings)
    shapely.prepare(geoms)
    hit = shapely.contains_xy(geoms[remap[qi]], pts[pi, 0], pts[pi, 1])
    inside[pi[hit]] = True
    return inside


def points_in_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """:func:`points_in_polygons` for one polygon: ``(..., 2)`` points -> ``(...)`` bool."""
    pts = np.asarray(points, dtype=np.float64)
    return points_in_polygons(pts.reshape(-1, 2), [polygon]).reshape(pts.shape[:-1])
