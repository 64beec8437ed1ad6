"""ST-Embed (Jin et al. 2019, Sec. 3.3.3): human embedding + temporal instance embedding
similarity, and the tracker built on it."""
import numpy as np

from mmpose_track.registry import POSE_TRACKERS, TRACKING_PARTS
from ..similarity import embedding_distance, tie_smoothness, valid_joints
from .base_similarity import BaseSimilarity
from .pose_tracker import PresetTracker
from .track_memory import take

__all__ = ['STEmbedSimilarity', 'EmbeddingTracker', 'SpatialEmbeddingSimilarity']


def _centres(kpts: np.ndarray, vis_thr: float) -> np.ndarray:
    """Mean of the valid joints, ``(N, 2)`` (all finite joints when none is valid)."""
    xy = kpts[..., :2]
    fin = np.isfinite(xy).all(-1)
    v = fin & (kpts[..., 2] > vis_thr)
    none = ~v.any(1)
    v[none] = fin[none]
    c = np.where(v[..., None], xy, 0.0).sum(1) / np.maximum(v.sum(1), 1)[:, None]
    return c


class _CostSimilarity(BaseSimilarity):
    """A similarity defined as ``-cost`` (``cost``: lower = same person; non-finite: never)."""

    def cost(self, det, memory, det_idx, trk_idx) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, det, memory, det_idx, trk_idx, min_sim=None) -> np.ndarray:
        c = self.cost(det, memory, det_idx, trk_idx)
        return np.where(np.isfinite(c), -c, -np.inf)


@TRACKING_PARTS.register_module()
class STEmbedSimilarity(_CostSimilarity):
    """``−Ψ`` with ``Ψ = λ_HE Ψ_HE + λ_TIE Ψ_TIE`` (ST-Embed Eq. 8–9).

    ``Ψ_HE = ||H_k − H_k'||²₂`` (human embeddings, L2-normalised first when
    ``normalize_embeddings``) and ``Ψ_TIE`` is Eq. 9
    (:func:`~mmpose_track.tracking.tie_smoothness`); the paper's ``λ_HE = 3``, ``λ_TIE = 1``. Both terms are *distances*: the paper writes
    ``argmax`` over "similarity" ``Ψ`` but defines it by distances, so the similarity is ``−Ψ``
    (a pair is matched only when ``−Ψ > match_thr``, i.e. ``Ψ < max_cost`` with ``match_thr =
    −max_cost``; the paper has no gate, which would force every detection onto an old track).

    Features read from ``update``:

    * ``embeddings`` ``(N, D)``: human embeddings HE (remembered per track);
    * ``tie`` ``(N, J, E)``: forward TIE ``T`` at the current people's joints (their propagated
      centre in frame t−1); default: the people's own centres (zero motion);
    * ``sie`` ``(N, J, E)``: SIE ``S^t`` at the current joints (remembered per track as
      ``S^{t−1}``); default: the person's centre (what SIE encodes);
    * ``tie_backward`` ``(N_prev, J, E)`` (per frame): backward TIE ``T'`` at the joints of the
      people of the *previous update call*, in that call's order; adds Eq. 9's backward term for
      tracks seen in the previous frame.

    Args:
        lambda_he, lambda_tie: the weights of Eq. 8 (3 and 1).
        normalize_embeddings: L2-normalise the human embeddings before ``Ψ_HE``.
        tie_normalize: divide ``Ψ_TIE`` (px²) by the track's box area so that the gate is
            scale-free (a deviation; False: the raw Eq. 9).
        vis_thr: joints scored ``<= vis_thr`` are left out of ``Ψ_TIE``.

    Without ``embeddings`` only the TIE term is used (warned once); without any feature it
    reduces to a centre-distance similarity.
    """
    feature_keys = ('embeddings', 'tie', 'sie')
    memory_keys = ('embeddings', 'sie')
    pairwise_keys = ('tie_backward', )

    def __init__(self, lambda_he: float = 3.0, lambda_tie: float = 1.0,
                 normalize_embeddings: bool = True, tie_normalize: bool = True,
                 vis_thr: float = 0.0):
        self.lambda_he = float(lambda_he)
        self.lambda_tie = float(lambda_tie)
        self.normalize_embeddings = bool(normalize_embeddings)
        self.tie_normalize = bool(tie_normalize)
        self.vis_thr = float(vis_thr)

    def cost(self, det, memory, det_idx, trk_idx) -> np.ndarray:
        """``Ψ`` between detections and tracks, ``(n, m)`` (lower = same person)."""
        kd = take(det.kpts, det_idx)
        kt = take(memory.kpts, trk_idx)
        n, m = len(kd), len(kt)
        J = kd.shape[1]
        total = np.zeros((n, m))
        # --- human embedding term
        emb = det.feats.get('embeddings')
        store = memory.feats.get('embeddings')
        if self.lambda_he and emb is not None and store is not None:
            psi_he = embedding_distance(take(emb, det_idx), take(store, trk_idx), squared=True,
                                        normalize=self.normalize_embeddings)
            total += self.lambda_he * psi_he
        elif self.lambda_he:
            self.warn_once('no_emb', f'{type(self).__name__}: no `embeddings` feature; using the '
                           'TIE term only')
        if not self.lambda_tie:
            return total
        # --- temporal instance embedding term (Eq. 9)
        valid_d = valid_joints(kd, self.vis_thr)
        valid_t = valid_joints(kt, self.vis_thr)
        tie = det.feats.get('tie')
        tie = take(tie, det_idx) if tie is not None else \
            np.repeat(_centres(kd, self.vis_thr)[:, None], J, 1)
        sie_store = memory.feats.get('sie')
        sie_prev = take(sie_store, trk_idx) if sie_store is not None else None
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
            pos = memory.prev_frame_positions(trk_idx)
            have = pos >= 0
            if have.any():
                sie_cur = det.feats.get('sie')
                sie_cur = take(sie_cur, det_idx) if sie_cur is not None else \
                    np.repeat(_centres(kd, self.vis_thr)[:, None], J, 1)
                both = tie_smoothness(tie, sie_prev[have], bwd[pos[have]], sie_cur,
                                      valid_a=valid_d, valid_b=valid_t[have])
                psi[:, have] = both
        if self.tie_normalize:
            psi = psi / take(memory.areas, trk_idx)[None, :]
        total += self.lambda_tie * psi
        return total



