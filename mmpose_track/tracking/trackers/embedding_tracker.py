"""ST-Embed tracker (Jin et al. 2019, Sec. 3.3.3): human embedding + temporal instance embedding.
"""

import numpy as np

from mmpose_track.registry import POSE_TRACKERS
from ..similarity import embedding_distance, tie_smoothness
from .base_pose_tracker import BasePoseTracker, _Frame, _take


def _centres(kpts: np.ndarray, vis_thr: float) -> np.ndarray:
    """Mean of the valid joints, ``(N, 2)`` (all finite joints when none is valid)."""
    xy = kpts[..., :2]
    fin = np.isfinite(xy).all(-1)
    v = fin & (kpts[..., 2] > vis_thr)
    none = ~v.any(1)
    v[none] = fin[none]
    c = np.where(v[..., None], xy, 0.0).sum(1) / np.maximum(v.sum(1), 1)[:, None]
    return c


@POSE_TRACKERS.register_module()
class EmbeddingTracker(BasePoseTracker):
    """Bipartite matching on ``Ψ = λ_HE Ψ_HE + λ_TIE Ψ_TIE`` (ST-Embed Eq. 8–9), Munkres.

    ``Ψ_HE = ||H_k − H_k'||²₂`` (human embeddings, L2-normalised first when
    ``normalize_embeddings``) and ``Ψ_TIE`` is Eq. 9 (:func:`tie_smoothness`); ``λ_HE = 3``,
    ``λ_TIE = 1``. Both terms are *distances*: the paper writes ``argmax`` over "similarity"
    ``Ψ`` but defines it by distances, so we minimise ``Ψ`` (maximise ``−Ψ``), and gate pairs with
    ``Ψ >= max_cost`` (new track) — the paper has no gate, which would force every detection onto
    an old track.

    Features passed to :meth:`update`:

    * ``embeddings`` ``(N, D)``: human embeddings HE (remembered per track);
    * ``tie`` ``(N, J, E)``: forward TIE ``T`` at the current people's joints (their propagated
      centre in frame t−1); default: the people's own centres (zero motion);
    * ``sie`` ``(N, J, E)``: SIE ``S^t`` at the current joints (remembered per track as
      ``S^{t−1}``); default: the person's centre (what SIE encodes);
    * ``tie_backward`` ``(N_prev, J, E)``: backward TIE ``T'`` at the joints of the people of the
      *previous update call*, in that call's order; adds Eq. 9's backward term for tracks seen in
      the previous frame.

    ``tie_normalize`` (deviation, default True) divides ``Ψ_TIE`` (px²) by the track's box area
    so that ``max_cost`` is scale-free; set False for the raw Eq. 9. Joints scored ``<= vis_thr``
    are left out of ``Ψ_TIE``. Without ``embeddings`` only the TIE term is used; without any
    feature it reduces to a centre-distance tracker.
    """
    default_feature_keys = ('embeddings', 'sie')

    def __init__(self,
                 lambda_he: float = 3.0,
                 lambda_tie: float = 1.0,
                 max_cost: float = 3.0,
                 normalize_embeddings: bool = True,
                 tie_normalize: bool = True,
                 vis_thr: float = 0.0,
                 num_frames_retain: int = 1,
                 **kwargs):
        kwargs.pop('match_thr', None)
        super().__init__(match_thr=-float(max_cost), num_frames_retain=num_frames_retain, **kwargs)
        self.lambda_he = float(lambda_he)
        self.lambda_tie = float(lambda_tie)
        self.max_cost = float(max_cost)
        self.normalize_embeddings = bool(normalize_embeddings)
        self.tie_normalize = bool(tie_normalize)
        self.vis_thr = float(vis_thr)

    def cost(self, det: _Frame, det_idx, trk_idx) -> np.ndarray:
        """``Ψ`` between detections and tracks, ``(n, m)`` (lower = same person)."""
        kd = _take(det.kpts, det_idx)
        kt = _take(self._kpts, trk_idx)
        n, m = len(kd), len(kt)
        J = kd.shape[1]
        total = np.zeros((n, m))
        # --- human embedding term
        emb = det.feats.get('embeddings')
        store = self._feats.get('embeddings')
        if self.lambda_he and emb is not None and store is not None:
            psi_he = embedding_distance(_take(emb, det_idx), _take(store, trk_idx), squared=True,
                                        normalize=self.normalize_embeddings)
            total += self.lambda_he * psi_he
        elif self.lambda_he:
            self.warn_once('no_emb', 'EmbeddingTracker: no `embeddings` feature; using the TIE '
                           'term only')
        if not self.lambda_tie:
            return total
        # --- temporal instance embedding term (Eq. 9)
        valid_d = np.isfinite(kd[..., :2]).all(-1) & (kd[..., 2] > self.vis_thr)
        valid_t = np.isfinite(kt[..., :2]).all(-1) & (kt[..., 2] > self.vis_thr)
        tie = det.feats.get('tie')
        tie = _take(tie, det_idx) if tie is not None else \
            np.repeat(_centres(kd, self.vis_thr)[:, None], J, 1)
        sie_store = self._feats.get('sie')
        sie_prev = _take(sie_store, trk_idx) if sie_store is not None else None
        if sie_prev is None or not np.isfinite(sie_prev).all():
            fallback = np.repeat(_centres(kt, self.vis_thr)[:, None], J, 1)
            if sie_prev is None:
                sie_prev = fallback
            elif sie_prev.shape[-1] == 2:
                bad = ~np.isfinite(sie_prev).all((-1, -2))
                sie_prev = sie_prev.copy()
                sie_prev[bad] = fallback[bad]
        psi = tie_smoothness(tie, sie_prev, valid_a=valid_d, valid_b=valid_t)
        bwd = det.feats.get('tie_backward')
        if bwd is not None:
            pos = self.prev_frame_positions(trk_idx)
            have = pos >= 0
            if have.any():
                sie_cur = det.feats.get('sie')
                sie_cur = _take(sie_cur, det_idx) if sie_cur is not None else \
                    np.repeat(_centres(kd, self.vis_thr)[:, None], J, 1)
                both = tie_smoothness(tie, sie_prev[have], bwd[pos[have]], sie_cur,
                                      valid_a=valid_d, valid_b=valid_t[have])
                psi[:, have] = both
        if self.tie_normalize:
            psi = psi / _take(self._areas, trk_idx)[None, :]
        total += self.lambda_tie * psi
        return total

    def similarity(self, det: _Frame, det_idx, trk_idx) -> np.ndarray:
        c = self.cost(det, det_idx, trk_idx)
        return np.where(np.isfinite(c), -c, -np.inf)
