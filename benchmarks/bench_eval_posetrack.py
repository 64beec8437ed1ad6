#!/usr/bin/env python
"""Speed of the PoseTrack evaluation: ours vs the official evaluator.

    python benchmarks/bench_eval_posetrack.py [--videos 40 --frames 30 --people 10 --seed 0]

Generates (deterministically, seeded) a ground-truth and a prediction folder of
videos x frames x people in PoseTrack18 format, then times ``tools/eval_posetrack.py``'s code path
(load + AP + MOTA; HOTA timed separately) against:

* the official evaluator (``poseval``: ``eval_helpers.load_data_dir`` + ``evaluateAP`` +
  ``evaluateTracking``) when it is importable; or else
* the loop-based literal re-implementation of poseval in
  ``tests/test_evaluation/poseval_reference.py`` (said so in the output).

The numbers of both are compared (max absolute difference of per-joint AP and MOTA).
"""
import argparse
import importlib.util
import json
import os
import os.path as osp
import sys
import tempfile
import time
import warnings

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
COCO_NAMES = ['nose', 'head_bottom', 'head_top', 'left_ear', 'right_ear', 'left_shoulder',
              'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist',
              'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle']
TEMPLATE = np.array([[0, -70], [0, -50], [0, -95], [-8, -72], [8, -72], [-25, -40], [25, -40],
                     [-35, -5], [35, -5], [-40, 25], [40, 25], [-15, 30], [15, 30], [-17, 80],
                     [17, 80], [-18, 130], [18, 130]], float)


