"""Loop-based reference of the official PoseTrack evaluation, for cross-checking only.

A deliberately literal re-statement of poseval's logic (``convert.py`` PoseTrack18 -> 2017,
``eval_helpers.cleanupData / removeIgnoredPoints / assignGTmulti``, ``evaluateAP.computeMetrics``,
``evaluateTracking.computeMetrics``) and of motmetrics 1.4's ``MOTAccumulator.update`` event rule
(carry-over of previous matches, Hungarian with "expensive edges" for the rest, SWITCH / TRANSFER /
ASCEND / MIGRATE events, ``events['D'].sum()`` including RAW events), written in plain python
(no pandas or motmetrics) so that it runs wherever the tests run; ignore regions use shapely's
``Polygon.contains(Point)`` point by point, as poseval's ``removeIgnoredPointsRects`` does.
Quirks included: the last frame of each sequence is left out of MOTA, a sequence with one frame
raises IndexError, a frame with no predictions gives placeholder ids ``[0]``/``[0]``.

It was checked equal (to 1e-9) to the original poseval code running with motmetrics 1.4.0 and
shapely 2.0.6 on 138 random cases while this module was written (see docs/evaluation.md).
"""
import glob
import json
import os

import numpy as np
from scipy.optimize import linear_sum_assignment

NAMES15 = ['right_ankle', 'right_knee', 'right_hip', 'left_hip', 'left_knee', 'left_ankle',
           'right_wrist', 'right_elbow', 'right_shoulder', 'left_shoulder', 'left_elbow',
           'left_wrist', 'head_bottom', 'nose', 'head_top']
NJ = 15
MIN_SCORE = -9999


# ---------------------------------------------------------------- PoseTrack18 -> 2017 (convert.py)
def to_annolist(data):
    names = data['categories'][0]['keypoints']
    table = [NAMES15.index(n) if n in NAMES15 else None for n in names]
    frames = []
    for img in data['images']:
        rects = []
        for ann in data['annotations']:
            if ann['image_id'] != img['id']:
                continue
            kps = np.array(ann['keypoints']).reshape(len(table), 3)
            scores = ann.get('scores')
            points = []
            for k, (x, y, v) in enumerate(kps):
                if table[k] is None or (x == 0 and y == 0 and v == 0):
                    continue
                pt = {'id': [table[k]], 'x': [x], 'y': [y]}
                if scores:
                    pt['score'] = [scores[k]]
                points.append(pt)
            rect = {'track_id': [ann['track_id']], 'annopoints': [{'point': points}]}
            if 'bbox_head' in ann:
                x, y, w, h = ann['bbox_head']
                rect.update(x1=[x], y1=[y], x2=[x + w], y2=[y + h])
            rects.append(rect)
        frame = {'annorect': rects}
        rx, ry = img.get('ignore_regions_x'), img.get('ignore_regions_y')
        if rx is not None and ry is not None and len(rx) > 0:
            frame['ignore_regions'] = [list(zip(xs, ys)) for xs, ys in zip(rx, ry)]
        frames.append(frame)
    return frames


# ---------------------------------------------------------------- loading / cleanup
def load_dirs(gt_dir, pred_dir):
    gt_all, pr_all = [], []
    for i, fn in enumerate(sorted(glob.glob(os.path.join(gt_dir, '*.json')))):
        with open(fn) as f:
            gt = to_annolist(json.load(f))
        with open(os.path.join(pred_dir, os.path.basename(fn))) as f:
            pr = to_annolist(json.load(f))
        assert len(gt) == len(pr)
        for fr in gt:
            fr['seq_id'] = i
            for r in fr['annorect']:
                assert r['track_id'][0] < 10000
                r['track_id'][0] += i * 10000
        for fr in pr:
            ids = [r['track_id'][0] for r in fr['annorect']]
            assert len(set(ids)) == len(ids)
            for r in fr['annorect']:
                r['track_id'][0] += i * 10000
        gt_all += gt
        pr_all += pr
    keep = [k for k in range(len(gt_all)) if len(gt_all[k]['annorect']) > 0]
    gt_all = [gt_all[k] for k in keep]
    pr_all = [pr_all[k] for k in keep]
    for g, p in zip(gt_all, pr_all):
        polys = g.get('ignore_regions', [])
        if polys:
            p['annorect'] = _drop_ignored(p['annorect'], polys)
            g['annorect'] = _drop_ignored(g['annorect'], polys)
    return gt_all, pr_all


