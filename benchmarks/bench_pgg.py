#!/usr/bin/env python
"""Pose-Guided Grouping vs dense GBMS over all 128 x 128 pixels: peak memory and time (CPU).

    python benchmarks/bench_pgg.py [--people 1 6 20] [--frames 3] [--iters 1] [--threads 1]
                                   [--dtype float32] [--no-dense-backward]

Frames: people poses drawn by the synthetic generator (``mmpose_track.datasets.synthetic``,
512 x 512 frames, every frame labelled, no ignore regions) written to a temporary folder; the
annotated people of a frame (PoseTrack18 rules: occluded / outside joints unlabelled) make its
heatmaps with MMPose's ``generate_gaussian_heatmaps`` (sigma 2) at 128 x 128 (stride 4). For each
people count ``n`` the first ``--frames`` frames with exactly ``n`` annotated people are used; the
generator puts at most ~15 people in view, so when fewer such frames exist a frame is the union of
the annotated people of single frames of different videos, cut to ``n`` (a crowd of overlapping
scenes). The mask is ``pose_mask(heatmaps) = max_j C_j > 0.2`` (Sec. 3.2); the embeddings are
D = 3 random channels (KE with L = 1 + 2 SIE channels; PGG's cost does not depend on the values).

Methods (the same function, :func:`pose_guided_grouping`, R = ``--iters`` iterations):

- PGG: on the mask-selected pixels (N = mask.sum());
- dense GBMS: on all 128 x 128 = 16384 pixels (an all-true mask), measured directly (its N x N
  float32 affinity is 1 GiB), once, since it does not depend on the frame.

Both in inference (``torch.no_grad``, forward) and training (forward + backward of the sum of the
outputs) mode. Peak memory = the peak of the bytes held by torch CPU tensors allocated during the
call, replayed from ``torch.profiler``'s allocation records (``profile_memory=True``) in time
order (exact for tensors; the Python process' other memory is not counted). Time = median wall
time of ``--reps`` calls without the profiler, one thread by default. The analytic ratio is
``(N / 16384)^2`` (the N x N affinity dominates both); the paper reports about 1 %
(Fig. 6a, PoseTrack val).
"""
import argparse
import collections
import json
import os.path as osp
import sys
import tempfile
import time

import numpy as np
import torch
from torch.profiler import ProfilerActivity, profile

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
from mmpose.codecs.utils import generate_gaussian_heatmaps  # noqa: E402

from mmpose_track.datasets.synthetic import generate_synthetic_posetrack18  # noqa: E402
from mmpose_track.models.utils import pose_guided_grouping, pose_mask  # noqa: E402

INPUT, HEATMAP, SIGMA, D = 512, 128, 2.0, 3


def synthetic_people(max_people: int, seed: int = 0, videos: int = 4, frames: int = 6):
    """Per frame, (P, 17, 3) keypoints [x, y, labelled] of the annotated people, grouped by
    video: {video: [frame arrays]}."""
    with tempfile.TemporaryDirectory() as tmp:
        generate_synthetic_posetrack18(
            tmp, seed=seed, num_videos=videos, num_frames=frames, length_jitter=0.0,
            max_people=max_people, width=INPUT, height=INPUT, splits=('train', ),
            label_every=1, dense_frames=frames, ignore_region_ratio=0.0, det_false_positives=0.0)
        with open(osp.join(tmp, 'annotations', 'posetrack18_train.json')) as f:
            gt = json.load(f)
    by_image = collections.defaultdict(list)
    for ann in gt['annotations']:
        by_image[ann['image_id']].append(np.asarray(ann['keypoints'], np.float32).reshape(17, 3))
    videos = collections.defaultdict(list)
    for img in sorted(gt['images'], key=lambda im: im['id']):
        if by_image[img['id']]:
            videos[img['vid_id']].append(np.stack(by_image[img['id']]))
    return videos


def frames_with(n: int, count: int):
    """``count`` keypoint arrays (n, 17, 3): exact-n synthetic frames, else unions (see top)."""
    videos = synthetic_people(max_people=min(30, max(1, int(np.ceil(n * 1.3)))), videos=8)
    exact = [f for frames in videos.values() for f in frames if len(f) == n]
    out = exact[:count]
    if len(out) < count:  # pool the people of frame t of successive videos
        big = synthetic_people(max_people=30, seed=1, videos=8)
        for t in range(min(len(v) for v in big.values())):
            pooled = np.concatenate([v[t] for v in big.values()])
            if len(pooled) >= n:
                out.append(pooled[:n])
            if len(out) == count:
                break
    return out, len(exact[:count])


