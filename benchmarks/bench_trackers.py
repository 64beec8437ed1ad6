#!/usr/bin/env python
"""Per-frame latency of every pose tracker at N = 6, 20, 50, 100 people (CPU, one core).

    python benchmarks/bench_trackers.py [--frames 1000] [--sizes 6 20 50 100] [--cores 0]

Synthetic scene: N people (COCO-17 poses, 80 x 200 px boxes) spread over a 1920 x 1080 frame
(the frame grows with N so that density stays realistic: ~6 people per 1920 x 1080 at N = 6,
a crowded 4K-like canvas at N = 100), walking with joint noise; features the trackers read
(128-D embeddings, 2-D TIE, 16-D keypoint features) are passed where used. Reported: median
and 90th percentile of ``tracker.update`` wall time over ``--frames`` frames after a warm-up,
the process pinned to one core (``os.sched_setaffinity``) and BLAS limited to one thread.
"""
import argparse
import os

for _v in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_v, '1')

import os.path as osp  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import types  # noqa: E402

import numpy as np  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
try:
    import mmpose_track.tracking as tracking  # noqa: E402
except ImportError:  # stack not installed: the tracking subpackage alone
    for _n in [n for n in sys.modules if n.startswith('mmpose_track')]:
        del sys.modules[_n]
    _pkg = types.ModuleType('mmpose_track')
    _pkg.__path__ = [osp.join(ROOT, 'mmpose_track')]
    sys.modules['mmpose_track'] = _pkg
    import mmpose_track.tracking as tracking  # noqa: E402

from mmengine.config import Config  # noqa: E402

TRACKERS = ['oks_greedy', 'oks_hungarian', 'iou_hungarian', 'iou_appearance', 'st_embed',
            'keypoint_matching']
FEATURES = {
    'iou_appearance': ('embeddings', ),
    'st_embed': ('embeddings', 'tie'),
    'keypoint_matching': (),
}


def make_video(n: int, frames: int, seed: int = 0):
    rng = np.random.default_rng(seed)
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
        perm = rng.permutation(n)  # detection order is arbitrary
        out.append((k[perm], boxes[perm], {key: v[perm] for key, v in feats.items()}))
    return out


def bench(name: str, video, warmup: int = 50):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'trackers', name + '.py'))
    tracker = tracking.build_tracker(cfg['tracker'])
    keys = FEATURES.get(name, ())
    times = []
    for f, (k, b, feats) in enumerate(video):
        kw = {key: feats[key] for key in keys}
        t0 = time.perf_counter()
        tracker.update(k, b, f, **kw)
        times.append(time.perf_counter() - t0)
    t = np.asarray(times[warmup:]) * 1e6
    return float(np.median(t)), float(np.percentile(t, 90)), tracker.num_tracks


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--frames', type=int, default=1000)
    p.add_argument('--sizes', type=int, nargs='+', default=[6, 20, 50, 100])
    p.add_argument('--trackers', nargs='+', default=TRACKERS)
    p.add_argument('--cores', type=int, nargs='*', default=[0],
                   help='CPU cores to pin to (default: core 0); empty: no pinning')
    args = p.parse_args()
    if args.cores and hasattr(os, 'sched_setaffinity'):
        os.sched_setaffinity(0, set(args.cores))
    print(f'numpy {np.__version__}, {args.frames} frames per cell (median / p90 of update(), '
          f'us per frame), pinned to cores {args.cores}')
    videos = {n: make_video(n, args.frames + 50) for n in args.sizes}
    head = f"| {'tracker':<18} | " + ' | '.join(f'N={n:<3} median / p90' for n in args.sizes) + ' |'
    print(head)
    print('|' + '-' * 20 + '|' + '|'.join('-' * 22 for _ in args.sizes) + '|')
    for name in args.trackers:
        cells = []
        for n in args.sizes:
            med, p90, ntr = bench(name, videos[n])
            cells.append(f'{med:8.1f} / {p90:8.1f}  ')
        print(f'| {name:<18} | ' + ' | '.join(cells) + ' |', flush=True)


if __name__ == '__main__':
    main()
