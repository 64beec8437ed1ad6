#!/usr/bin/env python
"""Identity switches on the crossing pairs of the synthetic PoseTrack18 set, per tracker.

    python tools/analysis_tools/crossing_id_switches.py DATA_ROOT PRED_DIR [PRED_DIR ...]
        [--split val] [--names NAME ...]

Every synthetic video with two or more people has a crossing pair (``meta.json``:
``crossing.people``, the two walk past each other; ``similar_to``: a look-alike pair, alike in
colour). For each prediction folder (PoseTrack18 files of the split's videos, e.g. the
``preds_*`` of the main job) the ground truth is cut down to the two crossing tracks and scored
with the PoseTrack evaluation: its MOTA switch count (summed over the 15 joint tracks, as
``posetrack/IDSW``) then counts only the switches of those two people; predictions of the other
people are false positives there and do not change it. Prints one row per video and a total.
"""
import argparse
import copy
import json
import os.path as osp
import sys

from mmpose_track.evaluation.functional import (PoseTrackFormatError, evaluate_posetrack,
                                                load_posetrack_file, parse_posetrack18)
from mmpose_track.structures.posetrack18_format import read_json


def crossing_pairs(data_root: str, split: str) -> list:
    """``[(video, (track_a, track_b), look_alike)]`` of the split's videos with a crossing."""
    meta = read_json(osp.join(data_root, 'meta.json'), 'synthetic set metadata')
    try:
        videos = meta['splits'][split]['videos']
    except (KeyError, TypeError):
        raise ValueError(f'{data_root}/meta.json has no split {split!r} (synthetic set?)')
    out = []
    for v in videos:
        cross = v.get('crossing')
        if not cross:
            continue
        people = {p['person']: p for p in v['people']}
        a, b = (people[i] for i in cross['people'])
        if a['track_id'] is None or b['track_id'] is None:
            continue  # a crossing person never labelled
        alike = a.get('similar_to') == b['person'] or b.get('similar_to') == a['person']
        out.append((v['name'], (a['track_id'], b['track_id']), alike))
    return out


def crossing_ground_truth(gt_path: str, tracks):
    """The ground truth of a video cut down to the crossing ``tracks`` (a ``PoseTrackVideo``)."""
    gt = copy.deepcopy(read_json(gt_path, 'ground-truth file'))
    gt['annotations'] = [a for a in gt['annotations'] if a.get('track_id') in set(tracks)]
    return parse_posetrack18(gt, osp.splitext(osp.basename(gt_path))[0], is_gt=True)


def crossing_switches(gt_video, pred_path: str) -> int:
    """MOTA identity switches (15 joints summed) of a :func:`crossing_ground_truth` video."""
    res = evaluate_posetrack([gt_video], [load_posetrack_file(pred_path, is_gt=False)],
                             hota=False)
    return int(sum(res['counts']['num_switches']))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('data_root', help='the synthetic set (meta.json, annotations/<split>/)')
    p.add_argument('pred_dirs', nargs='+', help='prediction folders, one per tracker')
    p.add_argument('--split', default='val')
    p.add_argument('--names', nargs='*', help='column names (default: folder names)')
    p.add_argument('--out', help='also write the table as JSON')
    args = p.parse_args(argv)
    names = args.names or [osp.basename(osp.normpath(d)) for d in args.pred_dirs]
    if len(names) != len(args.pred_dirs):
        p.error('--names needs one name per prediction folder')
    try:
        pairs = crossing_pairs(args.data_root, args.split)
        rows = []
        for video, tracks, alike in pairs:
            gt = crossing_ground_truth(
                osp.join(args.data_root, 'annotations', args.split, video + '.json'), tracks)
            rows.append((video, alike, [crossing_switches(gt, osp.join(d, video + '.json'))
                                        for d in args.pred_dirs]))
    except (OSError, ValueError, PoseTrackFormatError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    width = max([12] + [len(n) for n in names])
    print(f'{"video":18s} {"look-alike":10s} ' + ' '.join(f'{n:>{width}s}' for n in names))
    for video, alike, sw in rows:
        print(f'{video:18s} {"yes" if alike else "no":10s} '
              + ' '.join(f'{s:>{width}d}' for s in sw))
    totals = [sum(r[2][i] for r in rows) for i in range(len(names))]
    print(f'{"total":18s} {"":10s} ' + ' '.join(f'{t:>{width}d}' for t in totals))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(names=names, rows=[dict(video=v, look_alike=a, switches=s)
                                               for v, a, s in rows], totals=totals), f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
