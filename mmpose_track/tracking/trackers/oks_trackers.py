"""OKS trackers: the MMPose 0.x greedy baseline and its Hungarian version."""
from typing import Optional, Sequence

import numpy as np

from mmpose_track.registry import POSE_TRACKERS
from .._utils import COCO_SIGMAS
from .base_pose_tracker import BasePoseTracker, _Frame, _take


def _oks_dense(ka, kb, aa, ab, inv, vis_thr):
    d = ka[:, None, :, :2] - kb[None, :, :, :2]
    d *= d
    e = d[..., 0] + d[..., 1]
    e *= inv
    e *= (-2.0 / (aa[:, None] + ab[None, :]))[..., None]
    np.exp(e, out=e)
    if vis_thr is None:
        s = e.sum(-1)
        if not np.isnan(s).any():
            return s * (1.0 / e.shape[-1])
        valid = ~np.isnan(e)
    else:
        valid = (ka[:, None, :, 2] > vis_thr) & (kb[None, :, :, 2] > vis_thr) & ~np.isnan(e)
    n = valid.sum(-1)
    return np.where(valid, e, 0.0).sum(-1) / np.maximum(n, 1)


def _extent(k: np.ndarray) -> np.ndarray:
    """Box around the finite joints (NaN-ignoring), ``(N, 4)``; NaN when none is finite."""
    xy = k[..., :2]
    return np.concatenate([np.fmin.reduce(xy, axis=1), np.fmax.reduce(xy, axis=1)], 1)


def oks_fast(kpts_a: np.ndarray, kpts_b: np.ndarray, area_a: np.ndarray, area_b: np.ndarray,
             inv_two_var: np.ndarray, vis_thr: Optional[float] = None,
             thr: Optional[float] = None, min_pairs_for_gating: int = 256) -> np.ndarray:
    """Numpy-only OKS matrix for the trackers' hot path (same maths as
    :func:`~mmpose_track.tracking.similarity.oks_matrix`, inputs already validated: areas
    ``>= 1``, non-finite joints have NaN coordinates).

    With ``thr > 0`` and many pairs, pairs that *cannot* reach ``OKS > thr`` are skipped (set to
    0): every joint of a pose lies in the box around its finite joints, so the distance ``g``
    between two such boxes bounds every joint distance and ``OKS <= exp(−g² · min_k 1/(2·s²·
    (2σ_k)²))``. Exact for any assignment with threshold ``thr``; it makes the cost grow with
    the number of *nearby* pairs instead of all ``N·M`` pairs.
    """
    n, m = len(kpts_a), len(kpts_b)
    if thr is None or thr <= 0 or n * m < min_pairs_for_gating:
        return _oks_dense(kpts_a, kpts_b, area_a, area_b, inv_two_var, vis_thr)
    ea, eb = _extent(kpts_a), _extent(kpts_b)
    gx = np.maximum(np.maximum(ea[:, None, 0] - eb[None, :, 2], eb[None, :, 0] - ea[:, None, 2]), 0)
    gy = np.maximum(np.maximum(ea[:, None, 1] - eb[None, :, 3], eb[None, :, 1] - ea[:, None, 3]), 0)
    scale = 0.5 * (area_a[:, None] + area_b[None, :])
    bound_e = (gx * gx + gy * gy) * (inv_two_var.min() / scale)
    cand = bound_e < -np.log(thr)  # NaN extents (no finite joint) -> False -> OKS 0
    ii, jj = np.nonzero(cand)
    out = np.zeros((n, m))
    if len(ii) == 0:
        return out
    if len(ii) > 0.5 * n * m:
        return _oks_dense(kpts_a, kpts_b, area_a, area_b, inv_two_var, vis_thr)
    a = kpts_a[ii]
    b = kpts_b[jj]
    d = a[..., :2] - b[..., :2]
    d *= d
    e = d[..., 0] + d[..., 1]
    e *= inv_two_var
    e *= (-1.0 / scale[ii, jj])[:, None]
    np.exp(e, out=e)
    if vis_thr is None:
        valid = ~np.isnan(e)
    else:
        valid = (a[..., 2] > vis_thr) & (b[..., 2] > vis_thr) & ~np.isnan(e)
    out[ii, jj] = np.where(valid, e, 0.0).sum(-1) / np.maximum(valid.sum(-1), 1)
    return out


class _OKSMixin:
    """Shared OKS similarity; ``sigmas`` default to COCO-17."""

    def _init_oks(self, sigmas: Optional[Sequence[float]], vis_thr: Optional[float]):
        self.sigmas = None if sigmas is None else np.asarray(sigmas, dtype=np.float64)
        self.vis_thr = vis_thr
        self._inv = None

    def _inv_two_var(self, k: int) -> np.ndarray:
        if self._inv is None or len(self._inv) != k:
            s = COCO_SIGMAS if self.sigmas is None else self.sigmas
            if len(s) != k:
                raise ValueError(f'{type(self).__name__}: {len(s)} sigmas for {k} keypoints; '
                                 'pass sigmas=[...] of length K')
            self._inv = 1.0 / (2.0 * (2.0 * s)**2)
        return self._inv

    def similarity(self, det: _Frame, det_idx, trk_idx) -> np.ndarray:
        return oks_fast(_take(det.kpts, det_idx), _take(self._kpts, trk_idx),
                        _take(det.areas, det_idx), _take(self._areas, trk_idx),
                        self._inv_two_var(det.kpts.shape[1]), self.vis_thr, self.match_thr)


@POSE_TRACKERS.register_module()
class OKSHungarianTracker(_OKSMixin, BasePoseTracker):
    """OKS similarity + optimal (Munkres) assignment.

    OKS as MMPose's ``oks_iou`` (area of the box, or of the joints' extent when no box is
    given); the assignment maximises the summed OKS over pairs above ``match_thr`` (TKMRNet
    Eq. 3–4 with ``w = OKS``, their "OKS" ablation M3). Config keys: ``match_thr`` (0.3),
    ``sigmas`` (COCO), ``vis_thr`` (None: all joints, as MMPose), and the
    :class:`BasePoseTracker` lifecycle keys.
    """

    def __init__(self, match_thr: float = 0.3, sigmas: Optional[Sequence[float]] = None,
                 vis_thr: Optional[float] = None, num_frames_retain: int = 1, **kwargs):
        kwargs.setdefault('assigner', 'hungarian')
        super().__init__(match_thr=match_thr, num_frames_retain=num_frames_retain, **kwargs)
        self._init_oks(sigmas, vis_thr)


@POSE_TRACKERS.register_module()
class OKSGreedyTracker(OKSHungarianTracker):
    """MMPose 0.x baseline (``inference_tracking.get_track_id`` with ``use_oks=True``).

    Each detection, in input order, takes the previous-frame track of highest OKS if that OKS
    is ``> match_thr`` (0.3, MMPose's ``tracking_thr``), else a new id; only the previous frame's
    people are candidates (``num_frames_retain=1``, no re-activation). Unlike 0.x, a detection
    with few keypoints still gets a (new) id instead of ``-1``: ids must be ``>= 0`` here.
    """

    def __init__(self, match_thr: float = 0.3, num_frames_retain: int = 1,
                 reactivate: bool = False, **kwargs):
        kwargs.setdefault('assigner', 'greedy')
        super().__init__(match_thr=match_thr, num_frames_retain=num_frames_retain,
                         reactivate=reactivate, **kwargs)
