"""Camera-motion compensation from the poses themselves (issue 13; BoT-SORT's idea, without the
image): the global similarity transform between consecutive frames, found robustly from the
people, applied to every track's prediction before matching.

Under a fast pan or zoom every person moves by the same large offset, so OKS between a track and
its own person collapses while the *configuration* of the people is unchanged. Each
(track, detection) pair proposes the transform that maps the track's box onto the detection's box
(translation of the centres, ratio of the sizes); the proposal that brings the most tracks onto
some detection wins (RANSAC over pairs, the identity always among the candidates), and a least
squares similarity (Umeyama) on the joints of its inlier pairs refines it.

When the frames are at hand, :func:`image_camera_motion` measures the motion from the images
instead (MMDet's ``CameraMotionCompensation``: OpenCV's ECC alignment, as BoT-SORT), on
downscaled grey frames (:func:`ecc_frame`); the tracker falls back to the poses where ECC fails
(a cut, a view without texture).
"""
from typing import Optional, Tuple

import numpy as np

__all__ = ['estimate_camera_motion', 'fit_similarity_transform', 'joint_agreement',
           'ecc_frame', 'image_camera_motion']

_IDENTITY = np.array([[1., 0., 0.], [0., 1., 0.]])


def fit_similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity ``dst ≈ s R src + t`` (Umeyama 1991), as a ``2 x 3`` matrix.

    Args:
        src, dst: ``(P, 2)`` corresponding points, ``P >= 2`` (non-degenerate).

    Returns:
        ``[s R | t]``; the translation alone when the points do not span (``P == 1`` or all
        equal).
    """
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    var = (a ** 2).sum() / len(src)
    if len(src) < 2 or var < 1e-9:
        return np.concatenate([np.eye(2), (mu_d - mu_s)[:, None]], 1)
    cov = b.T @ a / len(src)
    u, d, vt = np.linalg.svd(cov)
    sign = np.diag([1.0, np.sign(np.linalg.det(u @ vt)) or 1.0])
    rot = u @ sign @ vt
    scale = (d * np.diag(sign)).sum() / var
    t = mu_d - scale * rot @ mu_s
    return np.concatenate([scale * rot, t[:, None]], 1)


def joint_agreement(track_kpts: np.ndarray, track_boxes: np.ndarray,
                    det_kpts: np.ndarray) -> np.ndarray:
    """Agreement of paired poses, ``(P,)`` in ``[0, 1]``: the mean over the joints seen in both
    of ``exp(-d^2 / (2 (0.1 h)^2))`` (``h``: the track's box height), an OKS with one sigma; the
    score :func:`estimate_camera_motion` gives a (track, detection) pair.

    Args:
        track_kpts: ``(P, K, 3)``; track_boxes: ``(P, 4)``; det_kpts: ``(P, K, 3)``, row by row
            the pairs (a joint with score 0 is missing).
    """
    if len(track_kpts) == 0:
        return np.zeros(0)
    diff = track_kpts - det_kpts  # NaN where a joint is missing: masked below (no warning)
    both = (track_kpts[..., 2] > 0) & (det_kpts[..., 2] > 0)
    h = np.maximum(track_boxes[:, 3:] - track_boxes[:, 1:2], 1e-6)
    e = np.exp((diff[..., 0] ** 2 + diff[..., 1] ** 2) * (-50.0 / h ** 2))
    return np.where(both, e, 0).sum(1) / np.maximum(both.sum(1), 1)


def estimate_camera_motion(track_kpts: np.ndarray, track_boxes: np.ndarray,
                           det_kpts: np.ndarray, det_boxes: np.ndarray,
                           inlier_ratio: float = 0.5, max_candidates: int = 64,
                           min_inliers: int = 2, min_gain: int = 2, max_tracks: int = 12,
                           refine_top: int = 4, seed: int = 0) -> Optional[np.ndarray]:
    """The global similarity transform that carries the tracks onto the detections.

    Candidates: the identity and, for up to ``max_candidates`` (track, detection) pairs (all
    when ``M * N`` is smaller; else a fixed random sample), the translation of the track's box
    centre onto the detection's, alone and with the mean of their width and height ratios as
    scale. Under a candidate, a track is scored against the detections whose centre
    lies within ``inlier_ratio`` x its mapped box height of its mapped centre (sizes within a
    factor 1.5) by the agreement of their joints (an OKS with one sigma of 0.1 box height), its
    best; it is an inlier above 0.5. One pair's boxes give a rough motion (a zoom read from two
    noisy boxes), so the ``refine_top`` best candidates are refitted (LO-RANSAC's local
    optimisation): :func:`fit_similarity_transform` on the joints of their tracks that agree
    above 0.25 with some detection, re-scored. The candidate with the highest total agreement of
    its inliers wins (MSAC: partial agreements of non-inliers do not add up to a wrong motion),
    but a motion must have ``min_gain`` inliers more than the identity and a total at least
    ``min_gain / 2`` above it (people walk, detectors err: a static camera must stay static).
    No share of the tracks is required: after a jump of the view (a cut to another angle of the
    scene) most people leave it, and the two or three who stay decide the motion. Its inlier
    pairs (each inlier track with its best detection) refine it once more.

    Args:
        track_kpts: ``(M, K, 3)`` the tracks' joints (x, y, score; score 0 = missing).
        track_boxes: ``(M, 4)`` their x1y1x2y2 boxes.
        det_kpts: ``(N, K, 3)``; det_boxes: ``(N, 4)``, the current frame.
        inlier_ratio: centre tolerance in box heights.
        max_candidates: pairs tried at most.
        min_inliers: fewer inliers: no transform (``None``).
        min_gain: inliers a motion needs beyond the identity's (and half as much total
            score).
        max_tracks: the candidates are scored on at most this many tracks (a fixed sample in a
            crowd: the motion is global, a dozen people decide it); the refinement uses them.
        refine_top: candidates refitted on their near-inliers (0: none).
        seed: of the sample of pairs.

    Returns:
        ``2 x 3`` matrix ``[A | t]`` (image px of the previous frame to the current one), or
        ``None`` when fewer than ``min_inliers`` tracks agree on one motion (or no people).
    """
    m, n = len(track_boxes), len(det_boxes)
    if m == 0 or n == 0:
        return None
    if m > max_tracks:  # score on a fixed, evenly spread sample of the tracks
        pick = np.linspace(0, m - 1, max_tracks).round().astype(np.int64)
        track_kpts, track_boxes, m = track_kpts[pick], track_boxes[pick], max_tracks
    tc = (track_boxes[:, :2] + track_boxes[:, 2:]) / 2
    dc = (det_boxes[:, :2] + det_boxes[:, 2:]) / 2
    tsz = np.maximum(track_boxes[:, 2:] - track_boxes[:, :2], 1e-6)
    dsz = np.maximum(det_boxes[:, 2:] - det_boxes[:, :2], 1e-6)

    def scores(mats: np.ndarray) -> np.ndarray:
        """(C, M, N) joint agreement of every track with every detection under C ``2 x 3``
        similarity transforms, 0 where the centres or sizes disagree."""
        lin = mats[:, :, :2]
        scale = np.sqrt(np.abs(lin[:, 0, 0] * lin[:, 1, 1] - lin[:, 0, 1] * lin[:, 1, 0]))
        # (C, M, 2) mapped track centres, (C, M) mapped heights
        mapped = tc[None] @ lin.transpose(0, 2, 1) + mats[:, None, :, 2]
        mh = scale[:, None] * tsz[None, :, 1]
        diff = mapped[:, :, None] - dc[None, None]
        d2c = diff[..., 0] ** 2 + diff[..., 1] ** 2  # (C, M, N)
        ratio = mh[:, :, None] / dsz[None, None, :, 1]
        ok = (d2c <= (inlier_ratio * mh[:, :, None]) ** 2) & (ratio < 1.5) & (ratio > 1 / 1.5)
        # the pairs whose centres agree are scored on their joints: mean over the joints seen in
        # both of exp(-d^2 / (2 (0.1 h)^2)) (an OKS with one sigma), so a motion that maps each
        # person onto a *neighbour* (a row of people panned by one spacing) scores low
        c, i, j = np.nonzero(ok)
        jsim = np.zeros(ok.shape)
        if len(c):
            src = track_kpts[i].copy()
            src[..., :2] = np.einsum('pkc,pdc->pkd', src[..., :2], lin[c]) + mats[c, None, :, 2]
            heights = np.zeros((len(c), 4))
            heights[:, 3] = mh[c, i]
            jsim[c, i, j] = joint_agreement(src, heights, det_kpts[j])
        return jsim

    def refit(jsim_c: np.ndarray, thr: float) -> Optional[np.ndarray]:
        """The similarity fitted to the joints of the tracks agreeing above ``thr`` with a
        detection under one candidate (``jsim_c (M, N)``), each with its best detection."""
        inl = np.flatnonzero(jsim_c.max(1) > thr)
        if not len(inl):
            return None
        src, dst = track_kpts[inl], det_kpts[jsim_c[inl].argmax(1)]
        seen = (src[..., 2] > 0) & (dst[..., 2] > 0) & np.isfinite(src[..., :2]).all(-1) \
            & np.isfinite(dst[..., :2]).all(-1)
        if seen.sum() < 3:
            return None
        return fit_similarity_transform(src[..., :2][seen], dst[..., :2][seen])

    # the identity first: when it explains so many tracks that no motion could beat it by
    # min_gain (a track scores at most 1), the static camera is the answer
    still_jsim = scores(_IDENTITY[None])
    still = still_jsim[0].max(1)
    if still.sum() + min_gain > m:
        return _IDENTITY.copy() if (still > 0.5).sum() >= min_inliers else None
    ti, di = np.meshgrid(np.arange(m), np.arange(n), indexing='ij')
    ti, di = ti.ravel(), di.ravel()
    if len(ti) > max_candidates:
        pick = np.random.default_rng(seed).choice(len(ti), max_candidates, replace=False)
        ti, di = ti[pick], di[pick]
    # each pair proposes its translation alone (a pan; box sizes are noisy) and with its scale
    scale = np.concatenate([np.ones(len(ti)), (dsz[di] / tsz[ti]).mean(1)])
    shift = dc[np.tile(di, 2)] - scale[:, None] * tc[np.tile(ti, 2)]  # x' = s x + shift
    mats = np.zeros((len(scale), 2, 3))
    mats[:, 0, 0] = mats[:, 1, 1] = scale
    mats[:, :, 2] = shift
    jsim = scores(mats)
    if refine_top > 0:  # local optimisation of the best candidates
        best_per_track = jsim.max(2)
        top = np.argsort(-np.where(best_per_track > 0.5, best_per_track, 0).sum(1),
                         kind='stable')[:refine_top]
        fits = [t for t in (refit(jsim[c], 0.25) for c in top) if t is not None]
        if fits:
            mats = np.concatenate([mats, np.stack(fits)])
            jsim = np.concatenate([jsim, scores(mats[-len(fits):])])
    mats = np.concatenate([_IDENTITY[None], mats])
    jsim = np.concatenate([still_jsim, jsim])  # identity: row 0
    track_score = jsim.max(2)  # (C, M)
    inliers = track_score > 0.5
    counts = inliers.sum(1)
    score = np.where(inliers, track_score, 0).sum(1)  # MSAC: only inliers count
    best = int(np.argmax(score))  # the identity (index 0) wins ties
    if counts[best] < min_inliers:
        return None
    if best == 0 or counts[best] < counts[0] + min_gain or score[best] < score[0] + min_gain / 2:
        return _IDENTITY.copy()
    fitted = refit(np.where(jsim[best] > 0.5, jsim[best], 0), 0.5)
    return mats[best].copy() if fitted is None else fitted


def ecc_frame(image: np.ndarray, max_side: int = 320) -> Tuple[np.ndarray, float]:
    """A frame prepared for :func:`image_camera_motion`: grey, float32, its longer side at most
    ``max_side`` px (ECC's cost grows with the pixels, the motion of a frame does not need
    them).

    Args:
        image: ``(H, W, 3)`` BGR or ``(H, W)`` grey, any dtype.
        max_side: the longer side after downscaling.

    Returns:
        ``(grey, scale)``: the small frame and its size over the original's.

    Raises:
        ValueError: not an image array.
    """
    import cv2
    img = np.asarray(image)
    if img.dtype not in (np.uint8, np.float32):
        img = img.astype(np.float32)
    if img.ndim == 3 and img.shape[2] in (3, 4):
        img = cv2.cvtColor(img[..., :3], cv2.COLOR_BGR2GRAY)
    if img.ndim != 2 or min(img.shape) < 2:
        raise ValueError(f'a frame must be an (H, W, 3) or (H, W) image, got shape '
                         f'{np.shape(image)}')
    scale = min(1.0, max_side / max(img.shape))
    if scale < 1.0:
        img = cv2.resize(img, (max(2, round(img.shape[1] * scale)),
                               max(2, round(img.shape[0] * scale))),
                         interpolation=cv2.INTER_AREA)
    return img.astype(np.float32), scale


def image_camera_motion(prev: Tuple[np.ndarray, float], cur: Tuple[np.ndarray, float],
                        warp_mode: str = 'cv2.MOTION_EUCLIDEAN', num_iters: int = 50,
                        stop_eps: float = 1e-3, min_corr: float = 0.8,
                        levels: int = 3) -> Optional[np.ndarray]:
    """The camera motion between two frames from the images (ECC), as the ``2 x 3`` matrix
    that maps the previous frame's pixels to the current one's.

    The alignment is that of MMDet's ``CameraMotionCompensation.get_warp_matrix``, with its
    defaults (warp mode, 50 iterations, tolerance 1e-3): ``cv2.findTransformECC`` with the
    current frame as template, which gives the map from the current frame to the previous one.
    MMDet's method returns neither the correlation nor works on downscaled frames, so the same
    OpenCV call is made here, coarse to fine over a ``levels``-level image pyramid (ECC
    converges only within a few pixels of its start: a pan of 60 px is 15 px at 320 px wide,
    4 px two levels up); its warp is inverted and the translation brought back to full
    resolution. A cut or a jump of the view either fails or converges to a poor alignment:
    both give None (an enhanced correlation coefficient below ``min_corr`` at the finest level
    that converged).

    Args:
        prev, cur: the two frames as :func:`ecc_frame` returns them (same scale and size).
        warp_mode: OpenCV's motion model (``cv2.MOTION_EUCLIDEAN``: rotation and translation,
            MMDet's default; ``cv2.MOTION_AFFINE`` follows zooms too).
        num_iters, stop_eps: ECC's stopping criteria.
        min_corr: the lowest correlation coefficient accepted.
        levels: pyramid levels (1: the given size only).

    Returns:
        ``[A | t]`` in full-resolution pixels, or None.
    """
    import cv2
    (a, sa), (b, sb) = prev, cur
    if a.shape != b.shape or sa != sb:
        return None  # frames of different sizes: no image motion
    mode = getattr(cv2, warp_mode.split('.')[-1])
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, int(num_iters), float(stop_eps))
    pyramid = [(a, b)]
    while len(pyramid) < levels and min(pyramid[-1][0].shape) >= 32:
        pyramid.append(tuple(cv2.pyrDown(x) for x in pyramid[-1]))
    warp, best = np.eye(2, 3, dtype=np.float32), None
    for level in range(len(pyramid) - 1, -1, -1):
        pa, pb = pyramid[level]
        try:
            corr, found = cv2.findTransformECC(pb, pa, warp.copy(), mode, criteria, None, 1)
        except cv2.error:  # did not converge at this level
            found, corr = None, -1.0
        if found is not None and np.isfinite(corr) and np.isfinite(found).all() and \
                corr >= min_corr:
            warp, best = found, (found.copy(), level)
        if level:  # the next level is twice the size: the translation doubles
            warp = warp.copy()
            warp[:, 2] *= 2
    if best is None:
        return None
    found, level = best
    out = cv2.invertAffineTransform(found).astype(np.float64)
    out[:, 2] *= 2 ** level / sa
    return out
