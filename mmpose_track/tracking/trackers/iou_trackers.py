"""Box trackers: IoU + Hungarian, and IoU + appearance (OGN)."""
import numpy as np

from mmpose_track.registry import POSE_TRACKERS
from ..similarity import bbox_iou_matrix, embedding_distance
from .base_pose_tracker import BasePoseTracker, _Frame, _take


def iou_fast(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of prepared boxes (finite) — the trackers' hot path; see ``bbox_iou_matrix``."""
    iw = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    np.maximum(iw, 0, out=iw)
    np.maximum(ih, 0, out=ih)
    inter = iw * ih
    aa = np.maximum(a[:, 2] - a[:, 0], 0) * np.maximum(a[:, 3] - a[:, 1], 0)
    ab = np.maximum(b[:, 2] - b[:, 0], 0) * np.maximum(b[:, 3] - b[:, 1], 0)
    union = aa[:, None] + ab[None, :] - inter
    return inter / np.maximum(union, 1e-12)


@POSE_TRACKERS.register_module()
class IoUHungarianTracker(BasePoseTracker):
    """Box IoU similarity + Munkres assignment (TKMRNet ablation "IOU").

    Boxes are the given ``bboxes`` or the tight box around the joints. Config keys:
    ``match_thr`` (0.3) and the lifecycle keys of :class:`BasePoseTracker`.
    """

    def __init__(self, match_thr: float = 0.3, num_frames_retain: int = 1, **kwargs):
        super().__init__(match_thr=match_thr, num_frames_retain=num_frames_retain, **kwargs)

    def similarity(self, det: _Frame, det_idx, trk_idx) -> np.ndarray:
        return iou_fast(_take(det.boxes, det_idx), _take(self._boxes, trk_idx))


@POSE_TRACKERS.register_module()
class IoUAppearanceTracker(BasePoseTracker):
    """IoU combined with the Euclidean distance of appearance embeddings (OGN, Sec. 4.2).

    OGN follows Detect-and-Track's IoU tracker "except that the appearance information is taken
    into account ... Euclidean distance is adopted to measure the appearance similarity"; the
    combination is not given, so we use a weighted sum of two similarities in ``[0, 1]``:

    ``w = iou_weight · IoU + appearance_weight · a``, ``a = 1 − d / 2`` for L2-normalised
    embeddings (``normalize=True``; ``d ∈ [0, 2]``) or ``a = exp(−d / appearance_scale)``.

    Features: ``embeddings`` ``(N, D)`` (re-identification vectors; remembered per track,
    optionally with ``feature_momentum``). Without them the tracker falls back to IoU alone
    (warned once). ``min_iou`` (0: off) makes pairs below that IoU unmatchable.
    """
    default_feature_keys = ('embeddings', )

    def __init__(self,
                 match_thr: float = 0.3,
                 iou_weight: float = 0.5,
                 appearance_weight: float = 0.5,
                 normalize: bool = True,
                 appearance_scale: float = 1.0,
                 min_iou: float = 0.0,
                 num_frames_retain: int = 1,
                 **kwargs):
        super().__init__(match_thr=match_thr, num_frames_retain=num_frames_retain, **kwargs)
        self.iou_weight = float(iou_weight)
        self.appearance_weight = float(appearance_weight)
        self.normalize = bool(normalize)
        self.appearance_scale = float(appearance_scale)
        self.min_iou = float(min_iou)

    def similarity(self, det: _Frame, det_idx, trk_idx) -> np.ndarray:
        iou = iou_fast(_take(det.boxes, det_idx), _take(self._boxes, trk_idx))
        emb = det.feats.get('embeddings')
        store = self._feats.get('embeddings')
        if emb is None or store is None:
            self.warn_once('no_emb', f'{type(self).__name__}: no `embeddings` feature; '
                           'tracking by IoU only')
            sim = iou
        else:
            d = embedding_distance(_take(emb, det_idx), _take(store, trk_idx),
                                   normalize=self.normalize)
            app = (1.0 - 0.5 * d) if self.normalize else np.exp(-d / self.appearance_scale)
            # tracks without a stored embedding: IoU only (rescaled to the full weight)
            app = np.where(np.isfinite(app), app, iou)
            sim = self.iou_weight * iou + self.appearance_weight * app
        if self.min_iou > 0:
            sim = np.where(iou >= self.min_iou, sim, -np.inf)
        return sim


__all__ = ['IoUHungarianTracker', 'IoUAppearanceTracker', 'iou_fast', 'bbox_iou_matrix']
