"""TKMRNet (Zhou et al. 2020, Sec. 3.2): temporal keypoint matching similarity, and the tracker
built on it."""
from typing import Callable, Optional, Sequence, Union

import numpy as np

from mmpose_track.registry import POSE_TRACKERS, TRACKING_PARTS
from .._utils import to_numpy
from ..similarity import bbox_iou_matrix, keypoint_oks_terms
from .base_similarity import BaseSimilarity
from .oks_trackers import SigmasMixin
from .pose_tracker import PresetTracker
from .track_memory import take

__all__ = ['KeypointMatchingSimilarity', 'KeypointMatchingTracker']

KeypointSimilarity = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _cosine_kpt_sim(fa: np.ndarray, fb: np.ndarray) -> np.ndarray:
    """Per-keypoint cosine similarity of keypoint features mapped to [0, 1], ``(N, M, K)``."""
    na = fa / np.maximum(np.linalg.norm(fa, axis=-1, keepdims=True), 1e-12)
    nb = fb / np.maximum(np.linalg.norm(fb, axis=-1, keepdims=True), 1e-12)
    return 0.5 * (1.0 + np.einsum('nkd,mkd->nmk', na, nb))


@TRACKING_PARTS.register_module()
class KeypointMatchingSimilarity(SigmasMixin, BaseSimilarity):
    """TKMRNet Eq. 5: ``w_ij = I(IoU >= iou_thr) · Σ_k G_k(f_i^k, f_j^k)``.

    ``G_k`` (per-keypoint "same person" probability) comes from the caller, by priority:

    1. feature ``keypoint_similarity`` (per frame): a callable ``fn(det_keypoint_features (n, K,
       D), track_keypoint_features (m, K, D)) -> (n, m, K)``, or an array ``(N, N_prev, K)``
       against the people of the *previous update call* (in that call's order; tracks not in it
       use the default below);
    2. the config's ``keypoint_similarity``: ``'cosine'`` (cosine similarity of the feature
       ``keypoint_features (N, K, D)``, remembered per track, mapped to [0, 1]) or a callable as
       above;
    3. default ``'oks'``: the per-keypoint OKS term ``exp(−d²/(2s²k²))``
       (:func:`~mmpose_track.tracking.keypoint_oks_terms`, a geometric stand-in for the learned
       matcher), 0 for joints scored ``<= vis_thr`` in either pose.

    Since Eq. 5 sums over ``K`` keypoints, the assigner's ``match_thr`` is on the sum (5.0 ≈
    mean 0.3 over 17 joints).

    Args:
        iou_thr: the IoU gate (0.1).
        keypoint_similarity: ``'oks'``, ``'cosine'`` or a callable (see above).
        sigmas: OKS sigmas of the default ``G_k``; None: the dataset metainfo's, else
            PoseTrack18's (= COCO's).
        vis_thr: joints scored ``<= vis_thr`` have ``G_k = 0`` in the default (None: all count).
    """
    feature_keys = ('keypoint_features', )
    pairwise_keys = ('keypoint_similarity', 'keypoint_pair_similarity')
    pairwise_axes = {'keypoint_similarity': ('cur', 'prev')}
    tensor_keys = ('keypoint_features', )  # the learned G_k scores them on the model's device

    def __init__(self, iou_thr: float = 0.1,
                 keypoint_similarity: Union[str, KeypointSimilarity] = 'oks',
                 sigmas: Optional[Sequence[float]] = None, vis_thr: Optional[float] = 0.0):
        if isinstance(keypoint_similarity, str) and keypoint_similarity not in ('oks', 'cosine'):
            raise ValueError("keypoint_similarity must be 'oks', 'cosine' or a callable")
        self.iou_thr = float(iou_thr)
        self.keypoint_similarity = keypoint_similarity
        self._init_sigmas(sigmas)
        self.vis_thr = vis_thr

    def _oks_terms(self, kd, kt, ad, at) -> np.ndarray:
        """Default ``G_k`` of aligned (broadcast) pose pairs, ``(..., K)``."""
        g = keypoint_oks_terms(kd, kt, ad, at, self.inv_two_var(kd.shape[-2]))
        if self.vis_thr is not None:
            g = np.where((kd[..., 2] > self.vis_thr) & (kt[..., 2] > self.vis_thr), g, 0.0)
        return np.nan_to_num(g, nan=0.0)

    def keypoint_terms(self, det, memory, det_idx, trk_idx) -> np.ndarray:
        """``G_k`` between detections and tracks, ``(n, m, K)``."""
        kd = take(det.kpts, det_idx)
        kt = take(memory.kpts, trk_idx)
        fn = det.feats.get('keypoint_similarity')
        cfg = self.keypoint_similarity
        fd = det.feats.get('keypoint_features')
        ft = memory.feats.get('keypoint_features')
        if callable(fn) or (fn is None and callable(cfg)):
            f = fn if callable(fn) else cfg
            if fd is None or ft is None:
                raise KeyError('a callable keypoint_similarity needs the `keypoint_features` '
                               'feature (N, K, D)')
            return np.nan_to_num(to_numpy(f(take(fd, det_idx), take(ft, trk_idx))), nan=0.0)
        if fn is None and cfg == 'cosine' and fd is not None and ft is not None:
            return np.nan_to_num(_cosine_kpt_sim(to_numpy(take(fd, det_idx)),
                                                 to_numpy(take(ft, trk_idx))), nan=0.0)
        if fn is None and cfg == 'cosine':
            self.warn_once('no_kf', f'{type(self).__name__}: no `keypoint_features`; using '
                           'per-keypoint OKS')
        g = self._oks_terms(kd[:, None], kt[None], take(det.areas, det_idx)[:, None],
                            take(memory.areas, trk_idx)[None])
        if fn is not None:  # precomputed against the previous call's people
            pre = np.asarray(fn, dtype=np.float64)
            if pre.ndim != 3 or pre.shape[0] != det.n or pre.shape[1] != len(memory.prev_ids):
                raise ValueError(
                    f'keypoint_similarity must be (N={det.n}, N_prev={len(memory.prev_ids)}, K), '
                    f'got {pre.shape}')
            pos = memory.prev_frame_positions(trk_idx)
            have = pos >= 0
            if have.any():
                sub = take(pre, det_idx)
                g[:, have] = np.nan_to_num(sub[:, pos[have]], nan=0.0)
        return g

    def __call__(self, det, memory, det_idx, trk_idx, min_sim=None) -> np.ndarray:
        iou = bbox_iou_matrix(take(det.boxes, det_idx), take(memory.boxes, trk_idx))
        gate = iou >= self.iou_thr
        fn = det.feats.get('keypoint_similarity')
        if fn is None and self.keypoint_similarity == 'oks' and gate.mean() < 0.5:
            # default G_k: evaluate only the pairs that pass Eq. 5's IoU gate
            ii, jj = np.nonzero(gate)
            out = np.zeros(gate.shape)
            if len(ii):
                out[ii, jj] = self._oks_terms(
                    take(det.kpts, det_idx)[ii], take(memory.kpts, trk_idx)[jj],
                    take(det.areas, det_idx)[ii], take(memory.areas, trk_idx)[jj]).sum(-1)
            return out
        pair_fn = det.feats.get('keypoint_pair_similarity')
        if callable(pair_fn) and (fn is None or callable(fn)) and gate.mean() < 0.5:
            # learned G_k on the gated pairs only: fn(f_det[ii], f_trk[jj]) -> (P, K)
            fd = det.feats.get('keypoint_features')
            ft = memory.feats.get('keypoint_features')
            if fd is None or ft is None:
                raise KeyError('keypoint_pair_similarity needs the `keypoint_features` feature '
                               '(N, K, D)')
            ii, jj = np.nonzero(gate)
            out = np.zeros(gate.shape)
            if len(ii):
                g = pair_fn(take(take(fd, det_idx), ii), take(take(ft, trk_idx), jj))
                out[ii, jj] = np.nan_to_num(to_numpy(g), nan=0.0).sum(-1)
            return out
        g = self.keypoint_terms(det, memory, det_idx, trk_idx)
        return np.where(gate, g.sum(-1), 0.0)


@POSE_TRACKERS.register_module()
class KeypointMatchingTracker(PresetTracker):
    """TKMRNet's tracker: Munkres on Eq. 5 (:class:`KeypointMatchingSimilarity`).

    Config keys: ``match_thr`` (5.0, on the sum over keypoints), the similarity's (``iou_thr``,
    ``keypoint_similarity``, ``sigmas``, ``vis_thr``) and the :class:`PresetTracker` keys.
    """

    def __init__(self, match_thr: float = 5.0, iou_thr: float = 0.1,
                 keypoint_similarity: Union[str, KeypointSimilarity] = 'oks',
                 sigmas: Optional[Sequence[float]] = None, vis_thr: Optional[float] = 0.0,
                 **kwargs):
        super().__init__(
            KeypointMatchingSimilarity(iou_thr, keypoint_similarity, sigmas, vis_thr),
            match_thr=match_thr, **kwargs)
