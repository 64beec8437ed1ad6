"""PoseTrack AP and MOTA per joint, official-equal by default (poseval), vectorised.

Definitions (poseval ``py/eval_helpers.py::assignGTmulti``, ``py/evaluateAP.py``,
``py/evaluateTracking.py``; motmetrics ``MOTAccumulator.update``):

* a predicted joint matches a ground-truth joint when ``||p - g|| / head <= 0.5`` with
  ``head = 0.6 * ||head-box diagonal||`` (PCKh@0.5);
* AP: in every frame each prediction is assigned to the ground-truth person with which it has the
  highest PCKh (first on ties); each ground-truth person keeps its best prediction (first on ties);
  per joint, predicted joints are labelled positive when they match the joint of the assigned
  person; AP = VOC area under the precision/recall curve of all frames pooled; a joint with ground
  truth but no predictions gets AP 0; Total = mean over the 15 joints;
* MOTA per joint, one CLEAR-MOT accumulator per video and joint (a previous match is kept while it
  is within the threshold, the rest is assigned by Hungarian on the normalised distance, a switch
  is a match to another hypothesis than before); misses, switches and false positives of all videos
  are summed: ``MOTA_j = 1 - (FN + IDSW + FP) / GT``; Total = mean over the 15 joints.

Official quirks reproduced when ``strict=False`` (the default), corrected when ``strict=True``:

===================================  ===============================  ============================
aspect                               official (``strict=False``)      ``strict=True``
===================================  ===============================  ============================
last evaluated frame of a video      left out of MOTA                 counted
video with one evaluated frame       poseval crashes; here: left out  counted
                                     of MOTA with a warning
frame with no predictions (or no     1 miss + 1 FP per joint,         each ground-truth joint a
ground truth left after ignore       whatever the number of people    miss, each predicted joint a
regions)                                                              false positive
frames evaluated                     ground truth has >= 1 person     ``is_labeled`` when the file
                                     (``is_labeled`` is not read)     has it, else >= 1 person
MOTP distance sum                    motmetrics >= 1.2: every event's sum of matched distances
                                     distance, raw pairs included     (CLEAR MOT; motmetrics < 1.2)
===================================  ===============================  ============================
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from ...structures.polygon import points_in_polygon, points_in_polygons  # noqa: F401 (re-export)
from .keypoint_hota import evaluate_keypoint_hota
from .posetrack_io import (JOINT_GROUPS, NUM_JOINTS, POSEVAL_JOINTS, PoseTrackVideo,
                           check_frame_counts)

PCKH_THRESHOLD = 0.5
GROUP_NAMES = ('Head', 'Shou', 'Elb', 'Wri', 'Hip', 'Knee', 'Ankl', 'Total')


@dataclass
class EvalFrame:
    """One evaluated frame after frame selection and ignore regions (joints in poseval order)."""
    gt_ids: np.ndarray  # (G,)
    gt_has: np.ndarray  # (G, J) bool
    pr_ids: np.ndarray  # (P,)
    pr_has: np.ndarray  # (P, J) bool
    pr_scores: np.ndarray  # (P, J)
    dist: np.ndarray  # (P, G, J) head-normalised distance, inf unless both joints exist


def ignored_joints(frames: Sequence[tuple]) -> List[tuple]:
    """Joints inside the ignore regions, for many frames in one vectorised call.

    Args:
        frames: ``(gt_frame, pred_frame)`` pairs; the ground truth's regions apply to both.

    Returns:
        Per pair ``(gt_keep, gt_vis, pr_keep, pr_vis)``: ``*_vis`` (N, 15) are the visible joints
        outside every region (strictly inside = removed, boundary kept: poseval's shapely
        ``Polygon.contains``); ``*_keep`` (N,) the people kept: in a frame that lists regions,
        people left without visible joints are removed (poseval ``removeIgnoredPoints``), else all.
    """
    pts, pgrp, polys, qgrp, slots = [], [], [], [], []
    for k, (g, p) in enumerate(frames):
        for side, fr in enumerate((g, p)):
            if g.has_regions and g.ignore_regions and fr.num_people:
                idx = np.flatnonzero(fr.visible.reshape(-1))
                slots.append((k, side, idx))
                pts.append(fr.keypoints.reshape(-1, 2)[idx])
                pgrp.append(np.full(len(idx), k))
        if g.has_regions and g.ignore_regions:
            polys += g.ignore_regions
            qgrp += [k] * len(g.ignore_regions)
    vis = [[g.visible.copy(), p.visible.copy()] for g, p in frames]
    if pts:
        inside = points_in_polygons(np.concatenate(pts), polys, np.concatenate(pgrp),
                                    np.array(qgrp))
        start = 0
        for k, side, idx in slots:
            v = vis[k][side].reshape(-1)  # a view: writes go to vis[k][side]
            v[idx[inside[start:start + len(idx)]]] = False
            start += len(idx)
    out = []
    for (g, p), (gv, pv) in zip(frames, vis):
        if g.has_regions:
            out.append((gv.any(1), gv, pv.any(1), pv))
        else:
            out.append((np.ones(g.num_people, bool), gv, np.ones(p.num_people, bool), pv))
    return out


def pair_distances(gt_kpts: np.ndarray, gt_has: np.ndarray, head: np.ndarray,
                   pr_kpts: np.ndarray, pr_has: np.ndarray) -> np.ndarray:
    """(P, G, J) ``||p - g|| / head`` where both joints exist, ``inf`` elsewhere."""
    d = pr_kpts[:, None] - gt_kpts[None]
    with np.errstate(divide='ignore', invalid='ignore'):
        dist = np.sqrt(d[..., 0] * d[..., 0] + d[..., 1] * d[..., 1]) / head[None, :, None]
    dist[np.isnan(dist)] = np.inf  # 0 / 0 (zero head box): never a match, as poseval
    dist[~(pr_has[:, None] & gt_has[None])] = np.inf
    return dist


def head_sizes(boxes: np.ndarray) -> np.ndarray:
    """0.6 x head-box diagonal (poseval ``getHeadSize``), boxes ``x1, y1, x2, y2``."""
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    return 0.6 * np.sqrt(w * w + h * h)


def prepare_video(gt: PoseTrackVideo, pr: PoseTrackVideo, strict: bool = False
                  ) -> List[EvalFrame]:
    """Select the evaluated frames of a video, apply ignore regions, compute distances."""
    check_frame_counts(gt, pr)
    pairs = []
    for g, p in zip(gt.frames, pr.frames):
        if strict and g.is_labeled is not None:
            if not g.is_labeled:
                continue
        elif g.num_people == 0:
            continue
        pairs.append((g, p))
    out = []
    for (g, p), (gk, gvis, pk, pvis) in zip(pairs, ignored_joints(pairs)):
        gvis, pvis = gvis[gk], pvis[pk]
        head = head_sizes(g.head_boxes[gk])
        dist = pair_distances(g.keypoints[gk], gvis, head, p.keypoints[pk], pvis)
        out.append(EvalFrame(g.track_ids[gk], gvis, p.track_ids[pk], pvis, p.scores[pk], dist))
    return out


# ------------------------------------------------------------------------------------------
# AP
# ------------------------------------------------------------------------------------------
def frame_ap_labels(fr: EvalFrame, thr: float = PCKH_THRESHOLD) -> np.ndarray:
    """(P, J) positive labels of the predicted joints of one frame (poseval's pose assignment)."""
    P, G = fr.pr_has.shape[0], fr.gt_has.shape[0]
    labels = np.zeros((P, NUM_JOINTS), bool)
    if P == 0 or G == 0:
        return labels
    match = fr.dist <= thr
    n_gt = fr.gt_has.sum(1)
    pck = 1.0 * match.sum(2)
    pck = np.where(n_gt[None] > 0, pck / np.maximum(n_gt, 1)[None], pck)
    best = np.argmax(pck, axis=1)
    keep = np.zeros_like(pck)
    rows = np.arange(P)
    keep[rows, best] = pck[rows, best]
    pr_to_gt = np.argmax(keep, axis=0)
    val = np.max(keep, axis=0)
    gts = np.flatnonzero(val != 0)
    labels[pr_to_gt[gts]] = match[pr_to_gt[gts], gts]
    return labels


def voc_ap(scores: np.ndarray, labels: np.ndarray, n_pos: float) -> tuple:
    """poseval ``computeRPC`` + ``VOCap``: (AP, final precision, final recall) in [0, 1]."""
    order = np.asarray(scores).argsort()[::-1]  # same (unstable) sort call as poseval
    tp = np.cumsum(labels[order] == 1)
    with np.errstate(divide='ignore', invalid='ignore'):
        recall = 1.0 * tp / n_pos
    precision = 1.0 * tp / np.arange(1, len(tp) + 1)
    mpre = np.concatenate([[0.0], precision, [0.0]])
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    i = np.flatnonzero(mrec[1:] != mrec[:-1]) + 1
    ap = np.sum((mrec[i] - mrec[i - 1]) * mpre[i])
    return ap, precision[-1], recall[-1]


def evaluate_ap(frames: Sequence[EvalFrame], thr: float = PCKH_THRESHOLD) -> Dict[str, np.ndarray]:
    """Per-joint AP, precision, recall (percent), index 15 = Total (mean over non-NaN joints).

    poseval ``evaluateAP``: a joint without predictions has AP 0; a joint with predictions but no
    ground truth has AP NaN (excluded from Total).
    """
    scores, labels, has = [], [], []
    n_gt = np.zeros(NUM_JOINTS)
    for fr in frames:
        n_gt += fr.gt_has.sum(0)
        if fr.pr_has.shape[0]:
            scores.append(fr.pr_scores)
            labels.append(frame_ap_labels(fr, thr))
            has.append(fr.pr_has)
    ap = np.zeros(NUM_JOINTS + 1)
    pre = np.zeros(NUM_JOINTS + 1)
    rec = np.zeros(NUM_JOINTS + 1)
    if scores:
        S, L, H = np.concatenate(scores), np.concatenate(labels), np.concatenate(has)
        for j in range(NUM_JOINTS):
            sel = H[:, j]
            if sel.any():
                a, p, r = voc_ap(S[sel, j].astype(np.float64), L[sel, j].astype(np.int8), n_gt[j])
                ap[j], pre[j], rec[j] = a * 100, p * 100, r * 100
    for v in (ap, pre, rec):
        ok = ~np.isnan(v[:NUM_JOINTS])
        v[NUM_JOINTS] = v[:NUM_JOINTS][ok].mean() if ok.any() else np.nan
    return dict(ap=ap, precision=pre, recall=rec, num_gt=n_gt)


# ------------------------------------------------------------------------------------------
# MOTA
# ------------------------------------------------------------------------------------------
class _JointAccumulator:
    """State and counts of motmetrics' ``MOTAccumulator`` (v1.4) for one joint of one video."""
    __slots__ = ('m', 'res_m', 'last_match', 'hyp_hist', 'objects', 'misses', 'fps',
                 'matches', 'switches', 'sum_match', 'sum_extra')

    def __init__(self):
        self.m, self.res_m = {}, {}
        self.last_match, self.hyp_hist = set(), set()
        self.objects = self.misses = self.fps = self.matches = self.switches = 0
        self.sum_match = 0.0  # distances of MATCH + SWITCH events
        self.sum_extra = 0.0  # RAW + TRANSFER + ASCEND + MIGRATE distances (motmetrics >= 1.2)

    def update(self, no: int, nh: int, pairs: Dict[tuple, float], gt_ids: list, pr_ids: list,
               pr_pos: Dict[int, int], hungarian) -> None:
        """One frame of one joint (motmetrics ``MOTAccumulator.update``).

        Args:
            no, nh: ground-truth / predicted people with the joint (objects / hypotheses).
            pairs: ``{(g, p): distance}`` of the pairs within the threshold, in (g, p) order
                (g, p index the frame's people); at least one.
            gt_ids, pr_ids: the frame's track ids; ``pr_pos``: predicted id -> p.
            hungarian: ``hungarian(rem)`` -> the (g, p) pairs that motmetrics' Hungarian step
                (with its "expensive edges") chooses among the pairs ``rem``.
        """
        self.objects += no
        self.sum_extra += sum(pairs.values())  # RAW events
        om, hm = set(), set()
        m = self.m
        if m:  # 1. keep previous correspondences still within the threshold (objects' order)
            for g in sorted({g for g, _ in pairs}):
                h = m.get(gt_ids[g])
                p = pr_pos.get(h) if h is not None else None
                if p is None or p in hm or (g, p) not in pairs:
                    continue
                om.add(g)
                hm.add(p)
                self.matches += 1
                self.sum_match += pairs[(g, p)]
                self.last_match.add(gt_ids[g])
                self.hyp_hist.add(h)
        rem = [(g, p) for (g, p) in pairs if g not in om and p not in hm]
        if rem:  # 2. Hungarian on the rest
            rg = [g for g, _ in rem]
            rp = [p for _, p in rem]
            if len(set(rg)) != len(rg) or len(set(rp)) != len(rp):
                rem = hungarian(rem)
            for g, p in rem:
                o, h = gt_ids[g], pr_ids[p]
                d = pairs[(g, p)]
                prev = m.get(o)
                if prev is not None and prev != h:
                    self.switches += 1
                    if h not in self.hyp_hist:
                        self.sum_extra += d  # ASCEND
                else:
                    self.matches += 1
                self.sum_match += d
                prev_o = self.res_m.get(h)
                if prev_o is not None and prev_o != o:  # TRANSFER (+ MIGRATE)
                    self.sum_extra += d if o in self.last_match else 2 * d
                self.hyp_hist.add(h)
                self.last_match.add(o)
                m[o] = h
                self.res_m[h] = o
                om.add(g)
                hm.add(p)
        self.misses += no - len(om)
        self.fps += nh - len(hm)


def _hungarian(fr: EvalFrame, j: int, thr: float, rem: List[tuple]) -> List[tuple]:
    """motmetrics' assignment of the pairs ``rem`` of joint ``j``: Hungarian on the (objects x
    hypotheses) distance matrix of the people with the joint, pairs not in ``rem`` made
    "expensive" (``add_expensive_edges``); returns the chosen pairs of ``rem`` in row order."""
    gi = np.flatnonzero(fr.gt_has[:, j])
    pi = np.flatnonzero(fr.pr_has[:, j])
    D = fr.dist[:, :, j].T[np.ix_(gi, pi)]  # (objects, hypotheses)
    row = {g: r for r, g in enumerate(gi.tolist())}
    col = {p: c for c, p in enumerate(pi.tolist())}
    valid = np.zeros(D.shape, bool)
    valid[[row[g] for g, _ in rem], [col[p] for _, p in rem]] = True
    big = 2 * min(D.shape) * (np.abs(D[valid]).max() + 1) + 1
    rows, cols = linear_sum_assignment(np.where(valid, D, big))
    ok = valid[rows, cols]
    return list(zip(gi[rows[ok]].tolist(), pi[cols[ok]].tolist()))


def _video_mot(frames: Sequence[EvalFrame], strict: bool, thr: float) -> List[_JointAccumulator]:
    accs = [_JointAccumulator() for _ in range(NUM_JOINTS)]
    for fr in frames:
        P, G = fr.pr_has.shape[0], fr.gt_has.shape[0]
        if not strict and (P == 0 or G == 0):
            for a in accs:  # poseval's placeholder ids [0] / [0], no distance
                a.objects += 1
                a.misses += 1
                a.fps += 1
            continue
        n_g = fr.gt_has.sum(0).tolist()
        n_p = fr.pr_has.sum(0).tolist()
        # pairs within the threshold, by joint, then object, then hypothesis
        p_, g_, j_ = np.nonzero(fr.dist <= thr)
        order = np.lexsort((p_, g_, j_))
        p_, g_, j_ = p_[order], g_[order], j_[order]
        d_ = fr.dist[p_, g_, j_].tolist()
        bounds = np.searchsorted(j_, np.arange(NUM_JOINTS + 1)).tolist()
        keys = list(zip(g_.tolist(), p_.tolist()))
        gt_ids = fr.gt_ids.tolist()
        pr_ids = fr.pr_ids.tolist()
        pr_pos = {h: p for p, h in enumerate(pr_ids)}
        for j, a in enumerate(accs):
            lo, hi = bounds[j], bounds[j + 1]
            if lo == hi:  # no pair within the threshold: all misses and false positives
                a.objects += n_g[j]
                a.misses += n_g[j]
                a.fps += n_p[j]
                continue
            a.update(n_g[j], n_p[j], dict(zip(keys[lo:hi], d_[lo:hi])), gt_ids, pr_ids, pr_pos,
                     lambda rem, j=j: _hungarian(fr, j, thr, rem))
    return accs


def evaluate_mota(videos: Sequence[Sequence[EvalFrame]], strict: bool = False,
                  thr: float = PCKH_THRESHOLD, names: Optional[Sequence[str]] = None
                  ) -> Dict[str, np.ndarray]:
    """Per-joint MOTA, MOTP, precision, recall (percent, index 15 = Total) and raw counts."""
    keys = ('num_objects', 'num_misses', 'num_false_positives', 'num_switches',
            'num_detections')
    tot = {k: np.zeros(NUM_JOINTS) for k in keys}
    sum_d = np.zeros(NUM_JOINTS)
    for v, frames in enumerate(videos):
        if not strict:
            if len(frames) == 1:
                warnings.warn(f'video {names[v] if names else v!r} has a single evaluated frame: '
                              'the official evaluator crashes on it; left out of MOTA '
                              '(strict=True counts it)')
            frames = frames[:-1]  # poseval: imgidxs[:-1]
        if not frames:
            continue
        for j, a in enumerate(_video_mot(frames, strict, thr)):
            tot['num_objects'][j] += a.objects
            tot['num_misses'][j] += a.misses
            tot['num_false_positives'][j] += a.fps
            tot['num_switches'][j] += a.switches
            tot['num_detections'][j] += a.matches + a.switches
            sum_d[j] += a.sum_match + (0.0 if strict else a.sum_extra)
    with np.errstate(divide='ignore', invalid='ignore'):
        obj = np.where(tot['num_objects'] > 0, tot['num_objects'], np.nan)
        det = tot['num_detections']
        mota = 100 * (1.0 - (tot['num_misses'] + tot['num_switches']
                             + tot['num_false_positives']) / obj)
        motp = np.where(det == 0, 0.0, 100 * (1.0 - sum_d / np.where(det == 0, 1, det)))
        alldet = det + tot['num_false_positives']
        pre = 100 * det / np.where(alldet > 0, alldet, np.nan)
        rec = 100 * det / obj
    out = {}
    for name, v in (('mota', mota), ('motp', motp), ('precision', pre), ('recall', rec)):
        ok = ~np.isnan(v)
        out[name] = np.append(v, v[ok].mean() if ok.any() else np.nan)
    out.update(tot)
    out['sum_distance'] = sum_d
    return out


# ------------------------------------------------------------------------------------------
# groups, tables
# ------------------------------------------------------------------------------------------
def group_values(vals: np.ndarray, total: Optional[float] = None) -> Dict[str, float]:
    """poseval ``getCum``: mean of left/right (Head = head_top, neck, nose) + Total."""
    out = {g: float(np.mean(vals[list(idx)])) for g, idx in JOINT_GROUPS.items()}
    out['Total'] = float(vals[NUM_JOINTS] if total is None else total)
    return out


def format_table(metrics: Dict[str, Dict[str, float]]) -> str:
    """The official-looking tables: AP per group, then MOTA per group + MOTP/Prec/Rec Total,
    then HOTA / DetA / AssA when present."""
    def cell(v):
        return '{:>5}'.format('%1.1f' % v)
    lines = []
    if 'AP' in metrics:
        lines += ['Average Precision (AP) metric:',
                  '& Head & Shou & Elb  & Wri  & Hip  & Knee & Ankl & Total\\\\',
                  '&' + ' &'.join(cell(metrics['AP'][g]) for g in GROUP_NAMES) + ' \\\\']
    if 'MOTA' in metrics:
        lines += ['Multiple Object Tracking (MOT) metrics:',
                  '& MOTA & MOTA & MOTA & MOTA & MOTA & MOTA & MOTA & MOTA & MOTP & Prec & Rec  '
                  '\\\\',
                  '& Head & Shou & Elb  & Wri  & Hip  & Knee & Ankl & Total& Total& Total& Total'
                  '\\\\',
                  '&' + ' &'.join(cell(metrics['MOTA'][g]) for g in GROUP_NAMES) + ' &'
                  + ' &'.join(cell(metrics[k]['Total']) for k in ('MOTP', 'Precision', 'Recall'))
                  + ' \\\\']
    for k in ('HOTA', 'DetA', 'AssA'):
        if k in metrics:
            if k == 'HOTA':
                lines += ['Keypoint HOTA (PoseTrack21 definition):',
                          '&      & Head & Shou & Elb  & Wri  & Hip  & Knee & Ankl & Total\\\\']
            lines.append('& ' + k + ' &' + ' &'.join(cell(metrics[k][g]) for g in GROUP_NAMES)
                         + ' \\\\')
    return '\n'.join(lines)


def evaluate_posetrack(gt_videos: Sequence[PoseTrackVideo], pred_videos: Sequence[PoseTrackVideo],
                       strict: bool = False, hota: bool = True,
                       ap_pred_videos: Optional[Sequence[PoseTrackVideo]] = None
                       ) -> Dict[str, Dict[str, float]]:
    """AP, MOTA (+MOTP, precision, recall) and keypoint HOTA/DetA/AssA per group, percent.

    Args:
        gt_videos / pred_videos: paired videos (same order, frames paired by position).
        strict: corrected counting instead of the official quirks (module docstring).
        hota: also compute keypoint HOTA.
        ap_pred_videos: predictions to compute AP on instead of ``pred_videos`` (paired the
            same way): the papers' protocol of AP on all joints and MOTA on joints above
            per-joint score thresholds (clip tracking, Sec. 4.1).

    Returns:
        ``{'AP': {group: v}, 'MOTA': ..., 'MOTP', 'Precision', 'Recall', 'HOTA', 'DetA',
        'AssA', 'AP_per_joint': {...}, 'counts': {...}}``; groups Head, Shou, Elb, Wri, Hip, Knee,
        Ankl, Total.
    """
    if len(gt_videos) != len(pred_videos):
        raise ValueError(f'{len(gt_videos)} ground-truth videos but {len(pred_videos)} predicted')
    prepared = [prepare_video(g, p, strict) for g, p in zip(gt_videos, pred_videos)]
    names = [g.name for g in gt_videos]
    if ap_pred_videos is None:
        ap = evaluate_ap([f for v in prepared for f in v])
    else:
        if len(ap_pred_videos) != len(gt_videos):
            raise ValueError(f'{len(gt_videos)} ground-truth videos but {len(ap_pred_videos)} '
                             'predicted for AP')
        ap = evaluate_ap([f for g, p in zip(gt_videos, ap_pred_videos)
                          for f in prepare_video(g, p, strict)])
    mot = evaluate_mota(prepared, strict, names=names)
    res = {'AP': group_values(ap['ap']), 'MOTA': group_values(mot['mota']),
           'MOTP': group_values(mot['motp']), 'Precision': group_values(mot['precision']),
           'Recall': group_values(mot['recall'])}
    if hota:
        h = evaluate_keypoint_hota(prepared)
        for k in ('HOTA', 'DetA', 'AssA'):
            res[k] = group_values(h[k.lower()])
    res['per_joint'] = {
        'joints': list(POSEVAL_JOINTS) + ['total'],
        'AP': ap['ap'].tolist(), 'MOTA': mot['mota'].tolist(), 'MOTP': mot['motp'].tolist(),
        'Precision': mot['precision'].tolist(), 'Recall': mot['recall'].tolist()}
    res['counts'] = {k: mot[k].astype(int).tolist() for k in
                     ('num_objects', 'num_misses', 'num_false_positives', 'num_switches',
                      'num_detections')}
    res['settings'] = {'strict': bool(strict), 'num_videos': len(gt_videos),
                       'num_frames_evaluated': int(sum(len(v) for v in prepared))}
    return res
