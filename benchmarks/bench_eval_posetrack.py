#!/usr/bin/env python
"""Speed of the PoseTrack evaluation on files with real ignore regions: ours vs the official one.

    python benchmarks/bench_eval_posetrack.py [--videos 40 --frames 30 --people 6 --seed 0]
                                              [--real DIR] [--profile] [--keep DIR]

Data (deterministic, seeded): ``--videos`` x ``--frames`` PoseTrack18 frames built from the real
PoseTrack18 files in ``--real`` (default ``../shared/data/posetrack18/annotations/val``): every
video replicates one real frame (in turn) with its real ignore-region polygons (9, 2 or 4 per
frame, up to 152 vertices, integer pixels) moved by a camera drift, and ``--people`` people per
frame whose poses and visible joints are real PoseTrack18 people (re-scaled, placed anywhere and,
one in three, on an ignore region, moving over the frames). Predictions: jitter, missing joints and
people, identity swaps, false positives, scores (full-precision floats: exactly tied scores in
different videos are ranked in file order here and in ``glob`` order by poseval, which would make
AP differ in the last digits).

Timed (best of ``--repeat``):

* ``tools/eval_posetrack.py`` as a command (``python tools/eval_posetrack.py GT PRED --out M``:
  interpreter start, imports, reading, AP, MOTA, keypoint HOTA, writing) and its function
  ``evaluate_posetrack_dirs`` in-process without HOTA (what poseval computes), with a breakdown
  (read + validate, ignore regions + distances, AP, MOTA, HOTA);
* the official evaluator (``poseval``: ``eval_helpers.load_data_dir`` + ``evaluateAP`` +
  ``evaluateTracking``) when it is importable; else the literal re-implementation of poseval in
  ``tests/test_evaluation/poseval_reference.py`` (plain python loops, shapely per point, a list of
  motmetrics events: faster than poseval with its pandas motmetrics, so the speed-up printed is a
  lower bound). The output says which.

Numbers of both are compared (max absolute difference of per-joint AP, MOTA, MOTP, precision and
recall). ``--profile`` prints the top of a cProfile of the in-process evaluation.
"""
import argparse
import cProfile
import glob
import importlib.util
import json
import os
import os.path as osp
import pstats
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
REAL = osp.join(osp.dirname(ROOT), 'shared', 'data', 'posetrack18', 'annotations', 'val')

from mmpose_track.evaluation import functional as F  # noqa: E402
from mmpose_track.structures.posetrack18_format import POSETRACK18_KEYPOINT_NAMES  # noqa: E402


def _real_frames(real_dir):
    """Each real file's first image (regions) and all real people, normalised to head size 1."""
    frames, people = [], []
    files = sorted(glob.glob(osp.join(real_dir, '*.json')))
    if not files:
        raise FileNotFoundError(f'no PoseTrack18 files in {real_dir} (pass --real)')
    for fn in files:
        d = json.load(open(fn))
        img = d['images'][0]
        polys = [np.stack([np.asarray(x, float), np.asarray(y, float)], 1)
                 for x, y in zip(img['ignore_regions_x'], img['ignore_regions_y'])]
        frames.append(dict(polys=polys, width=img.get('width', 1920),
                           height=img.get('height', 1080)))
        for a in d['annotations']:
            k = np.asarray(a['keypoints'], float).reshape(17, 3)
            hx, hy, hw, hh = a['bbox_head']
            vis = (k != 0).any(1)
            if vis.sum() < 5:
                continue
            head = np.hypot(hw, hh)
            c = np.array([hx + hw / 2, hy + hh / 2])
            people.append(dict(pose=(k[:, :2] - c) / head, vis=vis,
                               head=np.array([hw, hh]) / head))
    return frames, people