def _drop_ignored(rects, polys):
    """poseval ``removeIgnoredPointsRects``: drop points inside a region, then empty people
    (regions with < 3 vertices, on which shapely fails, are skipped)."""
    from shapely import geometry
    polys = [geometry.Polygon([[x, y] for x, y in poly]) for poly in polys if len(poly) >= 3]
    out = []
    for r in rects:
        pts = [p for p in r['annopoints'][0]['point']
               if not any(poly.contains(geometry.Point(p['x'][0], p['y'][0])) for poly in polys)]
        if pts:
            r['annopoints'][0]['point'] = pts
            out.append(r)
    return out


def _point(points, j):
    for p in points:
        if p['id'][0] == j:
            return p
    return None


# ---------------------------------------------------------------- assignGTmulti
def assign(gt_frames, pr_frames, thr=0.5):
    scores = [[[] for _ in gt_frames] for _ in range(NJ)]
    labels = [[[] for _ in gt_frames] for _ in range(NJ)]
    n_gt = np.zeros((NJ, len(gt_frames)))
    mot_all = []
    for f, (gf, pf) in enumerate(zip(gt_frames, pr_frames)):
        G, P = gf['annorect'], pf['annorect']
        dist = np.full((len(P), len(G), NJ), np.inf)
        score = np.full((len(P), NJ), np.nan)
        has_pr = np.zeros((len(P), NJ), bool)
        has_gt = np.zeros((len(G), NJ), bool)
        for g, r in enumerate(G):
            for j in range(NJ):
                has_gt[g, j] = _point(r['annopoints'][0]['point'], j) is not None
        for p, r in enumerate(P):
            for j in range(NJ):
                pt = _point(r['annopoints'][0]['point'], j)
                if pt is not None:
                    score[p, j] = pt['score'][0] if 'score' in pt else MIN_SCORE
                    has_pr[p, j] = True
        mot = {}
        if len(P) and len(G):
            for g, rg in enumerate(G):
                head = 0.6 * np.linalg.norm(np.subtract([rg['x2'][0], rg['y2'][0]],
                                                        [rg['x1'][0], rg['y1'][0]]))
                for p, rp in enumerate(P):
                    for j in range(NJ):
                        if has_pr[p, j] and has_gt[g, j]:
                            a = _point(rg['annopoints'][0]['point'], j)
                            b = _point(rp['annopoints'][0]['point'], j)
                            dist[p, g, j] = np.linalg.norm(
                                np.subtract([a['x'][0], a['y'][0]], [b['x'][0], b['y'][0]])) / head
            match = dist <= thr
            ngtp = has_gt.sum(1)
            pck = 1.0 * match.sum(2)
            for p in range(len(P)):
                for g in range(len(G)):
                    if ngtp[g] > 0:
                        pck[p, g] = pck[p, g] / ngtp[g]
            best = np.argmax(pck, axis=1)
            for p in range(len(P)):
                for g in range(len(G)):
                    if g != best[p]:
                        pck[p, g] = 0
            pr_to_gt = np.argmax(pck, axis=0)
            pr_to_gt[np.max(pck, axis=0) == 0] = -1
            for j in range(NJ):
                gi = [g for g in range(len(G)) if has_gt[g, j]]
                pi = [p for p in range(len(P)) if has_pr[p, j]]
                d = np.full((len(gi), len(pi)), np.nan)
                for a, p in enumerate(pi):
                    for b, g in enumerate(gi):
                        if match[p, g, j]:
                            d[b, a] = dist[p, g, j]
                mot[j] = dict(oids=[G[g]['track_id'][0] for g in gi],
                              hids=[P[p]['track_id'][0] for p in pi], dist=d)
            for p in range(len(P)):
                gs = [g for g in range(len(G)) if pr_to_gt[g] == p]
                for j in range(NJ):
                    if has_pr[p, j]:
                        scores[j][f].append(score[p, j])
                        labels[j][f].append(bool(match[p, gs[0], j]) if gs else False)
        else:
            if not len(G):
                for p in range(len(P)):
                    for j in range(NJ):
                        if has_pr[p, j]:
                            scores[j][f].append(score[p, j])
                            labels[j][f].append(False)
            for j in range(NJ):
                mot[j] = dict(oids=[0], hids=[0], dist=np.full((1, 1), np.nan))
        n_gt[:, f] += has_gt.sum(0)
        mot_all.append(mot)
    return scores, labels, n_gt, mot_all


