"""TKMRNet tracker (Zhou et al. 2020, Sec. 3.2): temporal keypoint matching similarity."""
from typing import Callable, Optional, Sequence, Union

import numpy as np

from mmpose_track.registry import POSE_TRACKERS
from .._utils import COCO_SIGMAS, to_numpy
from .base_pose_tracker import BasePoseTracker, _Frame, _take
from .iou_trackers import iou_fast

KeypointSimilarity = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _cosine_kpt_sim(fa: np.ndarray, fb: np.ndarray) -> np.ndarray:
    """Per-keypoint cosine similarity of keypoint features mapped to [0, 1], ``(N, M, K)``."""
    na = fa / np.maximum(np.linalg.norm(fa, axis=-1, keepdims=True), 1e-12)
    nb = fb / np.maximum(np.linalg.norm(fb, axis=-1, keepdims=True), 1e-12)
    return 0.5 * (1.0 + np.einsum('nkd,mkd->nmk', na, nb))


@POSE_TRACKERS.register_module()
class KeypointMatchingTracker(BasePoseTracker):
    """Munkres on TKMRNet Eq. 5: ``w_ij = I(IoU >= iou_thr) · Σ_k G_k(f_i^k, f_j^k)``.

    ``G_k`` (per-keypoint "same person" probability) comes from the caller, by priority:

    1. feature ``keypoint_similarity``: a callable ``fn(det_keypoint_features (n, K, D),
       track_keypoint_features (m, K, D)) -> (n, m, K)``, or an array ``(N, N_prev, K)`` against
       the people of the *previous update call* (in that call's order; tracks not in it use the
       default below);
    2. the config's ``keypoint_similarity``: ``'cosine'`` (cosine similarity of the feature
       ``keypoint_features (N, K, D)``, remembered per track, mapped to [0, 1]) or a callable as
       above;
    3. default ``'oks'``: the per-keypoint OKS term ``exp(−d²/(2s²k²))`` (a geometric stand-in
       for the learned matcher), 0 for joints scored ``<= vis_thr`` in either pose.

    Since Eq. 5 sums over ``K`` keypoints, ``match_thr`` is on the sum (default 5.0 ≈ mean 0.3
    over 17 joints).
    """
    default_feature_keys = ('keypoint_features', )

    def __init__(self,
                 match_thr: float = 5.0,
                 iou_thr: float = 0.1,
                 keypoint_similarity: Union[str, KeypointSimilarity] = 'oks',
                 sigmas: Optional[Sequence[float]] = None,
                 vis_thr: Optional[float] = 0.0,
                 num_frames_retain: int = 1,
                 **kwargs):
        super().__init__(match_thr=match_thr, num_frames_retain=num_frames_retain, **kwargs)
        if isinstance(keypoint_similarity, str) and keypoint_similarity not in ('oks', 'cosine'):
            raise ValueError("keypoint_similarity must be 'oks', 'cosine' or a callable")
        self.iou_thr = float(iou_thr)
        self.keypoint_similarity = keypoint_similarity
        self.sigmas = None if sigmas is None else np.asarray(sigmas, dtype=np.float64)
        self.vis_thr = vis_thr

    def _oks_terms(self, kd, kt, ad, at, paired: bool = False) -> np.ndarray:
        """Per-keypoint OKS terms, ``(n, m, K)``; with ``paired`` the inputs are already
        aligned pairs ``(P, 1, K, 3)`` / ``(P, 1)`` and the result is ``(P, K)``."""
        if paired:
            kd, kt, ad, at = kd[:, 0], kt[:, 0], ad[:, 0], at[:, 0]
        s = COCO_SIGMAS if self.sigmas is None else self.sigmas
        if len(s) != kd.shape[-2]:
            raise ValueError(f'{len(s)} sigmas for {kd.shape[-2]} keypoints; pass sigmas')
        inv = 1.0 / (2.0 * (2.0 * s)**2)
        if paired:
            e = ((kd[..., 0] - kt[..., 0])**2 + (kd[..., 1] - kt[..., 1])**2) * inv / \
                (0.5 * (ad + at))[:, None]
            g = np.exp(-e)
            if self.vis_thr is not None:
                g = np.where((kd[..., 2] > self.vis_thr) & (kt[..., 2] > self.vis_thr), g, 0.0)
            return np.nan_to_num(g, nan=0.0)
        dx = kd[:, None, :, 0] - kt[None, :, :, 0]
        dy = kd[:, None, :, 1] - kt[None, :, :, 1]
        e = (dx * dx + dy * dy) * inv / ((ad[:, None] + at[None, :]) * 0.5)[..., None]
        g = np.exp(-e)
        if self.vis_thr is not None:
            g = np.where((kd[:, None, :, 2] > self.vis_thr) & (kt[None, :, :, 2] > self.vis_thr),
                         g, 0.0)
        return np.nan_to_num(g, nan=0.0)

    def keypoint_terms(self, det: _Frame, det_idx, trk_idx) -> np.ndarray:
        """``G_k`` between detections and tracks, ``(n, m, K)``."""
        kd = _take(det.kpts, det_idx)
        kt = _take(self._kpts, trk_idx)
        fn = det.feats.get('keypoint_similarity')
        cfg = self.keypoint_similarity
        fd = det.feats.get('keypoint_features')
        ft = self._feats.get('keypoint_features')
        if callable(fn) or (fn is None and callable(cfg)):
            f = fn if callable(fn) else cfg
            if fd is None or ft is None:
                raise KeyError('a callable keypoint_similarity needs the `keypoint_features` '
                               'feature (N, K, D)')
            return np.nan_to_num(to_numpy(f(_take(fd, det_idx), _take(ft, trk_idx))), nan=0.0)
        if fn is None and cfg == 'cosine' and fd is not None and ft is not None:
            return np.nan_to_num(_cosine_kpt_sim(_take(fd, det_idx), _take(ft, trk_idx)), nan=0.0)
        if fn is None and cfg == 'cosine':
            self.warn_once('no_kf', 'KeypointMatchingTracker: no `keypoint_features`; using '
                           'per-keypoint OKS')
        g = self._oks_terms(kd, kt, _take(det.areas, det_idx), _take(self._areas, trk_idx))
        if fn is not None:  # precomputed against the previous call's people
            pre = np.asarray(fn, dtype=np.float64)
            if pre.ndim != 3 or pre.shape[0] != det.n or pre.shape[1] != len(self._prev_ids):
                raise ValueError(
                    f'keypoint_similarity must be (N={det.n}, N_prev={len(self._prev_ids)}, K), '
                    f'got {pre.shape}')
            pos = self.prev_frame_positions(trk_idx)
            have = pos >= 0
            if have.any():
                sub = _take(pre, det_idx)
                g[:, have] = np.nan_to_num(sub[:, pos[have]], nan=0.0)
        return g

    def similarity(self, det: _Frame, det_idx, trk_idx) -> np.ndarray:
        iou = iou_fast(_take(det.boxes, det_idx), _take(self._boxes, trk_idx))
        gate = iou >= self.iou_thr
        fn = det.feats.get('keypoint_similarity')
        if fn is None and self.keypoint_similarity == 'oks' and gate.mean() < 0.5:
            # default G_k: evaluate only the pairs that pass Eq. 5's IoU gate
            ii, jj = np.nonzero(gate)
            out = np.zeros(gate.shape)
            if len(ii):
                kd = _take(det.kpts, det_idx)[ii]
                kt = _take(self._kpts, trk_idx)[jj]
                ad = _take(det.areas, det_idx)[ii]
                at = _take(self._areas, trk_idx)[jj]
                out[ii, jj] = self._oks_terms(kd[:, None], kt[:, None], ad[:, None],
                                              at[:, None], paired=True).sum(-1)
            return out
        g = self.keypoint_terms(det, det_idx, trk_idx)
        return np.where(gate, g.sum(-1), 0.0)