def generate(root, n_videos, n_frames, n_people, seed, real_dir=REAL):
    rng = np.random.default_rng(seed)
    frames, people = _real_frames(real_dir)
    cats = [dict(supercategory='person', id=1, name='person',
                 keypoints=list(POSETRACK18_KEYPOINT_NAMES), skeleton=[])]
    gd, pd = osp.join(root, 'gt'), osp.join(root, 'pred')
    os.makedirs(gd)
    os.makedirs(pd)
    stats = dict(polygons=0, vertices=0, gt_people=0, frames=0)
    for v in range(n_videos):
        src = frames[v % len(frames)]
        name = f'{v + 1:06d}_mpii_test'
        W, H = src['width'], src['height']
        size = rng.uniform(40, 110, n_people)  # head diagonal in pixels
        who = rng.integers(len(people), size=n_people)
        start = rng.uniform([0, 0], [W, H], (n_people, 2))
        on_region = rng.random(n_people) < 1 / 3  # stand on a region's vertex: partly inside
        for p in np.flatnonzero(on_region):
            poly = src['polys'][rng.integers(len(src['polys']))]
            start[p] = poly[rng.integers(len(poly))]
        vel = rng.normal(0, 4, (n_people, 2))
        cam = np.cumsum(rng.normal(0, 1.5, (n_frames, 2)), 0)
        pids = np.arange(n_people) + 100
        gimg, gann, pann = [], [], []
        for f in range(n_frames):
            iid = 10000000000 + 10000 * (v + 1) + f
            shift = np.round(cam[f])
            polys = [poly + shift for poly in src['polys']]
            gimg.append(dict(id=iid, file_name=f'images/val/{name}/{f:06d}.jpg', frame_id=iid,
                             vid_id=f'{v + 1:06d}', nframes=n_frames, is_labeled=True,
                             width=W, height=H,
                             ignore_regions_x=[[int(x) for x in q[:, 0]] for q in polys],
                             ignore_regions_y=[[int(y) for y in q[:, 1]] for q in polys]))
            stats['polygons'] += len(polys)
            stats['vertices'] += sum(len(q) for q in polys)
            stats['frames'] += 1
            if rng.random() < 0.05:
                a, b = rng.choice(n_people, 2, replace=False)
                pids[[a, b]] = pids[[b, a]]
            for p in range(n_people):
                P = people[who[p]]
                c = start[p] + vel[p] * f + cam[f]
                kp = c + P['pose'] * size[p]
                hw, hh = P['head'] * size[p]
                k3 = np.zeros((17, 3))
                k3[P['vis'], :2] = np.round(kp[P['vis']], 3)
                k3[P['vis'], 2] = 1
                gann.append(dict(image_id=iid, id=len(gann), track_id=p, category_id=1,
                                 bbox_head=[float(c[0] - hw / 2), float(c[1] - hh / 2),
                                            float(hw), float(hh)],
                                 keypoints=k3.ravel().tolist(), scores=[]))
                stats['gt_people'] += 1
                if rng.random() < 0.07:
                    continue
                pk = kp + rng.normal(0, 0.12 * size[p], (17, 2))
                pvis = rng.random(17) > 0.1
                pk3 = np.zeros((17, 3))
                pk3[pvis, :2] = np.round(pk[pvis], 3)
                pk3[pvis, 2] = 1
                pann.append(dict(image_id=iid, id=len(pann), track_id=int(pids[p]),
                                 category_id=1, keypoints=pk3.ravel().tolist(),
                                 scores=rng.random(17).tolist()))
            if rng.random() < 0.3:
                P = people[rng.integers(len(people))]
                pk = rng.uniform([0, 0], [W, H]) + P['pose'] * rng.uniform(40, 110)
                pk3 = np.concatenate([np.round(pk, 3), np.ones((17, 1))], 1)
                pann.append(dict(image_id=iid, id=len(pann), track_id=5000 + f, category_id=1,
                                 keypoints=pk3.ravel().tolist(),
                                 scores=rng.random(17).tolist()))
        pimg = [{k: i[k] for k in ('id', 'file_name', 'frame_id', 'vid_id', 'nframes')}
                for i in gimg]
        for d, imgs, anns in ((gd, gimg, gann), (pd, pimg, pann)):
            with open(osp.join(d, name + '.json'), 'w') as fh:
                json.dump(dict(images=imgs, annotations=anns, categories=cats), fh)
    return gd, pd, stats


def _best(fn, repeat):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _ours_breakdown(gd, pd):
    t = [time.perf_counter()]
    gts, prs = F.load_gt_pred_dirs(gd, pd)
    t.append(time.perf_counter())
    prepared = [F.prepare_video(g, p) for g, p in zip(gts, prs)]
    t.append(time.perf_counter())
    ap = F.evaluate_ap([f for v in prepared for f in v])
    t.append(time.perf_counter())
    mot = F.evaluate_mota(prepared, names=[g.name for g in gts])
    t.append(time.perf_counter())
    F.evaluate_keypoint_hota(prepared)
    t.append(time.perf_counter())
    return np.diff(t), ap, mot