# ---------------------------------------------------------------- AP
def compute_ap(scores, labels, n_gt):
    ap = np.zeros(NJ + 1)
    pre = np.zeros(NJ + 1)
    rec = np.zeros(NJ + 1)
    for j in range(NJ):
        s = np.array([v for fr in scores[j] for v in fr], dtype=np.float64)
        lab = np.array([v for fr in labels[j] for v in fr], dtype=np.int8)
        tot = np.float64(n_gt[j].sum())
        if len(s) == 0:
            continue
        order = s.argsort()[::-1]
        npos = 0
        precision, recall = np.zeros(len(s)), np.zeros(len(s))
        with np.errstate(divide='ignore', invalid='ignore'):
            for k, idx in enumerate(order):
                npos += lab[idx] == 1
                recall[k] = 1.0 * npos / tot
                precision[k] = 1.0 * npos / (k + 1)
        mpre = [0.0] + list(precision) + [0.0]
        mrec = [0.0] + list(recall) + [1.0]
        for k in range(len(mpre) - 2, -1, -1):
            mpre[k] = max(mpre[k], mpre[k + 1])
        a = 0.0
        terms = [(mrec[k] - mrec[k - 1]) * mpre[k] for k in range(1, len(mrec))
                 if not mrec[k] == mrec[k - 1]]
        a = np.sum(terms)
        ap[j], pre[j], rec[j] = a * 100, precision[-1] * 100, recall[-1] * 100
    for v in (ap, pre, rec):
        ok = ~np.isnan(v[:NJ])
        v[NJ] = v[:NJ][ok].mean()
    return ap, pre, rec


