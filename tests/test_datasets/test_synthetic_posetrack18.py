"""Tests of the synthetic PoseTrack18 generator (numpy + OpenCV, no torch or model stack)."""
import json
import os
import os.path as osp
import re
import subprocess
import sys
from itertools import combinations
from typing import Dict, List, Tuple

import cv2
import numpy as np
import pytest

from mmpose_track.datasets import synthetic

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLI = osp.join(REPO, 'tools', 'dataset_converters', 'generate_synthetic_posetrack18.py')
SMALL = dict(num_videos=2, num_val_videos=1, num_frames=8, max_people=3, width=96, height=72)
NAMES = ['nose', 'head_bottom', 'head_top', 'left_ear', 'right_ear', 'left_shoulder',
         'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip',
         'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle']
FILE_RE = re.compile(r'^images/(\w+)/(\d{6}_mpii_test)/(\d{6})\.jpg$')


@pytest.fixture(scope='module')
def default_set(tmp_path_factory: pytest.TempPathFactory) -> Tuple[str, Dict]:
    """The default set, generated once: (root, summary). Its generation time is measured by
    ``benchmarks/bench_synthetic.py``, not here."""
    root = str(tmp_path_factory.mktemp('synthetic') / 'default')
    summary = synthetic.generate_synthetic_posetrack18(root)
    return root, summary


def _json(path: str):
    with open(path) as f:
        return json.load(f)


def _videos(root: str, split: str, folder: str = 'annotations') -> Dict[str, Dict]:
    """Per-video files of a split, by video name, in name order."""
    vdir = osp.join(root, folder, split)
    return {f[:-5]: _json(osp.join(vdir, f)) for f in sorted(os.listdir(vdir))}


def _xyxy(box: List[float]) -> np.ndarray:
    return np.array([box[0], box[1], box[0] + box[2], box[1] + box[3]], float)


def _iou(a: List[float], b: List[float]) -> float:
    a, b = _xyxy(a), _xyxy(b)
    inter = np.prod(np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0, None))
    union = np.prod(a[2:] - a[:2]) + np.prod(b[2:] - b[:2]) - inter
    return float(inter / union)


def _inside(x: float, y: float, xs: List[int], ys: List[int]) -> bool:
    contour = np.array([xs, ys], np.float32).T.reshape(-1, 1, 2)
    return cv2.pointPolygonTest(contour, (float(x), float(y)), False) > 0


def _by_frame(anns: List[Dict]) -> Dict[int, List[Dict]]:
    out: Dict[int, List[Dict]] = {}
    for a in anns:
        out.setdefault(a['image_id'], []).append(a)
    return out


def _check_video(root: str, split: str, name: str, data: Dict, width: int, height: int) -> None:
    """Every rule of the PoseTrack18 format and of the official evaluation's input."""
    assert set(data) == {'categories', 'images', 'annotations'}
    cat = data['categories'][0]
    assert cat['keypoints'] == NAMES and cat['id'] == 1 and cat['name'] == 'person'
    assert len(cat['skeleton']) == 19
    images = data['images']
    labeled_ids = set()
    for idx, im in enumerate(images):
        match = FILE_RE.match(im['file_name'])
        assert match and match.group(1) == split and match.group(2) == name
        assert re.match(r'^\d{6}_mpii_test$', match.group(2)) and int(match.group(3)) == idx
        assert im['vid_id'] == name[:6] and im['nframes'] == len(images)
        assert im['id'] == im['frame_id'] == 10000000000 + int(name[:6]) * 10000 + idx
        assert isinstance(im['is_labeled'], bool) and im['has_no_densepose'] is True
        assert (im['width'], im['height']) == (width, height)
        assert len(im['ignore_regions_x']) == len(im['ignore_regions_y'])
        for xs, ys in zip(im['ignore_regions_x'], im['ignore_regions_y']):
            assert len(xs) == len(ys) >= 3
            assert all(isinstance(v, int) for v in xs + ys)
            assert 0 <= min(xs) and max(xs) < width and 0 <= min(ys) and max(ys) < height
        if im['is_labeled']:
            labeled_ids.add(im['id'])
        else:
            assert im['ignore_regions_x'] == []
        img = cv2.imread(osp.join(root, im['file_name']))
        assert img is not None and img.shape == (height, width, 3)
    ids = [a['id'] for a in data['annotations']]
    assert len(ids) == len(set(ids))
    images_by_id = {im['id']: im for im in images}
    for image_id, anns in _by_frame(data['annotations']).items():
        assert image_id in labeled_ids
        tracks = [a['track_id'] for a in anns]
        assert len(tracks) == len(set(tracks))
        im = images_by_id[image_id]
        for a in anns:
            assert {'id', 'image_id', 'track_id', 'bbox', 'bbox_head', 'keypoints', 'num_keypoints',
                    'category_id', 'scores'} <= set(a)
            assert isinstance(a['track_id'], int) and 0 <= a['track_id'] < 10000
            assert a['category_id'] == 1 and a['scores'] == []
            assert a['id'] // 100 == image_id
            kpts = np.array(a['keypoints'], float).reshape(-1, 3)
            assert len(a['keypoints']) == 51
            assert set(kpts[:, 2]) <= {0.0, 1.0}
            assert (kpts[kpts[:, 2] == 0] == 0).all()
            vis = kpts[kpts[:, 2] == 1]
            assert ((vis[:, 0] >= 0) & (vis[:, 0] < width) & (vis[:, 1] >= 0) &
                    (vis[:, 1] < height)).all()
            assert a['num_keypoints'] == len(vis) >= 1
            assert (kpts[3:5] == 0).all()  # PoseTrack18 has no ear labels
            x, y, w, h = a['bbox']
            assert w > 0 and h > 0 and x >= 0 and y >= 0
            assert x + w <= width + 1e-6 and y + h <= height + 1e-6
            assert ((vis[:, :2] >= [x - 1e-6, y - 1e-6]) &
                    (vis[:, :2] <= [x + w + 1e-6, y + h + 1e-6])).all()
            assert a['bbox_head'][2] > 0 and a['bbox_head'][3] > 0
            inside = [any(_inside(px, py, xs, ys)
                          for xs, ys in zip(im['ignore_regions_x'], im['ignore_regions_y']))
                      for px, py in vis[:, :2]]
            assert np.mean(inside) <= 0.5  # people in ignore regions are not annotated


