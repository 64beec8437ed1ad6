"""Keypoint HOTA, DetA, AssA with the PoseTrack21 definition (vectorised).

PoseTrack21 (Doering et al., CVPR 2022; ``eval/posetrack21/trackeval/metrics/hota_pose.py``)
applies HOTA (Luiten et al., IJCV 2021) to every joint separately:

* similarity of a predicted and a ground-truth joint ``S = max(0, 1 - d / 0.5)`` with ``d`` the
  head-normalised distance (as PCKh); joints absent on either side have ``S = 0``;
* in every frame and joint, Hungarian matching maximises ``S``; for each threshold
  ``alpha in {0.05, 0.10, ..., 0.95}`` a matched pair is a TP if ``S >= alpha``;
  FN = ground-truth joints - TP, FP = predicted joints - TP;
* ``AssA_alpha = sum_TP A(c) / TP`` with ``A(c) = TPA / (TPA + FNA + FPA)`` counted per
  (ground-truth id, predicted id) pair over the video;
  ``DetA_alpha = TP / (TP + FN + FP)``; ``HOTA_alpha = sqrt(DetA_alpha * AssA_alpha)``;
  the reported values are the means over the 19 thresholds;
* videos are combined as TrackEval does: counts summed, AssA averaged weighted by TP; the Total
  pools all joints (TP/FN/FP summed, AssA weighted by TP).

Differences to PoseTrack21's code, deliberate: the similarity slope is ``1 / 0.5`` (its code uses
``1 / 0.5001``); a frame without ground truth adds that frame's predicted joints as FP (its code
adds the whole sequence's count); the Total's AssA weights every (video, joint) by its TP where its
code takes a plain per-video mean over the 15 joints, which counts joints absent from a video as
AssA 0 (perfect predictions would score below 100).
"""
from __future__ import annotations

from typing import Dict, List, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from .posetrack_io import NUM_JOINTS

ALPHAS = np.arange(0.05, 0.99, 0.05)  # 19 thresholds, as TrackEval
_EPS = np.finfo('float').eps


def keypoint_similarity(dist: np.ndarray, thr: float = 0.5) -> np.ndarray:
    """``max(0, 1 - d / thr)``; ``inf`` distances (absent joints) give 0."""
    return np.maximum(0.0, 1.0 - dist / thr)