def _load(name, path, pkg_dir=None):
    spec = importlib.util.spec_from_file_location(
        name, path, submodule_search_locations=[pkg_dir] if pkg_dir else None)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def generate(root, n_videos, n_frames, n_people, seed):
    """Moving people with noisy predictions, misses, false positives and identity switches."""
    rng = np.random.default_rng(seed)
    cats = [dict(supercategory='person', id=1, name='person', keypoints=COCO_NAMES, skeleton=[])]
    gd, pd = osp.join(root, 'gt'), osp.join(root, 'pred')
    os.makedirs(gd)
    os.makedirs(pd)
    for v in range(n_videos):
        name = f'{v + 1:06d}_mpii_test'
        c = rng.uniform(100, 1800, (n_people, 2)) + [0, 300]
        vel = rng.normal(0, 6, (n_people, 2))
        sc = rng.uniform(0.7, 1.4, n_people)
        pids = np.arange(n_people) + 100
        gimg, gann, pann = [], [], []
        for f in range(n_frames):
            iid = 10000 * (v + 1) + f
            gimg.append(dict(id=iid, file_name=f'images/val/{name}/{f:06d}.jpg', frame_id=iid,
                             vid_id=name[:6], nframes=n_frames, is_labeled=True,
                             ignore_regions_x=[], ignore_regions_y=[]))
            if rng.random() < 0.05:
                a, b = rng.choice(n_people, 2, replace=False)
                pids[[a, b]] = pids[[b, a]]
            for p in range(n_people):
                kp = c[p] + vel[p] * f + TEMPLATE * sc[p]
                hx, hy = kp[2]
                vis = rng.random(17) > 0.1
                k3 = np.zeros((17, 3))
                k3[vis, :2] = kp[vis]
                k3[vis, 2] = 1
                gann.append(dict(image_id=iid, id=len(gann), track_id=p, category_id=1,
                                 bbox_head=[hx - 20 * sc[p], hy - 5 * sc[p], 40 * sc[p],
                                            50 * sc[p]], keypoints=k3.ravel().tolist()))
                if rng.random() < 0.07:
                    continue
                pk = kp + rng.normal(0, 7 * sc[p], (17, 2))
                pann.append(dict(image_id=iid, id=len(pann), track_id=int(pids[p]),
                                 category_id=1, keypoints=np.concatenate(
                                     [pk, np.ones((17, 1))], 1).ravel().tolist(),
                                 scores=rng.random(17).round(4).tolist()))
            if rng.random() < 0.3:
                pk = rng.uniform(0, 1900, 2) + TEMPLATE
                pann.append(dict(image_id=iid, id=len(pann), track_id=5000 + f, category_id=1,
                                 keypoints=np.concatenate([pk, np.ones((17, 1))], 1).ravel()
                                 .tolist(), scores=rng.random(17).round(4).tolist()))
        pimg = [{k: i[k] for k in ('id', 'file_name', 'frame_id', 'vid_id', 'nframes')}
                for i in gimg]
        for d, imgs, anns in ((gd, gimg, gann), (pd, pimg, pann)):
            with open(osp.join(d, name + '.json'), 'w') as fh:
                json.dump(dict(images=imgs, annotations=anns, categories=cats), fh)
    return gd, pd


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--videos', type=int, default=40)
    ap.add_argument('--frames', type=int, default=30)
    ap.add_argument('--people', type=int, default=10)
    ap.add_argument('--seed', type=int, default=0)
    args = ap.parse_args()
    warnings.simplefilter('ignore')
    F = _load('mmpose_track_eval_functional',
              osp.join(ROOT, 'mmpose_track/evaluation/functional/__init__.py'),
              osp.join(ROOT, 'mmpose_track/evaluation/functional'))
    with tempfile.TemporaryDirectory() as tmp:
        gd, pd = generate(tmp, args.videos, args.frames, args.people, args.seed)
        print(f'data: {args.videos} videos x {args.frames} frames x {args.people} people '
              f'(seed {args.seed})')
        t0 = time.perf_counter()
        gts, prs = F.load_gt_pred_dirs(gd, pd)
        t1 = time.perf_counter()
        res = F.evaluate_posetrack(gts, prs, hota=False)
        t2 = time.perf_counter()
        F.evaluate_posetrack(gts, prs, hota=True)
        t3 = time.perf_counter()
        ours = t2 - t0
        prepared = [F.prepare_video(g, p) for g, p in zip(gts, prs)]
        our_ap = F.evaluate_ap([f for v in prepared for f in v])['ap']
        our_mota = F.evaluate_mota(prepared)['mota']
        print(f'ours      (load + AP + MOTA): {ours:8.3f} s  (load {t1 - t0:.3f} s, '
              f'AP+MOTA {t2 - t1:.3f} s; keypoint HOTA adds {t3 - t2 - (t2 - t1):.3f} s)')
        try:
            from poseval import eval_helpers, evaluateAP, evaluateTracking
            label = 'official (poseval)'
        except ImportError:
            eval_helpers = None
            label = 'literal re-implementation (poseval not installed)'
        t0 = time.perf_counter()
        if eval_helpers is not None:
            g, p = eval_helpers.load_data_dir(['', gd, pd + '/'])
            apv = evaluateAP.evaluateAP(g, p, '', False, False)[0][:, 0]
            g, p = eval_helpers.load_data_dir(['', gd, pd + '/'])
            mota = evaluateTracking.evaluateTracking(g, p, '', False, False)['mota'][0]
        else:
            R = _load('poseval_reference',
                      osp.join(ROOT, 'tests/test_evaluation/poseval_reference.py'))
            r = R.evaluate_dirs(gd, pd)
            apv, mota = r['ap'], r['mota']
        ref = time.perf_counter() - t0
        print(f'{label}: {ref:8.3f} s')
        print(f'speed-up: {ref / ours:.1f}x')
        print(f'max |diff| per-joint AP: {np.nanmax(np.abs(apv - our_ap)):.2e}, '
              f'MOTA: {np.nanmax(np.abs(mota - our_mota)):.2e}')
        print(F.format_table({k: res[k] for k in ('AP', 'MOTA', 'MOTP', 'Precision', 'Recall')}))


if __name__ == '__main__':
    main()
