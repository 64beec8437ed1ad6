"""Box similarities (IoU; IoU + appearance, OGN) and the trackers built on them."""
import numpy as np

from mmpose_track.registry import POSE_TRACKERS, TRACKING_PARTS
from ..similarity import bbox_iou_matrix, embedding_distance
from .base_similarity import BaseSimilarity
from .pose_tracker import PresetTracker
from .track_memory import take

__all__ = ['IoUSimilarity', 'IoUAppearanceSimilarity', 'IoUHungarianTracker',
           'IoUAppearanceTracker']


@TRACKING_PARTS.register_module()
class IoUSimilarity(BaseSimilarity):
    """Box IoU between detections and tracks (:func:`~mmpose_track.tracking.bbox_iou_matrix`).

    Boxes are the given ``bboxes`` or the tight box around the joints.
    """

    def __call__(self, det, memory, det_idx, trk_idx, min_sim=None) -> np.ndarray:
        return bbox_iou_matrix(take(det.boxes, det_idx), take(memory.boxes, trk_idx))


@TRACKING_PARTS.register_module()
class IoUAppearanceSimilarity(BaseSimilarity):
    """IoU combined with the Euclidean distance of appearance embeddings (OGN, Sec. 4.2).

    OGN follows Detect-and-Track's IoU tracker "except that the appearance information is taken
    into account ... Euclidean distance is adopted to measure the appearance similarity"; the
    combination is not given, so we use a weighted sum of two similarities in ``[0, 1]``:

    ``w = iou_weight · IoU + appearance_weight · a``, ``a = 1 − d / 2`` for L2-normalised
    embeddings (``normalize=True``; ``d ∈ [0, 2]``) or ``a = exp(−d / appearance_scale)``
    (``normalize=False``, raw distances).

    Features: ``embeddings`` ``(N, D)`` (re-identification vectors; remembered per track). Without
    them the similarity is IoU alone (warned once); a track without a stored embedding uses its
    IoU in place of ``a``. ``min_iou`` (0: off) makes pairs below that IoU unmatchable (``-inf``).
    """
    feature_keys = ('embeddings', )

    def __init__(self, iou_weight: float = 0.5, appearance_weight: float = 0.5,
                 normalize: bool = True, appearance_scale: float = 1.0, min_iou: float = 0.0):
        self.iou_weight = float(iou_weight)
        self.appearance_weight = float(appearance_weight)
        self.normalize = bool(normalize)
        self.appearance_scale = float(appearance_scale)
        self.min_iou = float(min_iou)

    def __call__(self, det, memory, det_idx, trk_idx, min_sim=None) -> np.ndarray:
        iou = bbox_iou_matrix(take(det.boxes, det_idx), take(memory.boxes, trk_idx))
        emb = det.feats.get('embeddings')
        store = memory.feats.get('embeddings')
        if emb is None or store is None:
            self.warn_once('no_emb', f'{type(self).__name__}: no `embeddings` feature; '
                           'tracking by IoU only')
            sim = iou
        else:
            d = embedding_distance(take(emb, det_idx), take(store, trk_idx),
                                   normalize=self.normalize)
            app = (1.0 - 0.5 * d) if self.normalize else np.exp(-d / self.appearance_scale)
            # tracks without a stored embedding: IoU only (rescaled to the full weight)
            app = np.where(np.isfinite(app), app, iou)
            sim = self.iou_weight * iou + self.appearance_weight * app
        if self.min_iou > 0:
            sim = np.where(iou >= self.min_iou, sim, -np.inf)
        return sim


@POSE_TRACKERS.register_module()
class IoUHungarianTracker(PresetTracker):
    """Box IoU similarity + Munkres assignment (TKMRNet ablation "IOU").

    Config keys: ``match_thr`` (0.3) and the :class:`PresetTracker` keys.
    """

    def __init__(self, match_thr: float = 0.3, **kwargs):
        super().__init__(IoUSimilarity(), match_thr=match_thr, **kwargs)


@POSE_TRACKERS.register_module()
class IoUAppearanceTracker(PresetTracker):
    """OGN's tracker: :class:`IoUAppearanceSimilarity` + Munkres.

    Config keys: ``match_thr`` (0.3), the similarity's (``iou_weight``, ``appearance_weight``,
    ``normalize``, ``appearance_scale``, ``min_iou``) and the :class:`PresetTracker` keys
    (``feature_momentum`` averages the remembered embeddings).
    """

    def __init__(self, match_thr: float = 0.3, iou_weight: float = 0.5,
                 appearance_weight: float = 0.5, normalize: bool = True,
                 appearance_scale: float = 1.0, min_iou: float = 0.0, **kwargs):
        super().__init__(
            IoUAppearanceSimilarity(iou_weight, appearance_weight, normalize, appearance_scale,
                                    min_iou), match_thr=match_thr, **kwargs)