def test_default_set_layout(default_set: Tuple[str, Dict]) -> None:
    root, summary = default_set
    assert [len(summary['splits'][s]['videos']) for s in ('train', 'val')] == [8, 4]
    meta = _json(osp.join(root, 'meta.json'))
    for split in ('train', 'val'):
        videos = _videos(root, split)
        assert list(videos) == summary['splits'][split]['videos']
        for name, data in videos.items():
            assert 24 <= len(data['images']) <= 30
            assert len(os.listdir(osp.join(root, 'images', split, name))) == len(data['images'])
            assert not osp.exists(osp.join(root, 'videos'))
        names = [v['name'] for v in meta['splits'][split]['videos']]
        assert names == list(videos)
    train, val = (set(summary['splits'][s]['videos']) for s in ('train', 'val'))
    assert not train & val


def test_ground_truth_format(default_set: Tuple[str, Dict]) -> None:
    root = default_set[0]
    for split in ('train', 'val'):
        for name, data in _videos(root, split).items():
            _check_video(root, split, name, data, 320, 240)
            frames = _by_frame(data['annotations'])
            assert len(frames) >= 2  # the official MOTA crashes on one labeled frame


def test_merged_file_is_concatenation(default_set: Tuple[str, Dict]) -> None:
    root = default_set[0]
    for split in ('train', 'val'):
        merged = _json(osp.join(root, 'annotations', f'posetrack18_{split}.json'))
        videos = list(_videos(root, split).values())
        assert merged['categories'] == videos[0]['categories']
        assert merged['images'] == [im for v in videos for im in v['images']]
        assert merged['annotations'] == [a for v in videos for a in v['annotations']]


def test_detections_are_noisy(default_set: Tuple[str, Dict]) -> None:
    root = default_set[0]
    for split in ('train', 'val'):
        boxes = _json(osp.join(root, 'annotations', f'posetrack18_{split}_human_detections.json'))
        gt_videos, det_videos = _videos(root, split), _videos(root, split, 'detections')
        assert list(gt_videos) == list(det_videos)
        pose_dets = [a for v in det_videos.values() for a in v['annotations']]
        assert [(b['image_id'], b['bbox'], b['score']) for b in boxes] == \
            [(a['image_id'], a['bbox'], a['score']) for a in pose_dets]
        for b in boxes:
            assert set(b) == {'image_id', 'category_id', 'bbox', 'score'}
            assert b['category_id'] == 1 and 0 < b['score'] <= 1
            assert b['bbox'][2] > 0 and b['bbox'][3] > 0
        for name, det in det_videos.items():
            assert det['images'] == gt_videos[name]['images']
            for a in det['annotations']:
                assert 'track_id' not in a and len(a['keypoints']) == 51
                assert a['scores'] == a['keypoints'][2::3] and len(a['scores']) == 17
                assert all(0 < s <= 1 for s in a['scores'])
        gt = [a for v in gt_videos.values() for a in v['annotations']]
        assert len(boxes) != len(gt)
        labeled = {a['image_id'] for v in gt_videos.values() for a in v['annotations']}
        gt_by_frame, det_by_frame = _by_frame(gt), _by_frame(boxes)
        jittered = far = duplicates = missed = 0
        for image_id in labeled:
            dets = det_by_frame.get(image_id, [])
            for d in dets:
                best = max(_iou(d['bbox'], g['bbox']) for g in gt_by_frame[image_id])
                jittered += 0.5 < best < 0.999
                far += best < 0.1
            duplicates += any(_iou(a['bbox'], b['bbox']) > 0.5 for a, b in combinations(dets, 2))
            missed += sum(g['num_keypoints'] >= 10 and
                          all(_iou(d['bbox'], g['bbox']) < 0.3 for d in dets)
                          for g in gt_by_frame[image_id])
        assert jittered > 0 and far > 0 and duplicates > 0 and missed > 0


