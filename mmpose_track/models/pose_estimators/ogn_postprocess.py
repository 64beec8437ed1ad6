"""OGN test-time post-processing of the poses of one frame (Zhang et al. 2019, Sec. 4.1 "Test
details"): "following [CPN], we use the product of box score and pose score as the final score
for the sorting mechanism. Finally, NMS based on IoU = 0.6 and OKS = 0.75 is employed."

Plain functions on numpy arrays (the suppression itself is :func:`mmpose_track.tracking.iou_nms`
and :func:`mmpose_track.tracking.oks_nms`).
"""
from typing import Optional

import numpy as np

from mmpose_track.tracking import iou_nms, oks_nms

__all__ = ['ogn_pose_scores', 'ogn_rescore_and_nms']


def ogn_pose_scores(keypoint_scores, bbox_scores=None, kpt_thr: float = 0.2) -> np.ndarray:
    """Final person scores ``box score x pose score``, ``(N,)``.

    The pose score is CPN's / MMPose's ``rescore``: the mean of the keypoint scores above
    ``kpt_thr`` (0 when none is). ``bbox_scores`` default to 1.
    """
    s = np.asarray(keypoint_scores, dtype=np.float64)
    s = s.reshape(s.shape[0], -1)
    valid = s > kpt_thr
    pose = np.where(valid, s, 0.).sum(1) / np.maximum(valid.sum(1), 1)
    box = np.ones(len(s)) if bbox_scores is None else np.asarray(bbox_scores, np.float64)
    return (pose * box.reshape(-1)).astype(np.float32)


def ogn_rescore_and_nms(keypoints,
                        keypoint_scores,
                        bboxes,
                        bbox_scores=None,
                        iou_thr: float = 0.6,
                        oks_thr: float = 0.75,
                        kpt_thr: float = 0.2,
                        sigmas: Optional[np.ndarray] = None) -> np.ndarray:
    """Indices of the poses kept, by descending final score (``int64``).

    1. final score = box score x pose score (:func:`ogn_pose_scores`);
    2. IoU-NMS on the boxes at ``iou_thr`` (0.6), then
    3. OKS-NMS at ``oks_thr`` (0.75) on the survivors (areas from the boxes).

    Args:
        keypoints: ``(N, K, 2)`` pixels; keypoint_scores: ``(N, K)``; bboxes: ``(N, 4)`` x1y1x2y2;
        bbox_scores: ``(N,)`` or None.
    """
    kpts = np.asarray(keypoints, dtype=np.float32)
    n = kpts.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    scores = ogn_pose_scores(keypoint_scores, bbox_scores, kpt_thr)
    boxes = np.asarray(bboxes, dtype=np.float32).reshape(n, 4)
    keep = np.asarray(iou_nms(boxes, scores, thr=iou_thr), dtype=np.int64)
    if keep.size > 1:
        ks = np.asarray(keypoint_scores, np.float32).reshape(n, -1)
        k3 = np.concatenate([kpts[keep, :, :2], ks[keep, :, None]], -1)
        sub = np.asarray(oks_nms(k3, scores[keep], thr=oks_thr, bboxes=boxes[keep],
                                 sigmas=sigmas), dtype=np.int64)
        keep = keep[sub]
    return keep[np.argsort(-scores[keep], kind='stable')].astype(np.int64)
