"""MOTA of the trackers on hand-made scenes whose answer is known, through the public commands
(``tools/track.py``, then ``tools/eval_posetrack.py``).

The detections are the ground-truth poses themselves (every joint visible, score 1), so every
joint is matched (no miss, no false positive: AP 100) and MOTA only counts identity switches. For
each of the 15 joints poseval scores, ``MOTA = 100 * (1 - S / N)`` with ``S`` the number of
identity switches and ``N`` the number of person-frames (the official evaluator leaves the last
frame of each video out of MOTA: docs/evaluation.md). ``S`` is derived from the scene and the
trackers' documented rules (configs/trackers/):

1. *Occlusion*: three people far apart walk slowly; one is missing for two frames. OKS-greedy
   matches the previous frame only (``num_frames_retain=1``, MMPose 0.x), so the person comes back
   with a new id: ``S = 1``. OKS- and IoU-Hungarian keep unmatched tracks for 5 frames and
   re-activate them: ``S = 0``.
2. *Crossing behind an occluder*: two people walking towards each other are both hidden for three
   frames and come back having swapped sides. Each one's box now overlaps the *other's* last box
   most (IoU 0.6 against 0.2 for its own), so IoU-Hungarian swaps their ids: ``S = 2``. With
   appearance embeddings (one unit vector per person), OGN's IoU + appearance similarity ``0.5 IoU
   + 0.5 (1 - d / 2)`` is 0.6 for the right pairs and ``0.5 * 0.6 + 0.5 * (1 - sqrt(2) / 2) =
   0.446`` for the swapped ones: ``S = 0``.
"""
import json
import math
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from mmpose_track.structures.posetrack18_format import (NUM_POSEVAL_JOINTS,
                                                        POSETRACK18_KEYPOINT_NAMES)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# a standing person in a unit box (x, y in [0, 1]), COCO order
TEMPLATE = np.array([[.5, .08], [.45, .06], [.55, .06], [.4, .08], [.6, .08], [.3, .25],
                     [.7, .25], [.2, .42], [.8, .42], [.15, .58], [.85, .58], [.38, .6],
                     [.62, .6], [.38, .8], [.62, .8], [.38, .98], [.62, .98]])


def _scene(people, num_frames):
    """Ground truth and detections of one video: ``people`` maps a person to ``{frame: (x, y,
    w, h)}`` (the box; the pose is the template in it). Detections = ground truth, no track id."""
    images, gt, det = [], [], []
    for f in range(num_frames):
        img_id = 10000000000 + 10000 + f
        images.append(dict(id=img_id, file_name=f'images/val/000001_test/{f:06d}.jpg',
                           frame_id=img_id, vid_id='000001', nframes=num_frames, is_labeled=True,
                           width=640, height=480))
        for p, boxes in enumerate(people):
            if f not in boxes:
                continue
            x, y, w, h = boxes[f]
            xy = TEMPLATE * [w, h] + [x, y]
            kp = np.concatenate([xy, np.ones((17, 1))], 1).round(3).reshape(-1).tolist()
            ann = dict(id=img_id * 100 + p, image_id=img_id, category_id=1, keypoints=kp,
                       bbox=[x, y, w, h], bbox_head=[x + .3 * w, y, .4 * w, .15 * h])
            gt.append(dict(ann, track_id=p))
            det.append(dict(ann, score=1.0, scores=[1.0] * 17, person=p))
    cats = [dict(id=1, name='person', keypoints=list(POSETRACK18_KEYPOINT_NAMES))]
    return (dict(images=images, annotations=gt, categories=cats),
            dict(images=images, annotations=det, categories=cats))


