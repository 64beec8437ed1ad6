"""tools/analysis_tools/crossing_id_switches.py: switches of the synthetic crossing pairs only."""
import copy
import json
import os
import os.path as osp
import sys

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
import crossing_id_switches as tool  # noqa: E402


def _as_predictions(gt: dict) -> dict:
    pred = copy.deepcopy(gt)
    for a in pred['annotations']:
        a['scores'] = [1.0] * (len(a['keypoints']) // 3)
    return pred


def test_counts_only_the_crossing_pair(tiny_synthetic, tmp_path):
    pairs = tool.crossing_pairs(tiny_synthetic, 'val')
    assert pairs, 'the tiny set has a crossing pair'
    video, (ta, tb), _ = pairs[0]
    gt_path = osp.join(tiny_synthetic, 'annotations', 'val', video + '.json')
    gt = json.load(open(gt_path))
    frames = sorted(im['id'] for im in gt['images'] if im.get('is_labeled', True))
    swap_at = frames[len(frames) // 2]  # ids of the pair swapped from this frame on
    assert swap_at != frames[-1]  # the official MOTA skips a video's last frame
    perfect = _as_predictions(gt)
    swapped = _as_predictions(gt)
    for a in swapped['annotations']:
        if a['image_id'] >= swap_at and a['track_id'] in (ta, tb):
            a['track_id'] = tb if a['track_id'] == ta else ta
        elif a['track_id'] not in (ta, tb) and a['image_id'] >= swap_at:
            a['track_id'] += 100  # other people switch too: must not count
    # independent count: MOTA keeps each ground-truth joint's last matched hypothesis over
    # the video, so a joint of the pair switches once when it is seen again after the swap
    # (poseval's 15 joints: the PoseTrack18 ear slots are empty; the last frame not counted)
    vis = {}
    for a in gt['annotations']:
        if a['track_id'] in (ta, tb) and a['image_id'] in frames[:-1]:
            v = np.delete(np.asarray(a['keypoints']).reshape(-1, 3)[:, 2] > 0, [3, 4])
            vis[(a['track_id'], a['image_id'] >= swap_at)] = vis.get(
                (a['track_id'], a['image_id'] >= swap_at), np.zeros(15, bool)) | v
    expect = sum(int((vis.get((t, False), 0) & vis.get((t, True), 0)).sum()) for t in (ta, tb))
    assert expect > 0
    for name, pred in (('perfect', perfect), ('swapped', swapped)):
        os.makedirs(tmp_path / name)
        json.dump(pred, open(tmp_path / name / (video + '.json'), 'w'))
    cut = tool.crossing_ground_truth(gt_path, (ta, tb))
    assert tool.crossing_switches(cut, str(tmp_path / 'perfect' / (video + '.json'))) == 0
    assert tool.crossing_switches(cut, str(tmp_path / 'swapped' / (video + '.json'))) == expect


def test_missing_prediction_file_is_one_line(tiny_synthetic, tmp_path, capsys):
    assert tool.main([tiny_synthetic, str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('error:') and 'not found' in err[0]
