#!/usr/bin/env python
"""ST-Embed target encoding time for one 512x512 sample on one core (issue 10 budget: 20 ms).

    python benchmarks/bench_st_embed_encode.py [--people 1 6 20] [--repeats 200] [--data DIR]

For each number of people N, builds a frame of N real PoseTrack18 / COCO poses (from
``--data``, default ``../shared/data``; random poses if absent) at random places and sizes in a
512x512 input, and a second frame with the same tracks moved a little, then times:

- ``encode``: :meth:`SpatialEmbedding.encode` (heatmaps 17x128x128, AE indices, SVF, centres,
  ordinal keys) of one frame;
- ``temporal``: :meth:`SpatialEmbedding.encode_temporal` (forward + backward TVF) of the pair;
- ``pair total``: two ``encode`` + one ``encode_temporal`` (what a TemporalNet sample costs);
- ``MMPose AE``: MMPose's ``AssociativeEmbedding.encode`` (heatmaps + indices only, loops over
  people x joints) on the same frame, for reference.

The process is pinned to one CPU and numpy / torch to one thread. Reports median and p95 in ms.
"""
import os

for _v in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS'):
    os.environ.setdefault(_v, '1')

import argparse  # noqa: E402
import json  # noqa: E402
import os.path as osp  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmpose.codecs import AssociativeEmbedding  # noqa: E402

from mmpose_track.codecs import SpatialEmbedding  # noqa: E402

K = 17
BUDGET_MS = 20.0


def _real_poses(data: str) -> list:
    """Normalised real poses (x, y in [0, 1] of the person's box, visibility)."""
    poses = []
    for path, drop_eyes in ((osp.join(data, 'posetrack18', 'annotations',
                                      'test_posetrack18_val.json'), False),
                            (osp.join(data, 'coco', 'test_coco.json'), True)):
        if not osp.exists(path):
            continue
        with open(path) as f:
            anns = json.load(f)['annotations']
        for a in anns:
            kp = np.array(a['keypoints'], float).reshape(K, 3)
            if drop_eyes:  # COCO -> PoseTrack18 layout: slots 1 / 2 are not the eyes
                kp[1:3] = 0
            vis = kp[:, 2] > 0
            if vis.sum() < 2:
                continue
            lo, hi = kp[vis, :2].min(0), kp[vis, :2].max(0)
            kp[:, :2] = (kp[:, :2] - lo) / np.maximum(hi - lo, 1)
            poses.append(kp)
    return poses


def _frame(rng, poses, n, size=512):
    kpts = np.zeros((n, K, 2))
    vis = np.zeros((n, K), np.float32)
    for i in range(n):
        if poses:
            p = poses[rng.integers(len(poses))]
            norm, v = p[:, :2], p[:, 2] > 0
        else:
            norm, v = rng.uniform(0, 1, (K, 2)), rng.uniform(size=K) > 0.2
        h = rng.uniform(60, 300)
        origin = rng.uniform(-0.1 * size, size - 0.5 * h, 2)
        kpts[i] = origin + norm * [0.5 * h, h]
        vis[i] = v
    return kpts, vis


def _time(fn, repeats):
    fn()  # warm-up
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1e3)
    return np.median(out), np.percentile(out, 95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--people', type=int, nargs='+', default=[1, 6, 20])
    parser.add_argument('--repeats', type=int, default=200)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--data', default=osp.join(osp.dirname(osp.dirname(
        osp.abspath(__file__))), '..', 'shared', 'data'))
    args = parser.parse_args()
    if hasattr(os, 'sched_setaffinity'):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    torch.set_num_threads(1)

    codec = SpatialEmbedding(input_size=(512, 512), heatmap_size=(128, 128), sigma=2)
    ae = AssociativeEmbedding(input_size=(512, 512), heatmap_size=(128, 128), sigma=2)
    poses = _real_poses(args.data)
    rng = np.random.default_rng(args.seed)
    print(f'SpatialEmbedding targets, 512x512 input, 17x128x128 heatmaps, one core, '
          f'{args.repeats} repeats, {len(poses)} real poses '
          f'({"random poses" if not poses else "PoseTrack18 + COCO"})')
    print(f'{"people":>6} | {"encode":>15} | {"temporal":>15} | {"pair total":>15} | '
          f'{"MMPose AE":>15} | budget {BUDGET_MS:.0f} ms')
    print(f'{"":>6} | {"median / p95 ms":>15} | {"median / p95 ms":>15} | '
          f'{"median / p95 ms":>15} | {"median / p95 ms":>15} |')
    worst = 0.
    for n in args.people:
        kp, vis = _frame(rng, poses, n)
        kp2 = kp + rng.uniform(-8, 8, (n, 1, 2))
        ids = np.arange(n)
        enc = _time(lambda: codec.encode(kp, vis), args.repeats)
        tmp = _time(lambda: codec.encode_temporal(kp2, vis, ids, kp, vis, ids), args.repeats)

        def pair():
            codec.encode(kp, vis)
            codec.encode(kp2, vis)
            codec.encode_temporal(kp2, vis, ids, kp, vis, ids)

        tot = _time(pair, args.repeats)
        ref = _time(lambda: ae.encode(kp, vis), max(args.repeats // 4, 5))
        worst = max(worst, enc[1] + tmp[1])
        print(f'{n:>6} | {enc[0]:6.2f} / {enc[1]:6.2f} | {tmp[0]:6.2f} / {tmp[1]:6.2f} | '
              f'{tot[0]:6.2f} / {tot[1]:6.2f} | {ref[0]:6.2f} / {ref[1]:6.2f} |')
    verdict = 'within' if worst <= BUDGET_MS else 'OVER'
    print(f'worst p95 of one sample (encode + TVF of its pair): {worst:.2f} ms, {verdict} the '
          f'{BUDGET_MS:.0f} ms budget')


if __name__ == '__main__':
    main()
