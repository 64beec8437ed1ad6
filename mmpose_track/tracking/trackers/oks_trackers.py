"""OKS similarity, and the trackers built on it: the MMPose 0.x greedy baseline and its Hungarian
version."""
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from mmpose_track.registry import POSE_TRACKERS, TRACKING_PARTS
from ..similarity import oks_inv_two_var, oks_matrix_prepared
from .base_similarity import BaseSimilarity
from .pose_tracker import PresetTracker
from .track_memory import take

__all__ = ['OKSSimilarity', 'OKSHungarianTracker', 'OKSGreedyTracker']


class SigmasMixin:
    """``sigmas`` from the config, else from the dataset metainfo, else PoseTrack18 (= COCO)."""

    def _init_sigmas(self, sigmas: Optional[Sequence[float]]) -> None:
        self.sigmas = None if sigmas is None else np.asarray(sigmas, dtype=np.float64)
        self._meta_sigmas = None
        self._inv = None

    def set_dataset_meta(self, dataset_meta: Mapping[str, Any]) -> None:
        if self.sigmas is None and dataset_meta.get('sigmas') is not None:
            self._meta_sigmas = np.asarray(dataset_meta['sigmas'], dtype=np.float64)
            self._inv = None

    def inv_two_var(self, num_keypoints: int) -> np.ndarray:
        """``1 / (2 (2σ)²)`` for ``K`` keypoints (cached)."""
        if self._inv is None or len(self._inv) != num_keypoints:
            s = self.sigmas if self.sigmas is not None else self._meta_sigmas
            try:
                self._inv = oks_inv_two_var(s, num_keypoints)
            except ValueError as err:
                raise ValueError(f'{type(self).__name__}: {err}') from None
        return self._inv


@TRACKING_PARTS.register_module()
class OKSSimilarity(SigmasMixin, BaseSimilarity):
    """Object Keypoint Similarity between detections and tracks (MMPose's ``oks_iou``).

    ``OKS = mean_k exp(−d_k² / (2 s² (2σ_k)²))``, ``s²`` the mean of the two people's areas (the
    box's, or the joints' extent when no box is given);
    :func:`~mmpose_track.tracking.oks_matrix_prepared`.

    Args:
        sigmas: ``(K,)`` OKS sigmas; None: the dataset metainfo's (``set_dataset_meta``), else
            PoseTrack18's (= COCO's).
        vis_thr: average only over joints scored ``> vis_thr`` in both poses (None: all joints,
            as MMPose).
    """

    def __init__(self, sigmas: Optional[Sequence[float]] = None,
                 vis_thr: Optional[float] = None):
        self._init_sigmas(sigmas)
        self.vis_thr = vis_thr

    def __call__(self, det, memory, det_idx, trk_idx, min_sim=None) -> np.ndarray:
        return oks_matrix_prepared(take(det.kpts, det_idx), take(memory.kpts, trk_idx),
                                   take(det.areas, det_idx), take(memory.areas, trk_idx),
                                   self.inv_two_var(det.kpts.shape[1]), self.vis_thr, min_sim)


@POSE_TRACKERS.register_module()
class OKSHungarianTracker(PresetTracker):
    """OKS similarity + optimal (Munkres) assignment.

    The assignment maximises the summed OKS over pairs above ``match_thr`` (TKMRNet Eq. 3–4 with
    ``w = OKS``, their "OKS" ablation M3). Config keys: ``match_thr`` (0.3), ``sigmas`` and
    ``vis_thr`` (:class:`OKSSimilarity`), and the :class:`PresetTracker` keys.
    """

    def __init__(self, match_thr: float = 0.3, sigmas: Optional[Sequence[float]] = None,
                 vis_thr: Optional[float] = None, **kwargs):
        super().__init__(OKSSimilarity(sigmas, vis_thr), match_thr=match_thr, **kwargs)


@POSE_TRACKERS.register_module()
class OKSGreedyTracker(OKSHungarianTracker):
    """MMPose 0.x baseline (``inference_tracking.get_track_id`` with ``use_oks=True``).

    Each detection, in input order, takes the previous-frame track of highest OKS if that OKS
    is ``> match_thr`` (0.3, MMPose's ``tracking_thr``), else a new id; only the previous frame's
    people are candidates (``num_frames_retain=1``, no re-activation). Unlike 0.x, a detection
    with few keypoints still gets a (new) id instead of ``-1``: ids must be ``>= 0`` here.
    """

    def __init__(self, match_thr: float = 0.3, reactivate: bool = False,
                 assigner: str = 'greedy', **kwargs):
        super().__init__(match_thr=match_thr, reactivate=reactivate, assigner=assigner, **kwargs)
