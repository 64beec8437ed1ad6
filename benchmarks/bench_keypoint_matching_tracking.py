#!/usr/bin/env python
"""Per-frame tracking cost of TKMRNet's learned keypoint similarity (Eq. 5) vs the OKS stand-in.

    python benchmarks/bench_keypoint_matching_tracking.py [--frames 60] [--sizes 6 20 50]
        [--cores 0] [--devices cpu cuda]

Scene: :func:`bench_trackers.make_video` (N walking COCO-17 people, detection order shuffled per
frame). Each person's keypoint features ``(17, 256)`` are a fixed random projection of the
scene's 128-D identity embedding (so they follow the person through the shuffles, with the scene's
noise). The learned ``G_k`` are the classifiers of a full-size :class:`KeypointMatchingHead`
(``C = 256`` features, ``K = 17`` classifiers 512-256-256-2; random weights: the cost does not
depend on them; its conv blocks are cut to one since tracking never runs them).

Rows (median / p90 of ``tracker.update`` per frame, ms; same poses and boxes for all):

* ``oks``: ``KeypointMatchingTracker`` with the default per-keypoint OKS ``G_k``;
* ``tkm <dev>``: the same tracker with ``keypoint_similarity=head.pairwise_similarity`` per frame
  and ``keypoint_features`` as tensors on ``<dev>`` (what the model puts in ``pred_instances``),
  the head on ``<dev>``; i.e. what the tracking loop pays per frame after the network;
* ``tkm gated <dev>`` (only when the tracker takes a per-frame ``keypoint_pair_similarity``,
  ``(P, K, D) x (P, K, D) -> (P, K)`` on aligned pairs): the classifiers run on the gated pairs;
* ``G dense <dev>`` / ``G gated <dev>``: the classifier calls alone (no tracker): all ``N x N``
  pairs (what the tracker evaluates now) vs only the pairs that pass Eq. 5's ``IoU >= 0.1`` gate
  (``head.similarity`` on aligned pairs), to size a gated evaluation.

CPU rows run with one thread (torch and BLAS), the process pinned to ``--cores``; CUDA rows
synchronise before reading the clock. The first line reports the load average.
"""
import argparse
import os

for _v in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_v, '1')

import os.path as osp  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'benchmarks'))
from bench_trackers import make_video  # noqa: E402

from mmpose_track.models.heads.keypoint_matching_head import KeypointMatchingHead  # noqa: E402
from mmpose_track.tracking import bbox_iou_matrix, build_tracker  # noqa: E402

K, C = 17, 256


def keypoint_features(video, seed: int = 1):
    """``(N, K, C)`` float32 per frame: a fixed projection of each person's embedding."""
    proj = np.random.default_rng(seed).normal(0, 128 ** -0.5, (128, K * C)).astype(np.float32)
    return [(feats['embeddings'].astype(np.float32) @ proj).reshape(-1, K, C)
            for _, _, feats in video]


def _sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def _stats(times, warmup):
    t = np.asarray(times[warmup:]) * 1e3
    return float(np.median(t)), float(np.percentile(t, 90))


def pair_similarity(head):
    """Aligned pairs ``(P, K, C) x (P, K, C) -> (P, K)`` on the head's device: the head's
    ``paired_similarity`` when it has one, else :meth:`KeypointMatchingHead.similarity`."""
    fn = getattr(head, 'paired_similarity', None)
    if fn is not None:
        return fn
    p = head.fc1.weight

    @torch.no_grad()
    def fn(a, b):
        return head.similarity(torch.as_tensor(a, device=p.device, dtype=p.dtype),
                               torch.as_tensor(b, device=p.device, dtype=p.dtype))

    return fn


def supports_pairs() -> bool:
    """Whether the tracker takes the aligned-pairs ``keypoint_pair_similarity``."""
    return 'keypoint_pair_similarity' in build_tracker(
        dict(type='KeypointMatchingTracker')).feature_keys


def bench_tracker(video, kfeats, head=None, device='cpu', gated=False, warmup=5):
    """``update`` times of a KeypointMatchingTracker: OKS ``G_k`` (head None) or learned (dense,
    or on the gated pairs only)."""
    tracker = build_tracker(dict(type='KeypointMatchingTracker'))
    pair_fn = pair_similarity(head) if gated else None
    times = []
    for f, ((k, b, _), kf) in enumerate(zip(video, kfeats)):
        kw = {}
        if head is not None:
            kw = dict(keypoint_features=torch.as_tensor(kf, device=device),
                      keypoint_similarity=head.pairwise_similarity)
            if gated:
                kw['keypoint_pair_similarity'] = pair_fn
        _sync(device)
        t0 = time.perf_counter()
        tracker.update(k, b, f, **kw)
        _sync(device)
        times.append(time.perf_counter() - t0)
    return _stats(times, warmup) + (tracker.num_tracks, )