def test_people_move_enter_leave_and_keep_ids(default_set: Tuple[str, Dict]) -> None:
    root = default_set[0]
    moved = entered = left = 0
    for split in ('train', 'val'):
        for data in _videos(root, split).values():
            order = {im['id']: i for i, im in enumerate(data['images'])}
            labeled = [i for i, im in enumerate(data['images']) if im['is_labeled']]
            tracks: Dict[int, List[Tuple[int, np.ndarray]]] = {}
            for a in data['annotations']:
                kpts = np.array(a['keypoints'], float).reshape(-1, 3)
                tracks.setdefault(a['track_id'], []).append((order[a['image_id']], kpts))
            assert sorted(tracks) == list(range(len(tracks)))  # new person, next id
            assert max(len(v) for v in tracks.values()) >= 5  # ids persist over frames
            for seq in tracks.values():
                frames = [f for f, _ in seq]
                entered += frames[0] > labeled[0]
                left += frames[-1] < labeled[-1]
                for (_, k1), (_, k2) in zip(seq, seq[1:]):
                    both = (k1[:, 2] > 0) & (k2[:, 2] > 0)
                    moved += bool(np.linalg.norm(k1[both, :2] - k2[both, :2], axis=1).sum() > 0)
    assert moved > 0 and entered > 0 and left > 0


def test_occlusion_and_similar_people(default_set: Tuple[str, Dict]) -> None:
    root = default_set[0]
    overlapping = occluded = 0
    for split in ('train', 'val'):
        for data in _videos(root, split).values():
            for anns in _by_frame(data['annotations']).values():
                overlapping += any(_iou(a['bbox'], b['bbox']) > 0.2
                                   for a, b in combinations(anns, 2))
                for a in anns:  # well inside the image, but body joints unlabeled
                    x, y, w, h = a['bbox']
                    kpts = np.array(a['keypoints']).reshape(-1, 3)
                    inside = x > 2 and y > 2 and x + w < 318 and y + h < 238
                    occluded += inside and (kpts[5:, 2] == 0).any()
    assert overlapping > 0 and occluded > 0
    meta = _json(osp.join(root, 'meta.json'))
    videos = [v for s in meta['splits'].values() for v in s['videos']]
    assert any(v['crossing'] for v in videos)
    assert any(p['similar_to'] is not None for v in videos for p in v['people'])


def test_camera_events(default_set: Tuple[str, Dict]) -> None:
    root = default_set[0]
    meta = _json(osp.join(root, 'meta.json'))
    events = set()
    for split, info in meta['splits'].items():
        for video in info['videos']:
            camera = video['camera']
            assert len(camera['transforms']) == video['nframes']
            kinds = {e['type'] for e in camera['events']}
            events |= kinds
            transforms = np.array(camera['transforms'])
            if 'pan' in kinds:
                assert np.ptp(transforms[:, 1]) > 50
            if 'zoom' in kinds:
                assert transforms[:, 0].max() / transforms[:, 0].min() > 1.1
            if 'shot_cut' in kinds:
                cut = next(e['frame'] for e in camera['events'] if e['type'] == 'shot_cut')
                folder = osp.join(root, 'images', split, video['name'])
                frames = [cv2.imread(osp.join(folder, f)).astype(float)
                          for f in sorted(os.listdir(folder))]
                diffs = [np.abs(a - b).mean() for a, b in zip(frames, frames[1:])]
                assert int(np.argmax(diffs)) == cut - 1
            if not kinds:
                assert np.ptp(transforms, axis=0).max() == 0
    assert {'pan', 'zoom', 'shot_cut'} <= events


