#!/usr/bin/env python
"""Fit per-joint score thresholds that maximise MOTA on tracked predictions (clip tracking,
Wang et al. 2020, Sec. 4.1), for any method.

    python tools/analysis_tools/fit_joint_thresholds.py GT_DIR PRED_DIR --out thresholds.json
        [--grid 0 0.05 ... 0.95] [--strict]

GT_DIR / PRED_DIR: PoseTrack18 files, one per video, as ``tools/eval_posetrack.py`` reads them;
the predictions must be written without a score threshold (``PoseTrackMetric(score_thr=None,
out_dir=...)``) on videos held out of training. The output JSON holds ``thresholds`` (17,
PoseTrack18 COCO order) that ``PoseTrackMetric(score_thr='thresholds.json')`` applies, the MOTA
table over the grid and the MOTA at the fitted thresholds. Bad input ends with a one-line error
and exit code 2.
"""
import argparse
import json
import math
import sys

from mmpose_track.evaluation.functional import (PoseTrackFormatError, fit_joint_thresholds,
                                                load_gt_pred_dirs)


def _clean(obj):
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return None if isinstance(obj, float) and math.isnan(obj) else obj


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('gt_dir', help='ground-truth PoseTrack18 files of the held-out videos')
    p.add_argument('pred_dir', help='their tracked predictions, written without a threshold')
    p.add_argument('--out', required=True, help='thresholds JSON to write')
    p.add_argument('--grid', type=float, nargs='+', help='thresholds to try (default 0..0.95)')
    p.add_argument('--strict', action='store_true', help='corrected MOTA counting')
    args = p.parse_args(argv)
    try:
        gts, prs = load_gt_pred_dirs(args.gt_dir, args.pred_dir)
        res = fit_joint_thresholds(gts, prs, grid=args.grid, strict=args.strict)
    except (OSError, ValueError, PoseTrackFormatError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    with open(args.out, 'w') as f:
        json.dump(_clean(res), f, indent=1)
    print('joint      threshold  MOTA')
    for name, thr, mota in zip(res['joints'], res['poseval_thresholds'], res['mota_fitted']):
        print(f'{name:10s} {thr:9.2f}  {mota:6.2f}')
    print(f'total MOTA at the fitted thresholds: {res["mota_fitted_total"]:.2f}; '
          f'written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