def _video_hota(frames) -> Dict[str, np.ndarray]:
    A = len(ALPHAS)
    gt_u = np.unique(np.concatenate([f.gt_ids for f in frames])) if frames else np.zeros(0)
    pr_u = np.unique(np.concatenate([f.pr_ids for f in frames])) if frames else np.zeros(0)
    nG, nP = len(gt_u), len(pr_u)
    gt_cnt = np.zeros((max(nG, 1), NUM_JOINTS))
    pr_cnt = np.zeros((max(nP, 1), NUM_JOINTS))
    n_gt = np.zeros(NUM_JOINTS)
    n_pr = np.zeros(NUM_JOINTS)
    pg, pp, pj, ps = [], [], [], []
    for fr in frames:
        gi = np.searchsorted(gt_u, fr.gt_ids)
        pi = np.searchsorted(pr_u, fr.pr_ids)
        if len(gi):
            np.add.at(gt_cnt, gi, fr.gt_has)
        if len(pi):
            np.add.at(pr_cnt, pi, fr.pr_has)
        n_gt += fr.gt_has.sum(0)
        n_pr += fr.pr_has.sum(0)
        if not len(gi) or not len(pi):
            continue
        sim = keypoint_similarity(fr.dist)  # (P, G, J)
        pos = sim > 0
        # joints where every prediction and every ground truth has at most one positive
        # similarity: the optimal assignment is exactly the positive pairs (no Hungarian needed)
        simple = (pos.sum(0) <= 1).all(0) & (pos.sum(1) <= 1).all(0)
        p_, g_, j_ = np.nonzero(pos & simple)
        if len(j_):
            pg.append(gi[g_])
            pp.append(pi[p_])
            pj.append(j_)
            ps.append(sim[p_, g_, j_])
        for j in np.flatnonzero(pos.any((0, 1)) & ~simple):
            S = sim[:, :, j]
            rows = np.flatnonzero(pos[:, :, j].any(1))
            cols = np.flatnonzero(pos[:, :, j].any(0))
            sub = S[np.ix_(rows, cols)]
            if sub.size == 1:
                r, c = np.zeros(1, int), np.zeros(1, int)
            else:
                r, c = linear_sum_assignment(-sub)
            s = sub[r, c]
            ok = s > 0
            pg.append(gi[cols[c[ok]]])
            pp.append(pi[rows[r[ok]]])
            pj.append(np.full(ok.sum(), j))
            ps.append(s[ok])
    tp = np.zeros((A, NUM_JOINTS))
    ass = np.zeros((A, NUM_JOINTS))
    if pg:
        pg, pp, pj, ps = (np.concatenate(x) for x in (pg, pp, pj, ps))
        key = (pg * max(nP, 1) + pp) * NUM_JOINTS + pj
        for a, alpha in enumerate(ALPHAS):
            sel = ps >= alpha - _EPS
            if not sel.any():
                continue
            uk, cnt = np.unique(key[sel], return_counts=True)
            j = uk % NUM_JOINTS
            g = uk // NUM_JOINTS // max(nP, 1)
            p = uk // NUM_JOINTS % max(nP, 1)
            ass_c = cnt / np.maximum(1, gt_cnt[g, j] + pr_cnt[p, j] - cnt)
            tp[a] = np.bincount(j, weights=cnt, minlength=NUM_JOINTS)
            ass[a] = np.bincount(j, weights=cnt * ass_c,
                                 minlength=NUM_JOINTS) / np.maximum(1, tp[a])
    return dict(tp=tp, fn=n_gt[None] - tp, fp=n_pr[None] - tp, assa=ass)


def evaluate_keypoint_hota(videos: Sequence[Sequence]) -> Dict[str, np.ndarray]:
    """HOTA, DetA, AssA (percent) per joint, index 15 = Total; each the mean over ``ALPHAS``.

    Args:
        videos: per video, the evaluated frames (``posetrack_eval.EvalFrame``: ``gt_ids``,
            ``gt_has``, ``pr_ids``, ``pr_has``, ``dist`` head-normalised).
    """
    A = len(ALPHAS)
    TP = np.zeros((A, NUM_JOINTS + 1))
    FN = np.zeros_like(TP)
    FP = np.zeros_like(TP)
    ass_w = np.zeros_like(TP)
    for frames in videos:
        r = _video_hota(list(frames))
        tp_tot = r['tp'].sum(1)
        TP[:, :NUM_JOINTS] += r['tp']
        TP[:, NUM_JOINTS] += tp_tot
        FN[:, :NUM_JOINTS] += r['fn']
        FN[:, NUM_JOINTS] += r['fn'].sum(1)
        FP[:, :NUM_JOINTS] += r['fp']
        FP[:, NUM_JOINTS] += r['fp'].sum(1)
        ass_w[:, :NUM_JOINTS] += r['assa'] * r['tp']
        ass_w[:, NUM_JOINTS] += (r['assa'] * r['tp']).sum(1)
    assa = ass_w / np.maximum(1.0, TP)
    deta = TP / np.maximum(1.0, TP + FN + FP)
    hota = np.sqrt(deta * assa)
    return dict(hota=100 * hota.mean(0), deta=100 * deta.mean(0), assa=100 * assa.mean(0),
                hota_alpha=hota, deta_alpha=deta, assa_alpha=assa, tp=TP, fn=FN, fp=FP)


__all__: List[str] = ['ALPHAS', 'keypoint_similarity', 'evaluate_keypoint_hota']
