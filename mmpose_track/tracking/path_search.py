"""Temporal path search of TKMRNet (Zhou et al. 2020, Sec. 3.3).

For the person ``i`` of frame ``t``, the backward path takes the best-matching person (Eq. 5) in
``t−1``, then, *from that person*, the best match in ``t−2``, and so on to ``t−τ``; the forward
path does the same towards ``t+τ``. The people on the merged path are the temporal context used
to refine the pose of ``P_{t,i}``.
"""
from typing import Callable, Optional, Sequence

import numpy as np

from ._utils import to_numpy
from .similarity import bboxes_from_keypoints, keypoint_matching_similarity, keypoint_oks_matrix

__all__ = ['temporal_path_search']

KeypointSimFn = Callable[[int, int, int, np.ndarray], np.ndarray]


def temporal_path_search(keypoints: Sequence,
                         t: int,
                         index: int,
                         tau: int = 5,
                         bboxes: Optional[Sequence] = None,
                         keypoint_similarity: Optional[KeypointSimFn] = None,
                         iou_thr: float = 0.1,
                         min_similarity: float = 0.0) -> np.ndarray:
    """Backward and forward path search from ``P_{t,index}`` over ``[t−τ, t+τ]``.

    Args:
        keypoints: per frame, the poses ``(N_f, K, 3)`` of all people (frames indexed 0..F-1).
        t, index: the reference frame and person.
        tau: half window τ (TKMRNet uses τ = 5).
        bboxes: per frame ``(N_f, 4)`` x1y1x2y2; default: boxes around the joints.
        keypoint_similarity: ``fn(frame_a, i, frame_b) -> (N_b, K)``: ``G_k`` between person
            ``i`` of ``frame_a`` and every person of ``frame_b`` (the keypoint matching module's
            output); default: per-keypoint OKS terms (:func:`keypoint_oks_matrix`).
        iou_thr: the IoU gate of Eq. 5 (0.1).
        min_similarity: a step needs ``w > min_similarity`` (with the default 0, any person that
            passes the IoU gate with some similarity); otherwise the path stops in that direction
            (a frame without a match breaks the chain — there is no reference to continue from).

    Returns:
        ``(2τ+1,)`` int64: for frames ``t−τ … t+τ`` the index of the person on the path, ``-1``
        where there is none (outside the video, empty frame, or path stopped). Entry ``τ`` is
        ``index``.
    """
    F = len(keypoints)
    if not 0 <= t < F:
        raise IndexError(f't={t} outside the {F} frames')
    kp = [to_numpy(k) for k in keypoints]
    if not 0 <= index < len(kp[t]):
        raise IndexError(f'person {index} outside the {len(kp[t])} people of frame {t}')
    bx = [bboxes_from_keypoints(k) if len(k) else np.zeros((0, 4)) for k in kp] \
        if bboxes is None else [to_numpy(b).reshape(-1, 4) for b in bboxes]
    path = np.full(2 * tau + 1, -1, dtype=np.int64)
    path[tau] = index
    for step in (-1, 1):
        cur_f, cur_i = t, index
        for d in range(1, tau + 1):
            f = t + step * d
            if not 0 <= f < F or len(kp[f]) == 0:
                break
            if keypoint_similarity is None:
                g, _ = keypoint_oks_matrix(kp[cur_f][cur_i:cur_i + 1], kp[f],
                                           bboxes_a=bx[cur_f][cur_i:cur_i + 1], bboxes_b=bx[f])
                g = g[0]
            else:
                g = to_numpy(keypoint_similarity(cur_f, cur_i, f))
            w = keypoint_matching_similarity(bx[cur_f][cur_i:cur_i + 1], bx[f], g[None],
                                             iou_thr)[0]
            j = int(np.argmax(w))
            if not w[j] > min_similarity:
                break
            path[tau + step * d] = j
            cur_f, cur_i = f, j
    return path
