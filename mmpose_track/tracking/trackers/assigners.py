"""Assignment parts of a :class:`PoseTracker`: detections (rows) to tracks (columns) of a
similarity matrix (config part ``assigner=dict(type=..., match_thr=...)``).

Thin registered wrappers over :func:`~mmpose_track.tracking.hungarian_assignment` and
:func:`~mmpose_track.tracking.greedy_assignment`. ``match_thr`` belongs to the assignment: a pair is
matched only when its similarity is strictly greater than it. Registered in
``mmpose_track.registry.TRACKING_PARTS`` (not MMDet's ``TASK_UTILS``, whose ``HungarianAssigner``
is DETR's box assigner).
"""
from typing import Tuple

import numpy as np

from mmpose_track.registry import TRACKING_PARTS
from ..assignment import greedy_assignment, hungarian_assignment

__all__ = ['HungarianAssigner', 'GreedyAssigner']


@TRACKING_PARTS.register_module()
class HungarianAssigner:
    """Optimal matching (Munkres): ST-Embed Eq. 8, TKMRNet Eq. 3–4, over pairs ``> match_thr``.

    Args:
        match_thr: a detection and a track are matched only when their similarity is ``>`` it.
    """

    def __init__(self, match_thr: float = 0.3):
        self.match_thr = float(match_thr)

    def __call__(self, similarity: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """``(rows, cols)`` int64 of the matched pairs, rows ascending."""
        return hungarian_assignment(similarity, self.match_thr)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(match_thr={self.match_thr})'


@TRACKING_PARTS.register_module()
class GreedyAssigner:
    """Greedy matching (baselines), see :func:`~mmpose_track.tracking.greedy_assignment`.

    Args:
        match_thr: a pair is matched only when its similarity is ``>`` it.
        order: ``'row'`` (MMPose 0.x ``_track_by_oks``: detections in input order take their best
            free track) or ``'global'`` (repeatedly the best remaining pair of the matrix:
            Simple Baselines / FlowTrack's greedy bipartite matching).
    """

    def __init__(self, match_thr: float = 0.3, order: str = 'row'):
        if order not in ('row', 'global'):
            raise ValueError(f"GreedyAssigner: order must be 'row' or 'global', got {order!r}")
        self.match_thr = float(match_thr)
        self.order = order

    def __call__(self, similarity: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """``(rows, cols)`` int64 of the matched pairs, rows ascending."""
        return greedy_assignment(similarity, self.match_thr, self.order)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(match_thr={self.match_thr}, order={self.order!r})'
