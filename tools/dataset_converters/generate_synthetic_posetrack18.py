"""Write the deterministic synthetic PoseTrack18 dataset (the embedded default data set).

Example (from the repository root)::

    python tools/dataset_converters/generate_synthetic_posetrack18.py \
        --out data/synthetic_posetrack18

Needs numpy and OpenCV, not torch: :mod:`mmpose_track.datasets.synthetic` imports without the
model stack (``import mmpose_track`` is light).
"""
import argparse
import json
import sys
import time

from mmpose_track.datasets.synthetic import generate_synthetic_posetrack18


def parse_args() -> argparse.Namespace:
    """Command-line options (defaults: the embedded default set)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='data/synthetic_posetrack18', help='output folder')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--videos', type=int, default=8, help='videos per split except val')
    parser.add_argument('--val-videos', type=int, default=4, help='videos of the val split')
    parser.add_argument('--frames', type=int, default=30, help='frames per video (at most)')
    parser.add_argument('--length-jitter', type=float, default=0.2,
                        help='videos are up to this fraction of --frames shorter')
    parser.add_argument('--people', type=int, default=5, help='people per video (at most)')
    parser.add_argument('--width', type=int, default=320)
    parser.add_argument('--height', type=int, default=240)
    parser.add_argument('--splits', nargs='+', default=['train', 'val'])
    parser.add_argument('--label-every', type=int, default=4,
                        help='outside the dense block, label every n-th frame')
    parser.add_argument('--dense-frames', type=int, default=20,
                        help='length of the fully labeled middle block of each video')
    parser.add_argument('--write-video', action='store_true', help='also write one mp4 per video')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an earlier synthetic dataset in --out')
    return parser.parse_args()


def main() -> None:
    """Generate the dataset and print its summary and the time taken."""
    args = parse_args()
    start = time.perf_counter()
    try:
        summary = generate_synthetic_posetrack18(
            args.out, seed=args.seed, num_videos=args.videos, num_frames=args.frames,
            max_people=args.people, width=args.width, height=args.height, splits=args.splits,
            num_val_videos=args.val_videos, overwrite=args.overwrite,
            length_jitter=args.length_jitter, label_every=args.label_every,
            dense_frames=args.dense_frames, write_video=args.write_video)
    except (ValueError, FileExistsError) as err:
        sys.exit(f'error: {err}')
    summary['seconds'] = round(time.perf_counter() - start, 2)
    print(json.dumps(summary, indent=2))


if __name__ == '__main__':
    main()
