"""The synthetic generator's robustness options and ``hard`` preset (issue 13): defaults reproduce
the earlier output, fast pans, shot cuts, detection dropouts, crossing pairs, the command line."""
import hashlib
import json
import os
import os.path as osp
import subprocess
import sys
import zlib
from typing import Dict, List, Tuple

import cv2
import numpy as np
import pytest

from mmpose_track.datasets import synthetic
from mmpose_track.datasets.synthetic import HARD_OPTIONS, SyntheticPoseTrackOptions

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLI = osp.join(REPO, 'tools', 'dataset_converters', 'generate_synthetic_posetrack18.py')
SMALL = dict(num_videos=2, num_val_videos=2, num_frames=12, width=96, height=72)
# sha256 over the JSON files (relative path + bytes, sorted walk) of ``SMALL``, written by the
# generator before the robustness options existed (git HEAD at the time of issue 13)
SMALL_JSON_SHA256 = '4ac2a7837b4e18ecada001b0c625f81ec0715d8a4e2d8681d4f49411269ec944'
NEW_DEFAULTS = dict(camera_strength=1.0, shot_cuts=1, crossing_pairs=1, det_dropout=0.0,
                    det_dropout_len=3)


def _json(path: str):
    with open(path) as f:
        return json.load(f)


def _digest(root: str, suffix: str = '') -> str:
    """sha256 over the files of ``root`` ending with ``suffix``: relative path, then bytes."""
    h = hashlib.sha256()
    for dirpath, _, names in sorted(os.walk(root)):
        for name in sorted(names):
            if name.endswith(suffix):
                path = osp.join(dirpath, name)
                h.update(osp.relpath(path, root).encode())
                with open(path, 'rb') as f:
                    h.update(f.read())
    return h.hexdigest()


def _videos(root: str, split: str = 'val') -> List[Tuple[Dict, Dict, Dict]]:
    """(meta, ground truth, detected poses) per video of ``split``."""
    meta = _json(osp.join(root, 'meta.json'))
    return [(v, _json(osp.join(root, 'annotations', split, v['name'] + '.json')),
             _json(osp.join(root, 'detections', split, v['name'] + '.json')))
            for v in meta['splits'][split]['videos']]


def _centroids(gt: Dict) -> Dict[Tuple[int, int], np.ndarray]:
    """{(frame, track_id): mean of the labeled joints}."""
    frame = {im['id']: i for i, im in enumerate(gt['images'])}
    out = {}
    for a in gt['annotations']:
        kpts = np.array(a['keypoints'], float).reshape(-1, 3)
        out[frame[a['image_id']], a['track_id']] = kpts[kpts[:, 2] > 0, :2].mean(0)
    return out


