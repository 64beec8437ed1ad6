#!/usr/bin/env python
"""Track the same detected poses with several trackers and score each: one table.

    python tools/analysis_tools/compare_trackers.py DETS_DIR GT_DIR TRACKER_CFG [TRACKER_CFG ...]
        [--names ...] [--out table.json] [--work-dir DIR] [--drop-short-tracks] [--strict]

DETS_DIR: PoseTrack18 files of detected poses, one per video (``tools/track.py``'s input, e.g.
``data/synthetic_posetrack18/detections/val``); GT_DIR: their ground truth
(``annotations/val``). Every tracker config is run as ``tools/track.py`` runs it (the same
``track_folder``), its output written to ``WORK_DIR/<name>/`` and scored as
``tools/eval_posetrack.py`` scores it. Printed: MOTA, identity switches (summed over poseval's 15
joints), AP, HOTA, AssA, and the tracking time per frame; ``--out`` gets the same as JSON.
Bad input ends with a one-line error and exit code 2.
"""
import argparse
import json
import os
import os.path as osp
import sys
import tempfile
import time


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('dets_dir')
    p.add_argument('gt_dir')
    p.add_argument('trackers', nargs='+', help='tracker config files')
    p.add_argument('--names', nargs='+', help='row names (default: the config file names)')
    p.add_argument('--out', help='write the table as JSON')
    p.add_argument('--work-dir', help='tracked files go to WORK_DIR/<name>/ (default: a '
                   'temporary folder)')
    p.add_argument('--drop-short-tracks', action='store_true',
                   help="drop the tracks shorter than each tracker's min_track_length")
    p.add_argument('--strict', action='store_true', help='corrected MOTA counting')
    p.add_argument('--image-root', help="the folder the images' file_name are relative to "
                   "(for trackers that read the frames: camera_motion source='image')")
    args = p.parse_args(argv)
    names = args.names or [osp.splitext(osp.basename(t))[0] for t in args.trackers]
    if len(names) != len(args.trackers):
        print(f'error: {len(names)} names for {len(args.trackers)} trackers', file=sys.stderr)
        return 2
    from mmpose_track.apis.tracking import track_folder
    from mmpose_track.evaluation.functional import (PoseTrackFormatError,
                                                    evaluate_posetrack_dirs)
    from mmpose_track.tracking import build_tracker
    work = args.work_dir or tempfile.mkdtemp(prefix='compare_trackers_')
    rows = []
    try:
        for name, cfg in zip(names, args.trackers):
            tracker = build_tracker(cfg)
            out = osp.join(work, name)
            t0 = time.perf_counter()
            done = track_folder(args.dets_dir, out, tracker, drop_short=args.drop_short_tracks,
                                image_root=args.image_root)
            dt = time.perf_counter() - t0
            res = evaluate_posetrack_dirs(args.gt_dir, out, strict=args.strict)
            frames = res['settings']['num_frames_evaluated'] or 1
            rows.append(dict(name=name, config=cfg, MOTA=res['MOTA']['Total'],
                             IDSW=int(sum(res['counts']['num_switches'][:15])),
                             AP=res['AP']['Total'], HOTA=res['HOTA']['Total'],
                             AssA=res['AssA']['Total'], videos=done['videos'],
                             ms_per_frame=1e3 * dt / frames))
    except (OSError, ValueError, KeyError, TypeError, PoseTrackFormatError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    print(f'{"tracker":28s} {"MOTA":>7s} {"IDSW":>6s} {"AP":>6s} {"HOTA":>6s} {"AssA":>6s} '
          f'{"ms/frame":>8s}')
    for r in rows:
        print(f'{r["name"]:28s} {r["MOTA"]:7.2f} {r["IDSW"]:6d} {r["AP"]:6.2f} {r["HOTA"]:6.2f} '
              f'{r["AssA"]:6.2f} {r["ms_per_frame"]:8.2f}')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
