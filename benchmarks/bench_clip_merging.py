#!/usr/bin/env python
"""Cost of clip tracking's video pipeline per frame (Sec. 3.2-3.3): tracklet sewing and pose
merging of one video, ms per frame.

    python benchmarks/bench_clip_merging.py [--people 6] [--clip-len 9] [--steps 1 2 4 8]
        [--frames 60] [--cores 0]

Scene: ``--people`` walkers (17 joints, pixel noise of 2 px on every hypothesis); one tube per
person and keyframe, keyframes every ``S`` frames, ``T = --clip-len`` frames per tube, so a person
has up to ``T / S`` hypotheses per joint and frame (9 at S = 1, the issue's setting). Rows:
:func:`track_video_from_tubes` with ``merge='spatial_temporal'`` (Sec. 3.3) and ``'baseline'``,
and :func:`merge_clip_tracklets` alone; the spatial-temporal merge's share is their difference.
One thread, the process pinned to ``--cores``; the best of 3 runs per cell.
"""
import argparse
import os

for _v in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_v, '1')

import os.path as osp  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmpose_track.tracking import merge_clip_tracklets, track_video_from_tubes  # noqa: E402


def make_tubes(people: int, clip_len: int, step: int, frames: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    base = rng.uniform(-1, 1, (people, 17, 2)) * [40, 100]
    start = np.stack([np.linspace(100, 100 + 250 * (people - 1), people),
                      np.full(people, 300.0)], 1)
    vel = rng.normal(0, 3, (people, 2))
    fids, kpts, keys = [], [], []
    for key in range(0, frames, step):
        fr = np.arange(max(0, key - clip_len // 2), min(frames, key + clip_len // 2 + 1))
        for p in range(people):
            xy = base[p] + start[p] + vel[p] * fr[:, None, None]
            xy = xy + rng.normal(0, 2.0, xy.shape)
            k = np.concatenate([xy, rng.uniform(0.3, 1.0, xy.shape[:2] + (1, ))], -1)
            fids.append(fr)
            kpts.append(k)
            keys.append(key)
    return fids, kpts, keys


def best_of(fn, reps=3):
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--people', type=int, default=6)
    p.add_argument('--clip-len', type=int, default=9)
    p.add_argument('--steps', type=int, nargs='+', default=[1, 2, 4, 8])
    p.add_argument('--frames', type=int, default=60)
    p.add_argument('--cores', type=int, nargs='*', default=[0])
    args = p.parse_args()
    if args.cores and hasattr(os, 'sched_setaffinity'):
        os.sched_setaffinity(0, set(args.cores))
    load = os.getloadavg() if hasattr(os, 'getloadavg') else (float('nan'), ) * 3
    print(f'load average {load[0]:.2f}; {args.people} people, T = {args.clip_len}, '
          f'{args.frames} frames; ms per frame (best of 3)')
    print('| S | hypotheses / joint / frame | spatial_temporal | baseline | sewing only |')
    print('|---|---|---|---|---|')
    for s in args.steps:
        fids, kpts, keys = make_tubes(args.people, args.clip_len, s, args.frames)
        hyps = len(fids) * args.clip_len / args.people / args.frames
        st = best_of(lambda: track_video_from_tubes(fids, kpts, keys,
                                                    merge='spatial_temporal'))
        bl = best_of(lambda: track_video_from_tubes(fids, kpts, keys, merge='baseline'))
        sew = best_of(lambda: merge_clip_tracklets(fids, kpts, keys))
        out = track_video_from_tubes(fids, kpts, keys, merge='baseline')
        tracks = len({t for fr in out for t in fr['track_ids'].tolist()})
        f = 1e3 / args.frames
        print(f'| {s} | {hyps:.1f} | {st * f:.2f} | {bl * f:.2f} | {sew * f:.2f} | '
              f'({tracks} tracks)', flush=True)


if __name__ == '__main__':
    main()