@POSE_TRACKERS.register_module()
class EmbeddingTracker(PresetTracker):
    """ST-Embed's tracker: Munkres on ``Ψ = λ_HE Ψ_HE + λ_TIE Ψ_TIE`` (:class:`STEmbedSimilarity`).

    Config keys: the similarity's (``lambda_he`` 3, ``lambda_tie`` 1, ``normalize_embeddings``,
    ``tie_normalize``, ``vis_thr``), ``max_cost`` (3: pairs with ``Ψ >= max_cost`` start a new
    track; the assigner's ``match_thr`` is ``−max_cost``) and the :class:`PresetTracker` keys.
    """

    def __init__(self, lambda_he: float = 3.0, lambda_tie: float = 1.0, max_cost: float = 3.0,
                 normalize_embeddings: bool = True, tie_normalize: bool = True,
                 vis_thr: float = 0.0, **kwargs):
        kwargs.pop('match_thr', None)
        self.max_cost = float(max_cost)
        super().__init__(
            STEmbedSimilarity(lambda_he, lambda_tie, normalize_embeddings, tie_normalize,
                              vis_thr), match_thr=-self.max_cost, **kwargs)


@TRACKING_PARTS.register_module()
class SpatialEmbeddingSimilarity(_CostSimilarity):
    """``−Ψ`` of ST-Embed's baseline trackers "KE" and "KE+SIE" (Table 4): SpatialNet's
    embeddings assumed to change smoothly in time, ``K(p^t_jk) ≈ K(p^{t−1}_jk)`` and
    ``S(p^t_jk) ≈ S(p^{t−1}_jk)`` (Sec. 4.3).

    ``Ψ = w_KE · 1/J Σ_j ||K^t(p^t_jk) − K^{t−1}(p^{t−1}_jk')||² +
    w_SIE · 1/J Σ_j ||S^t(p^t_jk) − S^{t−1}(p^{t−1}_jk')||² / area_k'`` over the joints valid in
    both people (:func:`~mmpose_track.tracking.tie_smoothness` computes the masked per-joint mean).
    The SIE term is divided by the track's box area (px²) so that one gate serves every person
    size (the paper gives no formula for these baselines: our reconstruction).

    Features read from ``update`` (remembered per track): ``ke`` ``(N, J, L)`` keypoint
    embeddings at the joints, ``sie`` ``(N, J, 2)`` SIE (predicted person centre, image px) at
    the joints. A missing feature drops its term (warned once).

    Args:
        use_ke, use_sie: which terms to use (KE: ``use_sie=False``; KE+SIE: both).
        ke_weight, sie_weight: ``w_KE``, ``w_SIE``.
        vis_thr: joints scored ``<= vis_thr`` are left out.
    """
    feature_keys = ('ke', 'sie')

    def __init__(self, use_ke: bool = True, use_sie: bool = True, ke_weight: float = 1.0,
                 sie_weight: float = 1.0, vis_thr: float = 0.0):
        if not (use_ke or use_sie):
            raise ValueError('SpatialEmbeddingSimilarity needs use_ke or use_sie')
        self.use_ke = bool(use_ke)
        self.use_sie = bool(use_sie)
        self.ke_weight = float(ke_weight)
        self.sie_weight = float(sie_weight)
        self.vis_thr = float(vis_thr)

    def cost(self, det, memory, det_idx, trk_idx) -> np.ndarray:
        """``Ψ`` between detections and tracks, ``(n, m)`` (lower = same person)."""
        kd = take(det.kpts, det_idx)
        kt = take(memory.kpts, trk_idx)
        valid_d = valid_joints(kd, self.vis_thr)
        valid_t = valid_joints(kt, self.vis_thr)
        total = np.zeros((len(kd), len(kt)))
        used = False
        for key, on, weight, per_area in (('ke', self.use_ke, self.ke_weight, False),
                                          ('sie', self.use_sie, self.sie_weight, True)):
            if not on:
                continue
            cur, store = det.feats.get(key), memory.feats.get(key)
            if cur is None or store is None:
                self.warn_once(f'no_{key}', f'{type(self).__name__}: no `{key}` feature; its term '
                               'is left out')
                continue
            psi = tie_smoothness(take(cur, det_idx), take(store, trk_idx), valid_a=valid_d,
                                 valid_b=valid_t)
            if per_area:
                psi = psi / take(memory.areas, trk_idx)[None, :]
            total += weight * psi
            used = True
        if not used:
            return np.full((len(kd), len(kt)), np.inf)
        return total