# ---------------------------------------------------------------- motmetrics' accumulator
class RefAccumulator:
    """motmetrics 1.4 ``MOTAccumulator(auto_id=True)``, events kept as a list."""

    def __init__(self):
        self.events = []  # (type, oid, hid, d)
        self.m, self.res_m, self.last_match, self.hyp_history = {}, {}, {}, {}
        self.frame = -1

    def update(self, oids, hids, dists):
        self.frame += 1
        oids, hids = list(oids), list(hids)
        d = np.array(dists, float).reshape(len(oids), len(hids)).copy()
        self.events.append(('RAW', None, None, np.nan))
        used_o, used_h = set(), set()
        for i in range(len(oids)):
            for j in range(len(hids)):
                if np.isfinite(d[i, j]):
                    self.events.append(('RAW', oids[i], hids[j], d[i, j]))
                    used_o.add(i)
                    used_h.add(j)
        self.events += [('RAW', oids[i], None, np.nan) for i in range(len(oids)) if i not in used_o]
        self.events += [('RAW', None, hids[j], np.nan) for j in range(len(hids)) if j not in used_h]
        om, hm = [False] * len(oids), [False] * len(hids)
        if len(oids) * len(hids) > 0:
            for i in range(len(oids)):
                if oids[i] not in self.m:
                    continue
                cand = [j for j in range(len(hids)) if not hm[j] and hids[j] == self.m[oids[i]]]
                if not cand:
                    continue
                j = cand[0]
                if np.isfinite(d[i, j]):
                    om[i] = hm[j] = True
                    self.events.append(('MATCH', oids[i], hids[j], d[i, j]))
                    self.last_match[oids[i]] = self.frame
                    self.hyp_history[hids[j]] = self.frame
            for i in range(len(oids)):
                if om[i]:
                    d[i, :] = np.nan
            for j in range(len(hids)):
                if hm[j]:
                    d[:, j] = np.nan
            valid = np.isfinite(d)
            if valid.any():
                if valid.all():
                    cost = d.copy()
                else:
                    big = 2 * min(d.shape) * (np.abs(d[valid]).max() + 1) + 1
                    cost = np.where(valid, d, big)
                rows, cols = linear_sum_assignment(cost)
                for i, j in zip(rows, cols):
                    if not np.isfinite(d[i, j]):
                        continue
                    o, h = oids[i], hids[j]
                    switch = o in self.m and self.m[o] != h
                    if switch and h not in self.hyp_history:
                        self.events.append(('ASCEND', o, h, d[i, j]))
                    if h in self.res_m and self.res_m[h] != o:
                        if o not in self.last_match:
                            self.events.append(('MIGRATE', o, h, d[i, j]))
                        self.events.append(('TRANSFER', o, h, d[i, j]))
                    self.hyp_history[h] = self.frame
                    self.last_match[o] = self.frame
                    self.events.append(('SWITCH' if switch else 'MATCH', o, h, d[i, j]))
                    om[i] = hm[j] = True
                    self.m[o] = h
                    self.res_m[h] = o
        self.events += [('MISS', oids[i], None, np.nan) for i in range(len(oids)) if not om[i]]
        self.events += [('FP', None, hids[j], np.nan) for j in range(len(hids)) if not hm[j]]

    def counts(self):
        t = [e[0] for e in self.events]
        c = dict(num_misses=t.count('MISS'), num_switches=t.count('SWITCH'),
                 num_false_positives=t.count('FP'),
                 num_objects=sum(1 for e in self.events if e[0] in ('MATCH', 'SWITCH', 'MISS')))
        c['num_detections'] = t.count('MATCH') + t.count('SWITCH')
        c['sumD'] = float(np.nansum([e[3] for e in self.events]))
        return c


def compute_mot(gt_frames, mot_all):
    seq = np.array([f['seq_id'] for f in gt_frames])
    keys = ['num_misses', 'num_switches', 'num_false_positives', 'num_objects', 'num_detections',
            'sumD']
    tot = {k: np.zeros(NJ) for k in keys}
    for s in np.unique(seq):
        idxs = np.flatnonzero(seq == s)[:-1]
        _ = idxs[0]  # poseval: gtFramesAll[imgidxs[0, 0]] -> IndexError for one frame
        accs = [RefAccumulator() for _ in range(NJ)]
        for f in idxs:
            for j in range(NJ):
                mj = mot_all[f][j]
                accs[j].update(mj['oids'], mj['hids'], mj['dist'])
        for j in range(NJ):
            c = accs[j].counts()
            for k in keys:
                tot[k][j] += c[k]
    res = {}
    with np.errstate(divide='ignore', invalid='ignore'):
        obj = np.where(tot['num_objects'] > 0, tot['num_objects'], np.nan)
        fp, det = tot['num_false_positives'], tot['num_detections']
        res['mota'] = 100 * (1 - (tot['num_misses'] + tot['num_switches'] + fp) / obj)
        res['motp'] = np.array([0.0 if det[j] == 0 else 100 * (1 - tot['sumD'][j] / det[j])
                                for j in range(NJ)])
        res['precision'] = 100 * det / np.where(fp + det > 0, fp + det, np.nan)
        res['recall'] = 100 * det / obj
    for k in ('mota', 'motp', 'precision', 'recall'):
        v = res[k]
        res[k] = np.append(v, v[~np.isnan(v)].mean())
    res.update({k: tot[k] for k in keys})
    return res


def evaluate_dirs(gt_dir, pred_dir):
    """Reference AP and MOT results: dict(ap, ap_precision, ap_recall, mota, motp, ...)."""
    g, p = load_dirs(gt_dir, pred_dir)
    scores, labels, n_gt, mot_all = assign(g, p)
    ap, pre, rec = compute_ap(scores, labels, n_gt)
    out = dict(ap=ap, ap_precision=pre, ap_recall=rec)
    out.update(compute_mot(g, mot_all))
    return out
