#!/usr/bin/env python
"""Per-frame cost of TKMRNet's temporal keypoint refinement (Sec. 3.3) at full size.

    python benchmarks/bench_keypoint_refinement.py [--frames 40] [--sizes 6 20] [--cores 0]
        [--devices cpu cuda] [--no-predict]

Full-size modules: ``K = 17`` joints, ``n = 16`` candidates, ``tau = 5``, refinement features
``C = 256`` (:class:`KeypointRefinementHead` on ResNet-152's 2048-channel C5) and matching features
``C_m = 256`` with classifiers 512-256-256-2 (:class:`KeypointMatchingHead`), random weights (the
cost does not depend on them). Scene: :func:`bench_trackers.make_video` (N walking people), each
person's per-candidate features random.

Rows (ms per frame, median / p90):

* ``refiner self`` / ``refiner context``: :meth:`DelayedKeypointRefiner.push_instances` per frame
  (the delayed online step the tracking stream runs): ``self`` (M6, ``tau = 0``: no path, no
  classifiers) and ``context`` (M7, ``tau = 5``: the Eq. 5 classifier terms of the new frame vs.
  the previous one, then path search and Eq. 6 for the frame ``tau`` behind);
* ``predict extras`` (unless ``--no-predict``): what ``TKMRNet.predict`` adds per frame with
  ``test_cfg.refine`` for N person crops of 384x288: the refinement module's three deconvolutions
  on the 12x9 C5 maps, candidates on the 96x72 heatmaps, the sub-pixel shifts and the two feature
  gathers (not the backbone, the keypoint head or the matching module, which run anyway).

CPU rows run with one thread, the process pinned to ``--cores``; CUDA rows synchronise before
reading the clock. The first line reports the load average.
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
from mmengine.structures import InstanceData  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'benchmarks'))
from bench_keypoint_matching_tracking import _stats, _sync  # noqa: E402
from bench_trackers import make_video  # noqa: E402

from mmpose_track.models.heads.keypoint_matching_head import KeypointMatchingHead  # noqa: E402
from mmpose_track.models.heads.keypoint_refinement_head import (  # noqa: E402
    DelayedKeypointRefiner, KeypointRefinementHead)
from mmpose_track.models.utils.keypoint_matching import (  # noqa: E402
    candidate_subpixel_offsets, gather_location_features, heatmap_candidates)

K, N_CAND, C, TAU, HM_W, HM_H = 17, 16, 256, 5, 72, 96


def frames_of(video, device, seed=0):
    """Per frame the ``pred_instances`` a refining TKMRNet predicts (random features)."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for kpts, boxes, _ in video:
        n = len(kpts)
        cand = torch.stack([torch.randint(0, HM_W, (n, K, N_CAND), generator=g),
                            torch.randint(0, HM_H, (n, K, N_CAND), generator=g)], -1)
        scores = torch.sort(torch.rand((n, K, N_CAND), generator=g), -1, descending=True).values
        out.append(InstanceData(
            keypoints=kpts[..., :2].astype(np.float32), keypoint_scores=kpts[..., 2],
            bboxes=boxes.astype(np.float32),
            refine_candidates=cand.to(device), refine_candidate_scores=scores.to(device),
            refine_candidate_keypoints=np.repeat(kpts[:, :, None, :2], N_CAND, 2),
            refine_features=torch.randn((n, K, N_CAND, C), generator=g).to(device),
            refine_match_features=torch.randn((n, K, N_CAND, C), generator=g).to(device)))
    return out


def bench_refiner(frames, matching, refine, tau, device, warmup=5):
    refiner = DelayedKeypointRefiner(matching, refine, tau=tau)
    times = []
    done = 0
    for fr in frames:
        _sync(device)
        t0 = time.perf_counter()
        done += len(refiner.push_instances(fr))
        _sync(device)
        times.append(time.perf_counter() - t0)
    done += len(refiner.flush())
    assert done == len(frames)
    return _stats(times, warmup)


@torch.no_grad()
def bench_predict_extras(refine, n, device, reps, warmup=3):
    c5 = torch.randn((n, 2048, HM_H // 8, HM_W // 8), device=device)
    heatmaps = torch.rand((n, K, HM_H, HM_W), device=device)
    f_maps = torch.randn((n, C, HM_H, HM_W), device=device)
    times = []
    for _ in range(reps + warmup):
        _sync(device)
        t0 = time.perf_counter()
        h_maps = refine(c5)
        cand, _ = heatmap_candidates(heatmaps, N_CAND, 5)
        candidate_subpixel_offsets(heatmaps, cand)
        refine.candidate_features(h_maps, cand)
        gather_location_features(f_maps, cand)
        _sync(device)
        times.append(time.perf_counter() - t0)
    return _stats(times, warmup)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--frames', type=int, default=40, help='timed frames per cell (+5 warm-up)')
    p.add_argument('--sizes', type=int, nargs='+', default=[6, 20])
    p.add_argument('--cores', type=int, nargs='*', default=[0],
                   help='CPU cores to pin to (default: core 0); empty: no pinning')
    p.add_argument('--devices', nargs='+', default=['cpu', 'cuda'])
    p.add_argument('--no-predict', action='store_true', help='skip the predict-extras row')
    args = p.parse_args()
    if args.cores and hasattr(os, 'sched_setaffinity'):
        os.sched_setaffinity(0, set(args.cores))
    torch.set_num_threads(1)
    devices = [d for d in args.devices if d == 'cpu' or torch.cuda.is_available()]
    load = os.getloadavg() if hasattr(os, 'getloadavg') else (float('nan'), ) * 3
    print(f'load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores; '
          f'torch {torch.__version__}, 1 thread, pinned to {args.cores}; devices {devices}')
    torch.manual_seed(0)
    videos = {n: make_video(n, args.frames + 5) for n in args.sizes}
    print(f'{args.frames} timed frames per cell; ms per frame, median / p90; K={K}, n={N_CAND}, '
          f'C=C_m={C}, tau={TAU}')
    print(f"| {'row':<22} | " + ' | '.join(f'N={n:<3} median / p90' for n in args.sizes) + ' |')
    print('|' + '-' * 24 + '|' + '|'.join('-' * 22 for _ in args.sizes) + '|')

    def row(name, fn):
        cells = [fn(n) for n in args.sizes]
        print(f'| {name:<22} | ' + ' | '.join(f'{c[0]:8.2f} / {c[1]:8.2f}  ' for c in cells)
              + ' |', flush=True)

    for d in devices:
        matching = KeypointMatchingHead(in_channels=C, num_keypoints=K, feat_channels=C,
                                        hidden_channels=256, num_blocks=1, num_convs=1,
                                        num_deconvs=0).eval().to(d)
        refine = KeypointRefinementHead(in_channels=2048, num_keypoints=K, tau=TAU,
                                        num_candidates=N_CAND).eval().to(d)
        frames = {n: frames_of(v, d) for n, v in videos.items()}
        row(f'refiner self {d}', lambda n: bench_refiner(frames[n], matching, refine, 0, d))
        row(f'refiner context {d}',
            lambda n: bench_refiner(frames[n], matching, refine, TAU, d))
        if not args.no_predict:
            row(f'predict extras {d}',
                lambda n: bench_predict_extras(refine, n, d, max(5, args.frames // 4)))


if __name__ == '__main__':
    main()
