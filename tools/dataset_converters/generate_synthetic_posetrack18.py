"""Write the deterministic synthetic PoseTrack18 dataset (the embedded default data set).

Example (from the repository root)::

    python tools/dataset_converters/generate_synthetic_posetrack18.py \
        --out data/synthetic_posetrack18
    # the hard val split (fast back-and-forth pans and zooms, 3 cuts per shot-cut video,
    # crowds with crossing pairs, people dropping out of the detections for 1..4 frames)
    python tools/dataset_converters/generate_synthetic_posetrack18.py --preset hard \
        --out data/synthetic_posetrack18_hard

Options left out take the preset's values (``--preset default``: the embedded default set;
``--preset hard``: ``mmpose_track.datasets.synthetic.HARD_OPTIONS``, val split only).

Needs numpy and OpenCV, not torch: :mod:`mmpose_track.datasets.synthetic` imports without the
model stack (``import mmpose_track`` is light).
"""
import argparse
import json
import sys
import time

from mmpose_track.datasets.synthetic import PRESETS, generate_synthetic_posetrack18

#: Default output folder of each preset.
PRESET_OUT = {'default': 'data/synthetic_posetrack18', 'hard': 'data/synthetic_posetrack18_hard'}

#: Command-line flag -> option of ``generate_synthetic_posetrack18`` (None: the preset's value).
_FLAGS = {
    'seed': 'seed', 'videos': 'num_videos', 'val_videos': 'num_val_videos',
    'frames': 'num_frames', 'length_jitter': 'length_jitter', 'people': 'max_people',
    'width': 'width', 'height': 'height', 'splits': 'splits', 'label_every': 'label_every',
    'dense_frames': 'dense_frames', 'camera_strength': 'camera_strength',
    'shot_cuts': 'shot_cuts', 'crossing_pairs': 'crossing_pairs', 'det_dropout': 'det_dropout',
    'det_dropout_len': 'det_dropout_len'
}


def parse_args() -> argparse.Namespace:
    """Command-line options (left out: the preset's values)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--preset', choices=sorted(PRESETS), default='default',
                        help='option set: the embedded default set, or the hard val split')
    parser.add_argument('--out', help='output folder (default: data/synthetic_posetrack18, '
                        'data/synthetic_posetrack18_hard for --preset hard)')
    parser.add_argument('--seed', type=int, help='default 0')
    parser.add_argument('--videos', type=int, help='videos per split except val (default 8)')
    parser.add_argument('--val-videos', type=int, help='videos of the val split (default 4)')
    parser.add_argument('--frames', type=int, help='frames per video, at most (default 30)')
    parser.add_argument('--length-jitter', type=float,
                        help='videos are up to this fraction of --frames shorter (default 0.2)')
    parser.add_argument('--people', type=int,
                        help='people per video, at most (default 5; hard: 10)')
    parser.add_argument('--width', type=int, help='default 320')
    parser.add_argument('--height', type=int, help='default 240')
    parser.add_argument('--splits', nargs='+', help='default train val (hard: val)')
    parser.add_argument('--label-every', type=int,
                        help='outside the dense block, label every n-th frame (default 4)')
    parser.add_argument('--dense-frames', type=int,
                        help='length of the fully labeled middle block of each video (default 20)')
    parser.add_argument('--camera-strength', type=float,
                        help='pans and zooms sweep back and forth this many times, as many '
                        'times as fast (default 1; hard: 5)')
    parser.add_argument('--shot-cuts', type=int,
                        help='cuts per shot-cut video (default 1; hard: 3)')
    parser.add_argument('--crossing-pairs', type=int,
                        help='pairs of people crossing at different depths (default 1; hard: 3)')
    parser.add_argument('--det-dropout', type=float,
                        help='per person and frame, probability of dropping out of the '
                        'detections (default 0; hard: 0.04)')
    parser.add_argument('--det-dropout-len', type=int,
                        help='a dropout lasts 1..this many frames (default 3; hard: 4)')
    parser.add_argument('--write-video', action='store_true', help='also write one mp4 per video')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an earlier synthetic dataset in --out')
    return parser.parse_args()


def main() -> None:
    """Generate the dataset and print its summary and the time taken."""
    args = parse_args()
    options = {opt: getattr(args, flag) for flag, opt in _FLAGS.items()
               if getattr(args, flag) is not None}
    if args.write_video:
        options['write_video'] = True
    start = time.perf_counter()
    try:
        summary = generate_synthetic_posetrack18(
            args.out or PRESET_OUT[args.preset], overwrite=args.overwrite, preset=args.preset,
            **options)
    except (ValueError, FileExistsError) as err:
        sys.exit(f'error: {err}')
    summary['seconds'] = round(time.perf_counter() - start, 2)
    print(json.dumps(summary, indent=2))


if __name__ == '__main__':
    main()
