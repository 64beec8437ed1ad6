#!/usr/bin/env python
"""Per-frame latency of every pose tracker at N = 6, 20, 50, 100 people (CPU, one core).

    python benchmarks/bench_trackers.py [--frames 1000] [--sizes 6 20 50 100] [--cores 0]

Synthetic scene: N people (COCO-17 poses, 80 x 200 px boxes) spread over a 1920 x 1080 frame
(the frame grows with N so that density stays realistic: ~6 people per 1920 x 1080 at N = 6,
a crowded 4K-like canvas at N = 100), walking with joint noise; of the features a tracker reads
(its ``feature_keys``), those the scene makes (128-D ``embeddings``, 2-D ``tie``) are passed.
Each tracker is built from its config in ``configs/trackers/``. Reported: median
and 90th percentile of ``tracker.update`` wall time over ``--frames`` frames after a warm-up,
the process pinned to one core (``os.sched_setaffinity``) and BLAS limited to one thread.
The first line gives the time a fresh process takes to import ``mmpose_track.tracking`` and build
a tracker from its config file (what ``tools/track.py`` pays before tracking), and whether that
imported torch. ``--dropout P``: every person leaves the detections for 6..10 frames (longer
than the trackers keep lost tracks) with probability P per frame, so tracks break; for the
trackers with an offline step (``stitch``) the time of ``finalize()`` is then printed against
the video's tracking time (the issue's bound: 5 %).
"""
import argparse
import os

for _v in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_v, '1')

import os.path as osp  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
import mmpose_track.tracking as tracking  # noqa: E402  (numpy + mmengine.registry, no torch)

TRACKERS = ['oks_greedy', 'oks_hungarian', 'iou_hungarian', 'iou_appearance', 'st_embed',
            'keypoint_matching']


def make_video(n: int, frames: int, seed: int = 0, dropout: float = 0.0):
    rng = np.random.default_rng(seed)
    away = np.zeros(n, np.int64)  # frames each person stays out of the detections
    scale = max(1.0, np.sqrt(n / 6.0))
    w, h = 1920 * scale, 1080 * scale
    layouts = rng.uniform(-1, 1, (n, 17, 2)) * [40, 100]
    pos = np.stack([rng.uniform(50, w - 50, n), rng.uniform(110, h - 110, n)], 1)
    vel = rng.normal(0, 2.0, (n, 2))
    emb = rng.normal(size=(n, 128))
    out = []
    for _ in range(frames):
        pos = pos + vel
        xy = layouts + pos[:, None] + rng.normal(0, 1.5, (n, 17, 2))
        k = np.concatenate([xy, rng.uniform(0.3, 1, (n, 17, 1))], -1)
        boxes = np.concatenate([pos - [40, 100], pos + [40, 100]], 1)
        feats = dict(embeddings=emb + rng.normal(0, 0.05, emb.shape),
                     tie=np.repeat((pos - vel)[:, None], 17, 1))
        leave = (away == 0) & (rng.random(n) < dropout)
        away[leave] = rng.integers(6, 11, int(leave.sum()))
        perm = rng.permutation(n)  # detection order is arbitrary
        perm = perm[away[perm] == 0]
        away = np.maximum(away - 1, 0)
        out.append((k[perm], boxes[perm], {key: v[perm] for key, v in feats.items()}))
    return out


def bench(name: str, video, warmup: int = 50):
    tracker = tracking.build_tracker(osp.join(ROOT, 'configs', 'trackers', name + '.py'))
    keys = [key for key in tracker.feature_keys if key in video[0][2]]
    times = []
    for f, (k, b, feats) in enumerate(video):
        kw = {key: feats[key] for key in keys}
        t0 = time.perf_counter()
        tracker.update(k, b, f, **kw)
        times.append(time.perf_counter() - t0)
    t = np.asarray(times[warmup:]) * 1e6
    tracker.finalize()  # warm-up (first imports)
    t0 = time.perf_counter()
    tracker.finalize()  # idempotent: the video's offline step
    finalize_s = time.perf_counter() - t0
    return (float(np.median(t)), float(np.percentile(t, 90)), tracker.num_tracks, finalize_s,
            float(np.sum(times)))


_IMPORT_PROBE = r'''
import sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
import mmpose_track.tracking as tracking
tracking.build_tracker({cfg!r})
print(time.perf_counter() - t0, 'torch' in sys.modules)
'''


def import_time(name: str = 'oks_hungarian'):
    """Seconds to import the tracking package and build a tracker, in a fresh process; whether
    torch got imported."""
    import subprocess
    cfg = osp.join(ROOT, 'configs', 'trackers', name + '.py')
    out = subprocess.run([sys.executable, '-c', _IMPORT_PROBE.format(root=ROOT, cfg=cfg)],
                         capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), out[1] == 'True'


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--frames', type=int, default=1000)
    p.add_argument('--sizes', type=int, nargs='+', default=[6, 20, 50, 100])
    p.add_argument('--trackers', nargs='+', default=TRACKERS)
    p.add_argument('--dropout', type=float, default=0.0,
                   help='per-frame probability that a person leaves for 6..10 frames')
    p.add_argument('--cores', type=int, nargs='*', default=[0],
                   help='CPU cores to pin to (default: core 0); empty: no pinning')
    args = p.parse_args()
    if args.cores and hasattr(os, 'sched_setaffinity'):
        os.sched_setaffinity(0, set(args.cores))
    secs, torch_in = min(import_time() for _ in range(3))
    print(f'import mmpose_track.tracking + build_tracker(config file): {secs:.2f} s, torch '
          f'imported: {"yes" if torch_in else "no"}')
    print(f'numpy {np.__version__}, {args.frames} frames per cell (median / p90 of update(), '
          f'us per frame), pinned to cores {args.cores}')
    videos = {n: make_video(n, args.frames + 50, dropout=args.dropout) for n in args.sizes}
    head = f"| {'tracker':<18} | " + ' | '.join(f'N={n:<3} median / p90' for n in args.sizes) + ' |'
    print(head)
    print('|' + '-' * 20 + '|' + '|'.join('-' * 22 for _ in args.sizes) + '|')
    offline = []
    for name in args.trackers:
        cells = []
        for n in args.sizes:
            med, p90, ntr, fin, total = bench(name, videos[n])
            cells.append(f'{med:8.1f} / {p90:8.1f}  ')
            if 'stitch' in name:
                offline.append(f'{name} N={n}: finalize() {fin * 1e3:.2f} ms for {ntr} '
                               f'tracklets = {100 * fin / total:.2f} % of the video\'s '
                               f'tracking time ({total * 1e3:.0f} ms)')
        print(f'| {name:<18} | ' + ' | '.join(cells) + ' |', flush=True)
    for line in offline:
        print(line)


if __name__ == '__main__':
    main()