def _official(gd, pd, out):
    """(label, in-process run, command or None) of the official evaluator, else the reference."""
    try:
        from poseval import eval_helpers, evaluateAP, evaluateTracking
    except ImportError:
        spec = importlib.util.spec_from_file_location(
            'poseval_reference', osp.join(ROOT, 'tests/test_evaluation/poseval_reference.py'))
        R = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(R)
        return ('literal re-implementation (tests/test_evaluation/poseval_reference.py; poseval '
                'not installed)', lambda: R.evaluate_dirs(gd, pd), None)

    def run():  # poseval.evaluate.main without printing: load once, AP, MOT
        g, p = eval_helpers.load_data_dir(['', gd, pd + '/'])
        a = evaluateAP.evaluateAP(g, p, out, False, False)
        m = evaluateTracking.evaluateTracking(g, p, out, False, False)
        return dict(ap=a[0][:, 0], mota=m['mota'][0], motp=m['motp'][0],
                    precision=m['pre'][0], recall=m['rec'][0])
    cmd = [sys.executable, '-m', 'poseval.evaluate', '-g', gd + '/', '-p', pd + '/', '-e', '-t',
           '-o', out]
    return 'official (poseval)', run, cmd


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--videos', type=int, default=40)
    ap.add_argument('--frames', type=int, default=30)
    ap.add_argument('--people', type=int, default=6)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--real', default=REAL, help='folder of real PoseTrack18 files')
    ap.add_argument('--repeat', type=int, default=3, help='timings: best of N')
    ap.add_argument('--profile', action='store_true', help='cProfile the in-process evaluation')
    ap.add_argument('--keep', help='write the generated gt/ and pred/ folders here and keep them')
    args = ap.parse_args()
    warnings.simplefilter('ignore')
    with tempfile.TemporaryDirectory() as tmp:
        if args.keep:
            tmp = args.keep
        gd, pd, st = generate(tmp, args.videos, args.frames, args.people, args.seed, args.real)
        print(f'data: {args.videos} videos x {args.frames} frames, {st["gt_people"]} ground-truth '
              f'people, {st["polygons"] / st["frames"]:.1f} real ignore polygons per frame '
              f'({st["vertices"] / st["polygons"]:.0f} vertices on average; seed {args.seed})')
        out = osp.join(tmp, 'metrics.json')
        cmd = [sys.executable, osp.join(ROOT, 'tools', 'eval_posetrack.py'), gd, pd, '--out', out]
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
        t_cmd, run = _best(lambda: subprocess.run(cmd, capture_output=True, text=True, env=env),
                           args.repeat)
        if run.returncode:
            raise SystemExit(f'the command failed:\n{run.stderr}')
        t_fn, res = _best(lambda: F.evaluate_posetrack_dirs(gd, pd, hota=False), args.repeat)
        parts, ours_ap, ours_mot = min((_ours_breakdown(gd, pd) for _ in range(args.repeat)),
                                       key=lambda r: r[0][:4].sum())
        label, official, off_cmd = _official(gd, pd, osp.join(tmp, 'official'))
        t_ref, ref = _best(official, 1)
        print(f'ours, command tools/eval_posetrack.py (start + AP + MOTA + HOTA + write): '
              f'{t_cmd:7.3f} s')
        print(f'ours, in-process evaluate_posetrack_dirs (read + AP + MOTA):            '
              f'{t_fn:7.3f} s')
        print('  read + validate {:.3f} s, ignore regions + distances {:.3f} s, AP {:.3f} s, '
              'MOTA {:.3f} s; keypoint HOTA adds {:.3f} s'.format(*parts))
        print(f'{label}, in-process (read + AP + MOTA): {t_ref:7.3f} s')
        line = f'speed-up: {t_ref / t_fn:.1f}x in-process'
        if off_cmd is not None:
            t_off_cmd, r = _best(lambda: subprocess.run(off_cmd, capture_output=True, env=env), 1)
            if r.returncode:
                raise SystemExit(f'poseval failed:\n{r.stderr.decode()[-2000:]}')
            print(f'{label}, command python -m poseval.evaluate -e -t: {t_off_cmd:7.3f} s')
            line += f', {t_off_cmd / t_cmd:.1f}x command vs command (ours adds keypoint HOTA)'
        print(line)
        ours = dict(ap=ours_ap['ap'], mota=ours_mot['mota'], motp=ours_mot['motp'],
                    precision=ours_mot['precision'], recall=ours_mot['recall'])
        diffs = []
        for k in ours:
            a, b = np.asarray(ours[k], float), np.asarray(ref[k], float)
            same_nan = bool((np.isnan(a) == np.isnan(b)).all())
            d = float(np.nanmax(np.abs(a - b))) if same_nan else float('inf')
            diffs.append(f'{k} {d:.1e}')
        print('max |ours - reference| per joint: ' + ', '.join(diffs))
        print(F.format_table({k: res[k] for k in ('AP', 'MOTA', 'MOTP', 'Precision', 'Recall')}))
        if args.profile:
            pr = cProfile.Profile()
            pr.enable()
            F.evaluate_posetrack_dirs(gd, pd, hota=True)
            pr.disable()
            pstats.Stats(pr).sort_stats('tottime').print_stats(15)


if __name__ == '__main__':
    main()
