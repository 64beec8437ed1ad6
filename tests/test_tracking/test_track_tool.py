import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'track.py')


def _load_tool():
    spec = importlib.util.spec_from_file_location('track_tool', TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _video(vid: int, num_frames: int, people, rng, drop=()):
    """PoseTrack18-style detections: people walk; `drop` = (frame, person) pairs missing."""
    images, anns = [], []
    layouts = [rng.uniform(-1, 1, (17, 2)) * [40, 100] for _ in people]
    ann_id = vid * 100000
    for f in range(num_frames):
        img_id = int(f'1{vid:05d}{f:04d}')
        images.append(dict(id=img_id, frame_id=img_id, vid_id=vid, nframes=num_frames,
                           file_name=f'images/val/{vid:06d}_mpii_test/{f:06d}.jpg',
                           is_labeled=True))
        for p, (x0, vx) in enumerate(people):
            if (f, p) in drop:
                continue
            xy = layouts[p] + [x0 + vx * f, 300] + rng.normal(0, 1.0, (17, 2))
            sc = rng.uniform(0.3, 1.0, 17)
            kp = np.concatenate([xy, sc[:, None]], 1)
            x1, y1 = xy.min(0)
            x2, y2 = xy.max(0)
            ann_id += 1
            anns.append(dict(id=ann_id, image_id=img_id, category_id=1,
                             keypoints=kp.reshape(-1).tolist(), scores=sc.tolist(),
                             bbox=[x1, y1, x2 - x1, y2 - y1], score=float(sc.mean()),
                             gt_person=p))
    rng.shuffle(images)  # file order is not frame order
    rng.shuffle(anns)
    return dict(images=images, annotations=anns,
                categories=[dict(id=1, name='person', keypoints=[str(i) for i in range(17)])])


@pytest.fixture
def dets_dir(tmp_path):
    rng = np.random.default_rng(0)
    d = tmp_path / 'dets'
    d.mkdir()
    people = [(100, 5), (400, -3), (800, 0)]
    drop = {(3, 0), (4, 0), (7, 1)} | {(6, p) for p in range(3)}  # frame 6 is empty
    json.dump(_video(1, 12, people, rng, drop), open(d / '000001_mpii_test.json', 'w'))
    json.dump(_video(2, 5, [(200, 2)], rng), open(d / '000002_mpii_test.json', 'w'))
    empty = _video(3, 4, [], rng)
    json.dump(empty, open(d / '000003_mpii_test.json', 'w'))
    (d / 'notes.txt').write_text('ignored')
    return d


def _check(dets, out, expect_consistent=True):
    files = sorted(f for f in os.listdir(dets) if f.endswith('.json'))
    assert sorted(os.listdir(out)) == files
    for name in files:
        src = json.load(open(osp.join(dets, name)))
        res = json.load(open(osp.join(out, name)))
        assert res['images'] == src['images']
        assert [a['id'] for a in res['annotations']] == [a['id'] for a in src['annotations']]
        per_frame = {}
        for a, s in zip(res['annotations'], src['annotations']):
            assert a['keypoints'] == s['keypoints'] and a['bbox'] == s['bbox']
            t = a['track_id']
            assert isinstance(t, int) and 0 <= t < 10000
            per_frame.setdefault(a['image_id'], []).append(t)
        for ids in per_frame.values():
            assert len(ids) == len(set(ids))
        if expect_consistent:
            mapping = {}
            for a in res['annotations']:
                mapping.setdefault(a['gt_person'], set()).add(a['track_id'])
            # with retain >= 3 every person keeps one id through the gaps
            assert all(len(v) == 1 for v in mapping.values()), (name, mapping)
            assert len({min(v) for v in mapping.values()}) == len(mapping)
    return True


def test_track_tool_end_to_end_subprocess(dets_dir, tmp_path):
    out = tmp_path / 'pred'
    cmd = [sys.executable, TOOL, str(dets_dir), '--tracker',
           osp.join(ROOT, 'configs', 'trackers', 'oks_hungarian.py'), '--out', str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    _check(dets_dir, out)


@pytest.mark.parametrize('cfg', ['oks_greedy', 'iou_hungarian', 'iou_appearance', 'st_embed',
                                 'keypoint_matching'])
def test_track_tool_all_configs(dets_dir, tmp_path, cfg):
    tool = _load_tool()
    out = tmp_path / f'pred_{cfg}'
    rc = tool.main([str(dets_dir), '--tracker', osp.join(ROOT, 'configs', 'trackers', cfg + '.py'),
                    '--out', str(out)])
    assert rc == 0
    # greedy keeps only the previous frame: ids restart after the empty frame, still valid
    _check(dets_dir, out, expect_consistent=cfg in ('iou_hungarian', 'iou_appearance'))


def test_track_tool_options_and_errors(dets_dir, tmp_path):
    tool = _load_tool()
    out = tmp_path / 'pred'
    cfg = osp.join(ROOT, 'configs', 'trackers', 'oks_hungarian.py')
    assert tool.main([str(dets_dir), '--tracker', cfg, '--out', str(out),
                      '--joint-score-thr', '0.5']) == 0
    res = json.load(open(out / '000001_mpii_test.json'))
    for a in res['annotations']:
        kp = np.asarray(a['keypoints']).reshape(-1, 3)
        assert ((kp[:, 2] == 0) | (kp[:, 2] >= 0.5)).all()
        assert [s == 0 for s in a['scores']] == list(kp[:, 2] == 0)
    with pytest.raises(SystemExit):
        tool.main([str(tmp_path / 'nope'), '--tracker', cfg, '--out', str(out)])
    (tmp_path / 'emptydir').mkdir()
    with pytest.raises(SystemExit):
        tool.main([str(tmp_path / 'emptydir'), '--tracker', cfg, '--out', str(out)])


def test_compact_ids_reuses_ended_ids_only_beyond_the_limit():
    tool = _load_tool()
    frames = [np.array([5, 9]), np.array([9, 7]), np.array([7])]
    ids, n = tool.compact_ids(frames)
    assert [x.tolist() for x in ids] == [[0, 1], [1, 2], [2]] and n == 3
    old = tool.MAX_TRACK_ID
    tool.MAX_TRACK_ID = 2
    try:
        ids, n = tool.compact_ids(frames)
        assert n == 2
        for x in ids:
            assert len(set(x.tolist())) == len(x) and (x < 2).all()
    finally:
        tool.MAX_TRACK_ID = old


def test_frame_order_uses_file_name_index():
    tool = _load_tool()
    imgs = [dict(id=3, file_name='a/000010.jpg'), dict(id=1, file_name='a/000002.jpg'),
            dict(id=2, file_name='a/000006.jpg')]
    order, idx = tool.frame_order(imgs)
    assert order == [1, 2, 0] and idx == [0, 4, 8]
    dup = [dict(id=1, file_name='x.jpg'), dict(id=2, file_name='x.jpg')]
    assert tool.frame_order(dup)[1] == [0, 1]