def test_unlabeled_frames_and_ignore_regions(default_set: Tuple[str, Dict]) -> None:
    root = default_set[0]
    unlabeled = regions = 0
    for split in ('train', 'val'):
        for data in _videos(root, split).values():
            n = len(data['images'])
            start = max(0, (n - 20) // 2)
            for i, im in enumerate(data['images']):
                assert im['is_labeled'] == (i % 4 == 0 or start <= i < start + 20)
                unlabeled += not im['is_labeled']
                regions += len(im['ignore_regions_x']) > 0
    assert unlabeled > 0 and regions > 0


def test_determinism(tmp_path) -> None:

    def snapshot(root: str) -> Dict[str, bytes]:
        files = {}
        for dirpath, _, names in os.walk(root):
            for f in names:
                with open(osp.join(dirpath, f), 'rb') as fh:
                    files[osp.relpath(osp.join(dirpath, f), root)] = fh.read()
        return files

    for name, seed in (('a', 3), ('b', 3), ('c', 4)):
        synthetic.generate_synthetic_posetrack18(str(tmp_path / name), seed=seed, **SMALL)
    a, b, c = (snapshot(str(tmp_path / n)) for n in 'abc')
    assert a == b  # every JSON file and every image byte
    gt = osp.join('annotations', 'train', '000001_mpii_test.json')
    img = osp.join('images', 'train', '000001_mpii_test', '000000.jpg')
    assert a[gt] != c[gt] and a[img] != c[img]
    for split, name in (('train', '000001_mpii_test'), ('train', '000002_mpii_test'),
                        ('val', '000003_mpii_test')):
        _check_video(str(tmp_path / 'a'), split, name,
                     _json(str(tmp_path / 'a' / 'annotations' / split / f'{name}.json')), 96, 72)


@pytest.mark.parametrize('option,value', [
    ('num_videos', 0), ('num_val_videos', -1), ('num_frames', 0), ('width', -320),
    ('height', 0), ('max_people', 0), ('label_every', 0), ('seed', -1), ('length_jitter', 1.5),
    ('splits', ()), ('camera_modes', ('tilt', )), ('num_frames', 2.5)
])
def test_invalid_options(tmp_path, option: str, value) -> None:
    out = tmp_path / 'out'
    with pytest.raises(ValueError, match=option):
        synthetic.generate_synthetic_posetrack18(str(out), **{option: value})
    assert not out.exists()


def test_one_frame_videos(tmp_path) -> None:
    root = str(tmp_path / 'one')
    summary = synthetic.generate_synthetic_posetrack18(root, num_frames=1, num_videos=2,
                                                       num_val_videos=1, width=128, height=96)
    assert summary['splits']['train']['frames'] == 2
    for split in ('train', 'val'):
        for name, data in _videos(root, split).items():
            assert len(data['images']) == 1 and data['images'][0]['is_labeled']
            _check_video(root, split, name, data, 128, 96)
    meta = _json(osp.join(root, 'meta.json'))
    for info in meta['splits'].values():
        for video in info['videos']:
            assert video['camera']['events'] == [] and video['crossing'] is None


def test_existing_output(tmp_path) -> None:
    root = str(tmp_path / 'out')
    synthetic.generate_synthetic_posetrack18(root, **SMALL)
    with pytest.raises(FileExistsError):
        synthetic.generate_synthetic_posetrack18(root, **SMALL)
    synthetic.generate_synthetic_posetrack18(root, overwrite=True, **dict(SMALL, num_videos=1))
    assert sorted(os.listdir(osp.join(root, 'images', 'train'))) == ['000001_mpii_test']
    other = tmp_path / 'other'
    other.mkdir()
    (other / 'keep.txt').write_text('user data')
    with pytest.raises(FileExistsError):
        synthetic.generate_synthetic_posetrack18(str(other), overwrite=True, **SMALL)
    assert (other / 'keep.txt').read_text() == 'user data'


def test_cli(tmp_path) -> None:
    out = str(tmp_path / 'cli')
    args = [sys.executable, CLI, '--out', out, '--seed', '1', '--videos', '1', '--val-videos', '1',
            '--frames', '4', '--people', '2', '--width', '64', '--height', '48', '--write-video']
    done = subprocess.run(args, capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary['splits']['val']['videos'] == ['000002_mpii_test']
    cap = cv2.VideoCapture(osp.join(out, 'videos', 'train', '000001_mpii_test.mp4'))
    assert cap.isOpened() and cap.get(cv2.CAP_PROP_FRAME_COUNT) == \
        len(os.listdir(osp.join(out, 'images', 'train', '000001_mpii_test')))
    cap.release()
    bad = subprocess.run(args[:2] + ['--out', str(tmp_path / 'bad'), '--frames', '0'],
                         capture_output=True, text=True, cwd=REPO)
    assert bad.returncode != 0 and 'num_frames' in bad.stderr
