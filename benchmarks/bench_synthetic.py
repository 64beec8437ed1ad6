#!/usr/bin/env python
"""Time to generate the embedded default synthetic PoseTrack18 set (12 videos, 320 x 240).

    python benchmarks/bench_synthetic.py [--repeats 3] [--seed 0]

Writes the set into temporary folders and reports the best and median wall time of
:func:`mmpose_track.datasets.synthetic.generate_synthetic_posetrack18` (the tiny configs generate
it on first use, so it should stay at a few seconds).
"""
import argparse
import statistics
import tempfile
import time

from mmpose_track.datasets.synthetic import generate_synthetic_posetrack18


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    times = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            summary = generate_synthetic_posetrack18(tmp + '/set', seed=args.seed)
            times.append(time.perf_counter() - start)
    frames = sum(s['frames'] for s in summary['splits'].values())
    print(f'default synthetic set ({frames} frames): best {min(times):.2f} s, '
          f'median {statistics.median(times):.2f} s over {args.repeats} runs')


if __name__ == '__main__':
    main()
