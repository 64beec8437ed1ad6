"""The similarity part of a :class:`PoseTracker` (config part ``similarity=dict(type=...)``).

A new similarity is one small class registered in ``mmpose_track.registry.TRACKING_PARTS``::

    @TRACKING_PARTS.register_module()
    class CentreSimilarity(BaseSimilarity):
        def __call__(self, det, memory, det_idx, trk_idx, min_sim=None):
            cd = take(det.boxes, det_idx)      # (n, 4) current detections
            ct = take(memory.boxes, trk_idx)   # (m, 4) tracks
            ...
            return sim                         # (n, m), higher = same person

and a tracker config ``dict(type='PoseTracker', similarity=dict(type='CentreSimilarity'),
assigner=dict(type='HungarianAssigner', match_thr=...))``.
"""
import os.path as osp
import sys
import warnings
from typing import Any, Mapping, Optional, Tuple

import numpy as np

__all__ = ['BaseSimilarity']

_TRACKING_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))


class BaseSimilarity:
    """Interface of a tracker similarity: ``(n, m)`` between detections and tracks.

    Class attributes declare what the similarity reads from ``update(..., **features)``:

    * ``feature_keys``: per-person features, one row per person (``embeddings (N, D)``...);
    * ``memory_keys``: those of ``feature_keys`` remembered per track (None: all of them);
    * ``pairwise_keys``: per-frame inputs that are not one row per person (callables,
      ``(N, N_prev, K)`` arrays against the previous update's people...);
    * ``pairwise_axes``: for array-valued ``pairwise_keys``, which frame each leading axis
      indexes (``'prev'`` or ``'cur'``), so that a caller that suppresses people can keep the
      right rows; keys not listed index the previous frame along their first axis;
    * ``tensor_keys``: those of ``feature_keys`` kept as given when they are tensors (on their
      device, in memory too) instead of being converted to float64 numpy, for similarities that
      score them on the model's device (e.g. a learned classifier).
    """
    feature_keys: Tuple[str, ...] = ()
    memory_keys: Optional[Tuple[str, ...]] = None
    pairwise_keys: Tuple[str, ...] = ()
    pairwise_axes: Mapping[str, Tuple[str, ...]] = {}
    tensor_keys: Tuple[str, ...] = ()

    def __call__(self, det, memory, det_idx: Optional[np.ndarray], trk_idx: Optional[np.ndarray],
                 min_sim: Optional[float] = None) -> np.ndarray:
        """Similarity (higher = same person) between detections and tracks.

        Args:
            det: the current frame (:class:`~.track_memory.DetectionFrame`).
            memory: the tracks (:class:`~.track_memory.TrackMemory`).
            det_idx: the detections to score (None: all ``det.n``).
            trk_idx: the memory rows to score (None: all).
            min_sim: the assigner's threshold: a pair scored ``<= min_sim`` is never matched, so
                the similarity may return any value ``<= min_sim`` for it (skip work).

        Returns:
            ``(n, m)`` float64; ``-inf`` or NaN for pairs that must not match.
        """
        raise NotImplementedError

    @property
    def remembered_keys(self) -> Tuple[str, ...]:
        """The per-person features the memory keeps per track."""
        return tuple(self.feature_keys if self.memory_keys is None else self.memory_keys)

    def set_dataset_meta(self, dataset_meta: Mapping[str, Any]) -> None:
        """Take what applies from the dataset metainfo (e.g. OKS ``sigmas``); default: nothing."""

    def warn_once(self, key: str, msg: str) -> None:
        """A ``UserWarning`` the first time ``key`` is seen by this part, attributed to the first
        caller outside ``mmpose_track.tracking`` (the line that called ``update``)."""
        warned = self.__dict__.setdefault('_warned', set())
        if key in warned:
            return
        warned.add(key)
        level, frame = 1, sys._getframe(0)
        while frame is not None and frame.f_code.co_filename.startswith(_TRACKING_DIR):
            frame, level = frame.f_back, level + 1
        warnings.warn(msg, stacklevel=level)

    def __repr__(self) -> str:
        args = ', '.join(f'{k}={v!r}' for k, v in vars(self).items() if not k.startswith('_'))
        return f'{type(self).__name__}({args})'
