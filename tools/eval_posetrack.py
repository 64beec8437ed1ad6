#!/usr/bin/env python
"""PoseTrack evaluation: AP, MOTA (+MOTP, precision, recall) and keypoint HOTA per joint group.

    python tools/eval_posetrack.py GT_DIR PRED_DIR --out METRICS.json [--strict]

GT_DIR holds one PoseTrack18 JSON per video, PRED_DIR a prediction file of the same name for each
(frames paired by position). Numbers equal the official evaluator (poseval) by default; --strict
gives corrected counting (docs/evaluation.md). Needs numpy, scipy and shapely only: it imports
``mmpose_track.evaluation.functional``, which imports neither torch nor mmengine/mmpose.
When the prediction files carry person ``bbox``es, the person box recall (IoU 0.5, Wang et al.
2020 Table 9) is printed and written as ``BoxRecall`` (``--no-box-recall`` skips it).
Bad input (missing or unreadable file, malformed JSON, a bad field) ends with a one-line error
naming the file or video, the frame and the field, and exit code 2.
"""
import argparse
import json
import math
import sys

from mmpose_track.evaluation.functional import (PoseTrackFormatError, box_recall_dirs,
                                                evaluate_posetrack_dirs, format_table)


def _clean(obj):
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and math.isnan(obj):
        return None  # JSON has no NaN
    return obj


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('gt_dir', help='folder of ground-truth PoseTrack18 files, one per video')
    p.add_argument('pred_dir', help='folder of prediction files named as the ground truth')
    p.add_argument('--out', required=True, help='metrics JSON to write (percent)')
    p.add_argument('--strict', action='store_true',
                   help='corrected counting instead of the official quirks')
    p.add_argument('--missing', choices=['error', 'empty'], default='error',
                   help='a missing prediction file: error (default, as poseval) or empty video')
    p.add_argument('--no-hota', action='store_true', help='skip keypoint HOTA')
    p.add_argument('--no-box-recall', action='store_true',
                   help='skip the person box recall (computed when predictions carry bbox)')
    args = p.parse_args(argv)
    try:
        res = evaluate_posetrack_dirs(args.gt_dir, args.pred_dir, strict=args.strict,
                                      missing=args.missing, hota=not args.no_hota)
        boxes = None if args.no_box_recall else box_recall_dirs(args.gt_dir, args.pred_dir)
    except (PoseTrackFormatError, OSError) as e:  # OSError: missing / unreadable files
        print(f'error: {e}', file=sys.stderr)
        return 2
    print(format_table(res))
    if boxes is not None:
        res['BoxRecall'] = boxes['recall']
        print(f'Person box recall (IoU 0.5): {boxes["recall"]:.2f}% ({boxes["num_recalled"]} of '
              f'{boxes["num_gt"]} ground-truth boxes of the labeled frames)')
    with open(args.out, 'w') as f:
        json.dump(_clean(res), f, indent=1)
    print(f'metrics written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
