#!/usr/bin/env python
"""Track detected poses offline: one PoseTrack18 JSON per video in, the same with track ids out.

    python tools/track.py DETS_DIR [--tracker configs/trackers/oks_hungarian.py] --out PRED_DIR

Without ``--tracker``: ``configs/trackers/oks_kalman_cmc.py`` (``DEFAULT_TRACKER``), OKS +
Hungarian with MMDet's Kalman motion and camera-motion compensation from the poses, the best
detection-only tracker on the synthetic default and hard splits; ``configs/trackers/`` holds
the others.

``DETS_DIR`` holds one PoseTrack18 file per video (``images``, ``annotations`` with
``keypoints`` ``[x, y, score] * K``, ``bbox`` ``[x, y, w, h]``, ``score``, ``image_id``, ``id``;
no track ids). Every ``*.json`` file gets a file of the same name in ``PRED_DIR`` with the same
content plus a ``track_id`` on every annotation: ``>= 0``, unique within its frame, ``< 10000``
(ids are renumbered ``0, 1, ...`` per video by first appearance; only a video with more than 10000
tracks reuses the id of a track that has ended). Every annotation and its ``id`` is kept (unless
``--drop-short-tracks``).

Frames are the file's ``images`` in frame-index order (the number that ends the file name, else
the position in the file: the rule datasets, renderer and metric share); the tracker is reset per
file and sees the real frame index, so unlabelled gaps age the tracks.

Bad input (an empty or truncated file, malformed keypoints, a non-numeric or NaN score, an
``image_id`` that is no image of the file, ...) stops the command before anything is written,
with one line naming the file, the id and the field, and exit status 2. The library functions:
:mod:`mmpose_track.apis.tracking`.
"""
import argparse
import sys


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('dets_dir', help='folder of PoseTrack18 JSON files with detected poses')
    p.add_argument('--tracker', help='tracker config (defines `tracker = dict()`; default: '
                   'configs/trackers/oks_kalman_cmc.py)')
    p.add_argument('--out', required=True, help='output folder for the tracked files')
    p.add_argument('--features', nargs='*', default=[],
                   help='annotation keys passed to the tracker as per-person features '
                   '(e.g. embeddings); every annotation must carry them')
    p.add_argument('--joint-score-thr', type=float, default=None,
                   help='zero the score of joints below it in the output (default: the '
                   "tracker's joint_score_thr; 0 = off)")
    p.add_argument('--image-root',
                   help="the folder the images' file_name are relative to: trackers that read "
                   "the frames (camera_motion source='image') get them")
    p.add_argument('--drop-short-tracks', action='store_true',
                   help="remove annotations of tracks shorter than the tracker's "
                   'min_track_length (breaks "every annotation kept")')
    return p.parse_args(argv)


def _fail(err: BaseException) -> int:
    from mmpose_track.utils import fail_in_one_line
    return fail_in_one_line('track.py', err)


def main(argv=None) -> int:
    """Run the command; returns the exit status (2 with a one-line message on bad input)."""
    args = parse_args(argv)
    from mmpose_track.apis.tracking import track_folder
    from mmpose_track.tracking import build_tracker, default_tracker_config
    try:
        if args.tracker is None:
            args.tracker = default_tracker_config()
        tracker = build_tracker(args.tracker)
    except (OSError, ValueError, KeyError, TypeError, SyntaxError) as e:
        return _fail(type(e)(f'tracker config {args.tracker}: {e.args[0] if e.args else e}'))
    try:
        summary = track_folder(args.dets_dir, args.out, tracker, args.features,
                               args.joint_score_thr, args.drop_short_tracks,
                               image_root=args.image_root)
    except (OSError, ValueError) as e:  # PoseTrackFormatError is a ValueError
        return _fail(e)
    print(f'tracked {summary["videos"]} videos, {summary["annotations"]} annotations -> '
          f'{args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