def _track_and_score(gt, det, tracker, tmp_path, embeddings=None):
    """Tracked with ``tools/track.py``, scored with ``tools/eval_posetrack.py``."""
    work = tmp_path / tracker
    for d in ('gt', 'det', 'pred'):
        (work / d).mkdir(parents=True)
    det = json.loads(json.dumps(det))
    extra = []
    if embeddings is not None:
        for a in det['annotations']:
            a['embeddings'] = embeddings[a['person']]
        extra = ['--features', 'embeddings']
    json.dump(gt, open(work / 'gt' / '000001_test.json', 'w'))
    json.dump(det, open(work / 'det' / '000001_test.json', 'w'))
    for cmd in (['tools/track.py', str(work / 'det'), '--tracker',
                 f'configs/trackers/{tracker}.py', '--out', str(work / 'pred'), *extra],
                ['tools/eval_posetrack.py', str(work / 'gt'), str(work / 'pred'), '--out',
                 str(work / 'metrics.json'), '--no-hota']):
        res = subprocess.run([sys.executable, *cmd], cwd=REPO, capture_output=True, text=True,
                             timeout=300)
        assert res.returncode == 0, res.stderr[-2000:]
    return json.load(open(work / 'metrics.json'))


def _person_frames(people, num_frames):
    """``N``: people summed over the frames MOTA counts (all but the last, as poseval)."""
    return sum(f < num_frames - 1 for boxes in people for f in boxes)


def _check(metrics, switches, person_frames):
    assert metrics['AP']['Total'] == pytest.approx(100.0)
    assert sum(metrics['counts']['num_switches']) == NUM_POSEVAL_JOINTS * switches
    assert metrics['MOTA']['Total'] == pytest.approx(100.0 * (1 - switches / person_frames),
                                                     abs=1e-6)


def test_retained_tracks_survive_an_occlusion(tmp_path):
    num_frames = 12
    hidden = {3, 4}
    # 100x300 boxes 200 px apart (never overlapping), walking 2 px a frame
    people = [{f: (20 + 200 * p + 2 * f, 100, 100, 300) for f in range(num_frames)
               if not (p == 0 and f in hidden)} for p in range(3)]
    gt, det = _scene(people, num_frames)
    person_frames = _person_frames(people, num_frames)
    assert person_frames == 3 * (num_frames - 1) - len(hidden)
    _check(_track_and_score(gt, det, 'oks_greedy', tmp_path), 1, person_frames)
    _check(_track_and_score(gt, det, 'oks_hungarian', tmp_path), 0, person_frames)
    _check(_track_and_score(gt, det, 'iou_hungarian', tmp_path), 0, person_frames)


def test_appearance_resolves_a_crossing_behind_an_occluder(tmp_path):
    num_frames, w, h = 14, 60, 160
    t0, t1 = 5, 9  # last frame both are seen before the occluder, first one after it
    # A walks right, B left, 10 px a frame; at t0 B is 55 px right of A, at t1 25 px left of it
    xa = {f: 100 + 10 * f for f in range(num_frames) if not t0 < f < t1}
    xb = {f: 100 + 10 * t0 + 55 + 10 * t0 - 10 * f for f in xa}
    people = [{f: (x, 100, w, h) for f, x in xs.items()} for xs in (xa, xb)]
    # the geometry the docstring states: IoU 0.2 with its own last box, 0.6 with the other's
    iou = lambda d: (w - abs(d)) / (w + abs(d))  # noqa: E731  (same height, offset d)
    assert iou(xa[t1] - xa[t0]) == pytest.approx(0.2) and iou(xb[t1] - xa[t0]) == pytest.approx(0.6)
    assert iou(xb[t1] - xb[t0]) == pytest.approx(0.2) and iou(xa[t1] - xb[t0]) == pytest.approx(0.6)
    assert 0.5 * 0.6 + 0.5 * (1 - math.sqrt(2) / 2) < 0.5 * 0.2 + 0.5 * 1
    gt, det = _scene(people, num_frames)
    person_frames = _person_frames(people, num_frames)
    _check(_track_and_score(gt, det, 'iou_hungarian', tmp_path), 2, person_frames)
    emb = {0: [1.0, 0.0, 0.0, 0.0], 1: [0.0, 1.0, 0.0, 0.0]}
    _check(_track_and_score(gt, det, 'iou_appearance', tmp_path, emb), 0, person_frames)