@torch.no_grad()
def bench_classifier(video, kfeats, head, device, gated: bool, warmup=5):
    """Classifier calls alone between consecutive frames: dense ``N x N`` or gated pairs."""
    times, npairs = [], []
    for f in range(1, len(video)):
        a = torch.as_tensor(kfeats[f], device=device)
        b = torch.as_tensor(kfeats[f - 1], device=device)
        ii, jj = np.nonzero(bbox_iou_matrix(video[f][1], video[f - 1][1]) >= 0.1)
        _sync(device)
        t0 = time.perf_counter()
        if gated:
            ti = torch.as_tensor(ii, device=device)
            tj = torch.as_tensor(jj, device=device)
            head.similarity(a[ti], b[tj]).cpu()
        else:
            head.pairwise_similarity(a, b).cpu()
        _sync(device)
        times.append(time.perf_counter() - t0)
        npairs.append(len(ii))
    return _stats(times, warmup) + (float(np.mean(npairs)), )


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--frames', type=int, default=60, help='timed frames per cell (+5 warm-up)')
    p.add_argument('--sizes', type=int, nargs='+', default=[6, 20, 50])
    p.add_argument('--cores', type=int, nargs='*', default=[0],
                   help='CPU cores to pin to (default: core 0); empty: no pinning')
    p.add_argument('--devices', nargs='+', default=['cpu', 'cuda'],
                   help='devices for the learned G_k (cuda skipped when unavailable)')
    args = p.parse_args()
    if args.cores and hasattr(os, 'sched_setaffinity'):
        os.sched_setaffinity(0, set(args.cores))
    torch.set_num_threads(1)
    devices = [d for d in args.devices if d == 'cpu' or torch.cuda.is_available()]
    load = os.getloadavg() if hasattr(os, 'getloadavg') else (float('nan'), ) * 3
    print(f'load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores; '
          f'torch {torch.__version__}, 1 thread, pinned to {args.cores}; devices {devices}')
    torch.manual_seed(0)
    heads = {d: KeypointMatchingHead(in_channels=C, num_keypoints=K, feat_channels=C,
                                     hidden_channels=256, num_blocks=1, num_convs=1,
                                     num_deconvs=0).eval().to(d) for d in devices}
    videos = {n: make_video(n, args.frames + 5) for n in args.sizes}
    kfeats = {n: keypoint_features(v) for n, v in videos.items()}
    print(f'{args.frames} timed frames per cell; ms per frame, median / p90')
    print(f"| {'row':<16} | " + ' | '.join(f'N={n:<3} median / p90' for n in args.sizes) + ' |')
    print('|' + '-' * 18 + '|' + '|'.join('-' * 22 for _ in args.sizes) + '|')

    def row(name, fn):
        cells = [fn(n) for n in args.sizes]
        print(f'| {name:<16} | ' + ' | '.join(f'{c[0]:8.2f} / {c[1]:8.2f}  ' for c in cells)
              + ' |', flush=True)
        return cells

    row('oks', lambda n: bench_tracker(videos[n], kfeats[n]))
    pairs = None
    for d in devices:
        row(f'tkm {d}', lambda n: bench_tracker(videos[n], kfeats[n], heads[d], d))
        if supports_pairs():
            row(f'tkm gated {d}',
                lambda n: bench_tracker(videos[n], kfeats[n], heads[d], d, gated=True))
        row(f'G dense {d}', lambda n: bench_classifier(videos[n], kfeats[n], heads[d], d, False))
        pairs = row(f'G gated {d}',
                    lambda n: bench_classifier(videos[n], kfeats[n], heads[d], d, True))
    if pairs:
        print('pairs scored: dense ' + ', '.join(f'N={n}: {n * n}' for n in args.sizes)
              + '; gated (mean) ' + ', '.join(f'N={n}: {c[2]:.1f}'
                                              for n, c in zip(args.sizes, pairs)))


if __name__ == '__main__':
    main()