def _steps(gt: Dict) -> Dict[Tuple[int, int], float]:
    """{(frame t, track_id): centroid displacement from t - 1 to t} (annotated in both)."""
    cents = _centroids(gt)
    return {(t, k): float(np.linalg.norm(c - cents[t - 1, k]))
            for (t, k), c in cents.items() if (t - 1, k) in cents}


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two x, y, w, h boxes."""
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(0.0, w) * max(0.0, h)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def test_defaults_reproduce_the_earlier_output(tmp_path) -> None:
    plain, explicit = str(tmp_path / 'plain'), str(tmp_path / 'explicit')
    synthetic.generate_synthetic_posetrack18(plain, **SMALL)
    synthetic.generate_synthetic_posetrack18(explicit, preset='default', **SMALL, **NEW_DEFAULTS)
    assert _digest(plain) == _digest(explicit)  # every file, images included
    assert _digest(plain, '.json') == SMALL_JSON_SHA256  # the generator before issue 13
    meta = _json(osp.join(plain, 'meta.json'))
    assert not set(NEW_DEFAULTS) & set(meta['options'])
    videos = [v for s in meta['splits'].values() for v in s['videos']]
    assert all('crossings' not in v and 'det_dropout' not in v['people'][0] for v in videos)


def test_hard_preset_options() -> None:
    hard = SyntheticPoseTrackOptions.hard()
    for name, value in HARD_OPTIONS.items():
        assert getattr(hard, name) == value
    assert hard.num_frames == 30 and hard.splits == ('val', ) and hard.camera_strength == 5.0
    assert SyntheticPoseTrackOptions.hard(seed=3).seed == 3
    hard.validate()
    for name, value in (('camera_strength', 0.5), ('shot_cuts', 0), ('crossing_pairs', -1),
                        ('det_dropout', 1.5), ('det_dropout_len', 0)):
        with pytest.raises(ValueError, match=name):
            SyntheticPoseTrackOptions(**{name: value}).validate()
    with pytest.raises(ValueError, match='preset'):
        synthetic.generate_synthetic_posetrack18('unused', preset='harder')


def _smoothstep_sweeps(num_frames: int, sweeps: float) -> np.ndarray:
    """Loop reference of the back-and-forth ramp: eased 0 -> 1 -> 0 ... ``sweeps`` times."""
    out = []
    for i in range(num_frames):
        u = sweeps * i / (num_frames - 1)
        k = int(u)
        t = u - k if k % 2 == 0 else 1 - (u - k)
        out.append(t * t * (3 - 2 * t))
    return np.array(out)


def test_hard_pans_move_people_faster(tmp_path) -> None:
    """Same seed and scenes, pans only: the camera path sweeps its range ``s`` times (checked
    against a loop reference), so the camera's per-frame motion is ``s`` times the default's; the
    people's own motion is unchanged, so their joint centroids move by
    ``median(|camera step + own step|)``, and at times by more than 8% of the image width."""
    s = HARD_OPTIONS['camera_strength']
    small = dict(SMALL, num_frames=24, width=160, height=120, camera_modes=('pan', ))
    roots = {}
    for name, strength in (('default', 1.0), ('hard', s)):
        roots[name] = str(tmp_path / name)
        synthetic.generate_synthetic_posetrack18(roots[name], camera_strength=strength, **small)
    width = small['width']
    default, hard = _videos(roots['default']), _videos(roots['hard'])
    medians = {}
    for (m0, gt0, _), (m1, gt1, _) in zip(default, hard):
        assert m0['camera']['mode'] == m1['camera']['mode'] == 'pan'
        cam0, cam1 = np.array(m0['camera']['transforms']), np.array(m1['camera']['transforms'])
        n = len(cam0)
        ramp = _smoothstep_sweeps(n, s)
        delta = cam0[-1, 1:] - cam0[0, 1:]  # the default pans once over its range
        np.testing.assert_allclose(cam1[:, 1:], cam0[0, 1:] + ramp[:, None] * delta, atol=2e-4)
        np.testing.assert_allclose(cam1[:, 0], cam0[:, 0])
        # camera steps: s sweeps of the same range -> s times the path length
        path0, path1 = np.abs(np.diff(cam0[:, 1])).sum(), np.abs(np.diff(cam1[:, 1])).sum()
        assert path0 == pytest.approx(abs(delta[0]), rel=1e-3)
        assert path1 / path0 == pytest.approx(s, rel=0.1)
        # people: the same world motion seen through both cameras (person -> track id per set)
        steps0, steps1 = _steps(gt0), _steps(gt1)
        assert max(steps1.values()) > 0.08 * width
        track0 = {p['person']: p['track_id'] for p in m0['people']}
        track1 = {p['person']: p['track_id'] for p in m1['people']}
        cents0, cents1 = _centroids(gt0), _centroids(gt1)
        expected, both = [], 0
        for p in track0:
            for t in range(1, n):
                keys0, keys1 = ((t, track0[p]), (t - 1, track0[p])), ((t, track1[p]),
                                                                       (t - 1, track1[p]))
                if not all(k in cents0 for k in keys0) or not all(k in cents1 for k in keys1):
                    continue
                own = (cents0[keys0[0]] - cents0[keys0[1]]) - (cam0[t, 1:] - cam0[t - 1, 1:])
                expected.append(np.linalg.norm(own + cam1[t, 1:] - cam1[t - 1, 1:]))
                got = np.linalg.norm(cents1[keys1[0]] - cents1[keys1[1]])
                both += abs(got - expected[-1]) < 0.02 * width  # same joints visible: exact
        assert both >= 0.8 * len(expected) > 0
        medians.setdefault('default', []).append(np.median(list(steps0.values())))
        medians.setdefault('hard', []).append(np.median(list(steps1.values())))
        medians.setdefault('expected', []).append(np.median(expected))
    ratio = np.median(medians['hard']) / np.median(medians['default'])
    expected_ratio = np.median(medians['expected']) / np.median(medians['default'])
    assert ratio == pytest.approx(expected_ratio, rel=0.15)
    assert ratio > 0.5 * s  # the camera dominates: at least half of the camera's factor


def _cut_frames_reference(num_frames: int, cuts: int) -> List[Tuple[int, int]]:
    """The allowed [low, high] frame range of each cut: the middle third of equal slots."""
    out = []
    for i in range(cuts):
        start = i * num_frames // cuts
        length = (i + 1) * num_frames // cuts - start
        low = max(start + length // 3, 1)
        out.append((low, max(start + 2 * length // 3, low)))
    return out


def test_shot_cuts_make_everyone_jump(tmp_path) -> None:
    root = str(tmp_path / 'cuts')
    small = dict(SMALL, num_frames=24, length_jitter=0.0, camera_modes=('shot_cut', ))
    synthetic.generate_synthetic_posetrack18(root, shot_cuts=3, **small)
    width = small['width']
    for meta, gt, _ in _videos(root):
        cuts = [e['frame'] for e in meta['camera']['events'] if e['type'] == 'shot_cut']
        assert len(cuts) == 3 and cuts == sorted(set(cuts))
        for cut, (low, high) in zip(cuts, _cut_frames_reference(24, 3)):
            assert low <= cut <= high
        cam = np.array(meta['camera']['transforms'])
        jumps = np.abs(np.diff(cam[:, 1]))
        assert set(np.flatnonzero(jumps > 0.3 * width) + 1) == set(cuts)
        assert jumps[[t - 1 for t in range(1, 24) if t not in cuts]].max() == 0
        steps = _steps(gt)
        at_cut = [d for (t, _), d in steps.items() if t in cuts]
        elsewhere = [d for (t, _), d in steps.items() if t not in cuts]
        assert at_cut and min(at_cut) > 0.1 * width > max(elsewhere)  # all people jump
        folder = osp.join(root, 'images', 'val', meta['name'])
        frames = [cv2.imread(osp.join(folder, f)).astype(float) for f in sorted(os.listdir(folder))]
        diffs = [np.abs(a - b).mean() for a, b in zip(frames, frames[1:])]
        assert sorted(np.argsort(diffs)[-3:] + 1) == cuts


def _dropout_reference(seed: int, split: str, index: int, num_people: int, num_frames: int,
                       rate: float, max_len: int) -> np.ndarray:
    """Loop reference of the dropout runs from the same random draws."""
    rng = np.random.default_rng([seed, zlib.crc32(split.encode()), index, 2])
    starts = rng.random((num_people, num_frames)) < rate
    lengths = rng.integers(1, max_len + 1, (num_people, num_frames))
    mask = np.zeros((num_people, num_frames), bool)
    for p in range(num_people):
        for t in range(num_frames):
            if starts[p, t]:
                mask[p, t:t + lengths[p, t]] = True
    return mask


def test_det_dropout_removes_runs_of_detections_but_not_ground_truth(tmp_path) -> None:
    on, off = str(tmp_path / 'on'), str(tmp_path / 'off')
    small = dict(SMALL, max_people=6)
    synthetic.generate_synthetic_posetrack18(on, det_dropout=0.15, det_dropout_len=3, **small)
    synthetic.generate_synthetic_posetrack18(off, **small)
    assert _digest(osp.join(on, 'annotations', 'val'), '.json') == \
        _digest(osp.join(off, 'annotations', 'val'), '.json')  # ground truth keeps everyone
    assert _digest(osp.join(on, 'images')) == _digest(osp.join(off, 'images'))
    removed = kept_in_gt = runs = 0
    for i, ((meta, gt, det_on), (_, _, det_off)) in enumerate(zip(_videos(on), _videos(off))):
        n = meta['nframes']
        mask = np.zeros((len(meta['people']), n), bool)
        for p, person in enumerate(meta['people']):
            for first, last in person['det_dropout']:
                assert not mask[p, first:last + 1].any()
                mask[p, first:last + 1] = True
                runs += 1
        # vid index within the split: video i of 'val' (the train split comes first)
        ref = _dropout_reference(0, 'val', i, len(meta['people']), n, 0.15, 3)
        np.testing.assert_array_equal(mask, ref)
        frame = {im['id']: t for t, im in enumerate(gt['images'])}
        person_of = {p['track_id']: p['person'] for p in meta['people']}
        gt_boxes = {}
        for a in gt['annotations']:
            gt_boxes.setdefault(frame[a['image_id']], {})[person_of[a['track_id']]] = \
                np.array(a['bbox'])

        def strip(d: Dict) -> Tuple:
            return (d['image_id'], tuple(d['bbox']), d['score'], tuple(d['keypoints']))

        dets_on = [strip(d) for d in det_on['annotations']]
        dets_off = [strip(d) for d in det_off['annotations']]
        left = iter(dets_on)
        nxt = next(left, None)
        gone = []
        for d in dets_off:  # dets_on is dets_off with some removed, order kept
            if d == nxt:
                nxt = next(left, None)
            else:
                gone.append(d)
        assert nxt is None
        for image_id, box, _, _ in gone:
            t = frame[image_id]
            people = gt_boxes.get(t, {})
            if people:
                best = max(people, key=lambda p: _iou(np.array(box), people[p]))
                if _iou(np.array(box), people[best]) > 0.5:
                    assert mask[best, t]  # a removed detection belongs to a dropped person
        for t, people in gt_boxes.items():
            for p, gt_box in people.items():
                if not mask[p, t]:
                    continue
                kept_in_gt += 1
                for image_id, box, _, _ in dets_on:
                    if frame[image_id] == t and _iou(np.array(box), gt_box) > 0.5:
                        best = max(people, key=lambda q: _iou(np.array(box), people[q]))
                        assert best != p  # only another person's detection may overlap
        removed += len(gone)
    assert runs > 0 and removed > 0 and kept_in_gt > 0


def test_crossing_pairs(tmp_path) -> None:
    root = str(tmp_path / 'crowd')
    synthetic.generate_synthetic_posetrack18(root, max_people=10, crossing_pairs=3, **SMALL)
    for meta, _, _ in _videos(root):
        count = len(meta['people'])
        crossings = meta['crossings']
        assert len(crossings) == min(3, count // 2) and crossings[0] == meta['crossing']
        assert [c['people'] for c in crossings] == [[2 * j, 2 * j + 1]
                                                    for j in range(len(crossings))]
        assert all(3 <= c['frame'] <= 8 for c in crossings)  # meet at 0.35..0.65 of 9..11 frame steps


def test_cli_hard_preset(tmp_path) -> None:
    out = str(tmp_path / 'hard')
    args = [sys.executable, CLI, '--preset', 'hard', '--out', out, '--val-videos', '2',
            '--frames', '8', '--width', '64', '--height', '48']
    done = subprocess.run(args, capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert list(summary['splits']) == ['val'] and len(summary['splits']['val']['videos']) == 2
    for name in ('posetrack18_val.json', 'posetrack18_val_human_detections.json'):
        assert osp.isfile(osp.join(out, 'annotations', name))
    meta = _json(osp.join(out, 'meta.json'))
    for name, value in HARD_OPTIONS.items():
        if name not in ('splits', 'camera_modes'):
            assert meta['options'][name] == value
    for video in meta['splits']['val']['videos']:
        assert osp.isfile(osp.join(out, 'annotations', 'val', video['name'] + '.json'))
        det = _json(osp.join(out, 'detections', 'val', video['name'] + '.json'))
        assert all(len(a['keypoints']) == 51 for a in det['annotations'])
        assert len(os.listdir(osp.join(out, 'images', 'val', video['name']))) == video['nframes']