def heatmap_mask(kpts: np.ndarray) -> torch.Tensor:
    xy = kpts[..., :2] * (HEATMAP / INPUT)
    heatmaps, _ = generate_gaussian_heatmaps((HEATMAP, HEATMAP), xy, kpts[..., 2] > 0, SIGMA)
    return pose_mask(torch.from_numpy(heatmaps))


def run(emb: torch.Tensor, mask: torch.Tensor, iters: int, backward: bool):
    if backward:
        e = emb.detach().requires_grad_()
        out = pose_guided_grouping(e, mask, iters)
        sum(o.float().sum() for o in out).backward()
        return e.grad
    with torch.no_grad():
        return pose_guided_grouping(emb, mask, iters)


def peak_bytes(fn) -> int:
    """Peak bytes of torch CPU tensors alive during ``fn()`` (profiler allocation replay)."""
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        out = fn()
        del out
    cur = best = 0
    for ev in sorted(prof.events(), key=lambda e: e.time_range.start):
        cur += ev.self_cpu_memory_usage
        best = max(best, cur)
    return best


def median_ms(fn, reps: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) * 1e3


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--people', type=int, nargs='+', default=[1, 6, 20])
    p.add_argument('--frames', type=int, default=3, help='frames per people count')
    p.add_argument('--iters', type=int, default=1, help='R (the paper: 1)')
    p.add_argument('--reps', type=int, default=5)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--dtype', default='float32', choices=['float32', 'bfloat16'])
    p.add_argument('--no-dense-backward', action='store_true',
                   help='skip dense forward+backward (needs ~2-3 GiB, several seconds)')
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    g = torch.Generator().manual_seed(0)
    emb = torch.randn(D, HEATMAP, HEATMAP, generator=g).to(dtype)
    full = torch.ones(HEATMAP, HEATMAP, dtype=torch.bool)
    n_all = HEATMAP * HEATMAP
    print(f'torch {torch.__version__}, {args.threads} thread(s), {args.dtype}, D = {D}, '
          f'R = {args.iters}, heatmaps {HEATMAP}x{HEATMAP} (sigma {SIGMA}), mask > 0.2')

    modes = [('inference', False), ('training', True)]
    dense = {}
    for name, bwd in modes:
        if bwd and args.no_dense_backward:
            continue
        fn = (lambda b=bwd: run(emb, full, args.iters, b))
        dense[name] = (peak_bytes(fn), median_ms(fn, max(1, min(args.reps, 3))))
        print(f'dense GBMS, {name}: N = {n_all}, peak {dense[name][0] / 2**20:.1f} MiB '
              f'(analytic N^2 x 4 B = {n_all**2 * 4 / 2**20:.0f} MiB per affinity), '
              f'{dense[name][1]:.1f} ms', flush=True)

    print()
    print('| people | frames (exact/pooled) | N mean [min-max] | mode | PGG peak MiB | PGG ms | '
          'memory ratio measured | analytic (N/16384)^2 | time ratio |')
    print('|---:|---|---|---|---:|---:|---:|---:|---:|')
    for n in args.people:
        frames, n_exact = frames_with(n, args.frames)
        masks = [heatmap_mask(k) for k in frames]
        ns = [int(m.sum()) for m in masks]
        for name, bwd in modes:
            peaks, times = [], []
            for m in masks:
                fn = (lambda m=m, b=bwd: run(emb, m, args.iters, b))
                peaks.append(peak_bytes(fn))
                times.append(median_ms(fn, args.reps))
            analytic = float(np.mean([(k / n_all) ** 2 for k in ns]))
            if name in dense:
                mem_ratio = f'{np.mean(peaks) / dense[name][0] * 100:.2f} %'
                time_ratio = f'{np.mean(times) / dense[name][1] * 100:.2f} %'
            else:
                mem_ratio = time_ratio = 'n/a'
            print(f'| {n} | {n_exact}/{len(frames) - n_exact} | {np.mean(ns):.0f} '
                  f'[{min(ns)}-{max(ns)}] | {name} | {np.mean(peaks) / 2**20:.2f} | '
                  f'{np.mean(times):.2f} | {mem_ratio} | {analytic * 100:.2f} % | {time_ratio} |',
                  flush=True)


if __name__ == '__main__':
    main()
