"""tools/track.py and its library (mmpose_track.apis.tracking): tracked files keep every
annotation, ids follow the people (ground truth ``gt_person``), bad input stops with one line
naming the file, the id and the field."""
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from mmpose_track.apis.tracking import compact_ids, frame_order, track_video
from mmpose_track.structures.posetrack18_format import PoseTrackFormatError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'track.py')
OKS_HUNGARIAN = osp.join(ROOT, 'configs', 'trackers', 'oks_hungarian.py')


def _load_tool():
    """The command's module (tools/ is not a package)."""
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
                                 'keypoint_matching', 'oks_kalman', 'oks_cmc', 'oks_kalman_cmc',
                                 'oks_kalman_cmc_byte_stitch', 'mmdet_bytetrack'])
def test_track_tool_all_configs(dets_dir, tmp_path, cfg):
    tool = _load_tool()
    out = tmp_path / f'pred_{cfg}'
    rc = tool.main([str(dets_dir), '--tracker', osp.join(ROOT, 'configs', 'trackers', cfg + '.py'),
                    '--out', str(out)])
    assert rc == 0
    # greedy keeps only the previous frame: ids restart after the empty frame, still valid
    _check(dets_dir, out, expect_consistent=cfg in ('iou_hungarian', 'iou_appearance',
                                                    'oks_kalman', 'oks_cmc', 'oks_kalman_cmc',
                                                    'oks_kalman_cmc_byte_stitch'))


def test_track_tool_default_tracker_is_oks_kalman_cmc(dets_dir, tmp_path):
    """Without --tracker the command tracks with configs/trackers/oks_kalman_cmc.py: its files
    are byte-identical to those of naming that config."""
    tool = _load_tool()
    assert tool.main([str(dets_dir), '--out', str(tmp_path / 'default')]) == 0
    assert tool.main([str(dets_dir), '--tracker', osp.join(ROOT, 'configs', 'trackers',
                                                           'oks_kalman_cmc.py'),
                      '--out', str(tmp_path / 'named')]) == 0
    for name in os.listdir(dets_dir):
        if name.endswith('.json'):
            assert (tmp_path / 'default' / name).read_bytes() == \
                (tmp_path / 'named' / name).read_bytes()
    _check(dets_dir, tmp_path / 'default')


def test_track_tool_options_and_errors(dets_dir, tmp_path, capsys):
    tool = _load_tool()
    out = tmp_path / 'pred'
    assert tool.main([str(dets_dir), '--tracker', OKS_HUNGARIAN, '--out', str(out),
                      '--joint-score-thr', '0.5']) == 0
    src = {a['id']: a for a in json.load(open(dets_dir / '000001_mpii_test.json'))['annotations']}
    res = json.load(open(out / '000001_mpii_test.json'))
    for a in res['annotations']:
        kp = np.asarray(a['keypoints']).reshape(-1, 3)
        orig = np.asarray(src[a['id']]['keypoints']).reshape(-1, 3)
        low = orig[:, 2] < 0.5
        np.testing.assert_array_equal(kp[:, 2], np.where(low, 0, orig[:, 2]))
        np.testing.assert_array_equal(kp[:, :2], orig[:, :2])
        assert a['scores'] == [0.0 if z else s for s, z in zip(src[a['id']]['scores'], low)]
    capsys.readouterr()
    assert tool.main([str(tmp_path / 'nope'), '--tracker', OKS_HUNGARIAN, '--out',
                      str(out)]) == 2
    assert capsys.readouterr().err.strip() == f'track.py: error: not a folder: {tmp_path / "nope"}'
    (tmp_path / 'emptydir').mkdir()
    assert tool.main([str(tmp_path / 'emptydir'), '--tracker', OKS_HUNGARIAN, '--out',
                      str(out)]) == 2
    assert 'no .json files in' in capsys.readouterr().err
    assert tool.main([str(dets_dir), '--tracker', str(tmp_path / 'none.py'), '--out',
                      str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and 'none.py' in err


def test_drop_short_tracks_removes_exactly_the_short_tracks(tmp_path):
    """A person seen in 2 frames of 12 is a track of length 2: with min_track_length 3 its
    annotations go, everyone else's stay."""
    from mmpose_track.tracking import build_tracker
    rng = np.random.default_rng(1)
    drop = {(f, 1) for f in range(12) if f not in (4, 5)}
    video = _video(1, 12, [(100, 2), (600, 0)], rng, drop)
    tracker = build_tracker(dict(type='OKSHungarianTracker', num_frames_retain=5,
                                 min_track_length=3))
    res = track_video(video, tracker, drop_short=True)
    kept = sorted(a['id'] for a in res['annotations'])
    assert kept == sorted(a['id'] for a in video['annotations'] if a['gt_person'] == 0)
    assert len({a['track_id'] for a in res['annotations']}) == 1


# ------------------------------------------------------------------------------ bad input
def _one_video(tmp_path, rng_seed=0):
    d = tmp_path / 'dets'
    d.mkdir(exist_ok=True)
    video = _video(7, 4, [(100, 2), (500, -2)], np.random.default_rng(rng_seed))
    return d, video


def _run_bad(tmp_path, capsys, name, content, *extra):
    """Run the command on one bad file; it must exit 2 with one line and write nothing."""
    d = tmp_path / 'dets'
    d.mkdir(exist_ok=True)
    path = d / name
    if isinstance(content, (bytes, str)):
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    else:
        path.write_text(json.dumps(content))
    out = tmp_path / 'pred'
    capsys.readouterr()
    rc = _load_tool().main([str(d), '--tracker', OKS_HUNGARIAN, '--out', str(out), *extra])
    cap = capsys.readouterr()
    assert rc == 2, cap
    lines = cap.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith('track.py: error: '), cap.err
    assert 'Traceback' not in cap.err and cap.out == ''
    assert str(path) in lines[0]
    assert not out.exists() or not os.listdir(out)  # nothing written
    return lines[0]


def _bad_ann(video, **changes):
    """The video with its first annotation changed (``None`` removes a field); that
    annotation's id."""
    video = json.loads(json.dumps(video))
    ann = video['annotations'][0]
    for k, v in changes.items():
        if v is None:
            ann.pop(k, None)
        else:
            ann[k] = v
    return video, ann['id']


def test_truncated_and_empty_files(tmp_path, capsys):
    _, video = _one_video(tmp_path)
    text = json.dumps(video)
    msg = _run_bad(tmp_path, capsys, 'a.json', text[:len(text) // 2])
    assert 'malformed JSON' in msg and 'truncated' in msg
    (tmp_path / 'dets' / 'a.json').unlink()
    msg = _run_bad(tmp_path, capsys, 'b.json', '')
    assert 'empty' in msg
    (tmp_path / 'dets' / 'b.json').unlink()
    msg = _run_bad(tmp_path, capsys, 'c.json', [1, 2])
    assert 'PoseTrack18 object' in msg


@pytest.mark.parametrize('field,value,words', [
    ('keypoints', list(range(50)), ['"keypoints"', '51 numbers', 'got 50']),
    ('keypoints', ['a'] * 51, ['"keypoints"', 'must hold numbers']),
    ('keypoints', None, ['missing field "keypoints"']),
    ('score', 'high', ['"score"', 'finite number']),
    ('score', [0.5], ['"score"', 'finite number']),
    ('bbox', [1, 2, 3], ['"bbox"', '4 numbers']),
    ('bbox', [1, 2, -3, 4], ['"bbox"', 'negative']),
    ('image_id', 123, ['"image_id"', '123', 'cannot be placed in a frame']),
    ('image_id', None, ['missing field "image_id"', 'cannot be placed in a frame']),
])
def test_malformed_annotation_is_named(tmp_path, capsys, field, value, words):
    _, video = _one_video(tmp_path)
    bad, ann_id = _bad_ann(video, **{field: value})
    msg = _run_bad(tmp_path, capsys, 'v.json', bad)
    assert f'annotation id {ann_id}' in msg
    for w in words:
        assert w in msg, (w, msg)


def test_nan_score_in_file_is_named(tmp_path, capsys):
    """NaN as Python's ``json`` writes it (a bare ``NaN`` token, which ``json`` reads back)."""
    _, video = _one_video(tmp_path)
    bad, ann_id = _bad_ann(video, score=float('nan'))
    msg = _run_bad(tmp_path, capsys, 'v.json', json.dumps(bad))
    assert f'annotation id {ann_id}' in msg and '"score"' in msg


def test_nan_score_and_keypoint_are_named():
    from mmpose_track.tracking import build_tracker
    video = _video(7, 4, [(100, 2), (500, -2)], np.random.default_rng(0))
    tracker = build_tracker(OKS_HUNGARIAN)
    bad, ann_id = _bad_ann(video, score=float('nan'))
    with pytest.raises(PoseTrackFormatError,
                       match=rf'^mem.json: annotation id {ann_id} .*"score" must be a finite'):
        track_video(bad, tracker, source='mem.json')
    kp = list(video['annotations'][0]['keypoints'])
    kp[4] = float('inf')
    bad, ann_id = _bad_ann(video, keypoints=kp)
    with pytest.raises(PoseTrackFormatError,
                       match=rf'^mem.json: annotation id {ann_id} .*"keypoints" holds non-finite'):
        track_video(bad, tracker, source='mem.json')


def test_bad_images_are_named(tmp_path, capsys):
    _, video = _one_video(tmp_path)
    bad = json.loads(json.dumps(video))
    img = bad['images'][1]
    bad['images'][2]['file_name'] = img['file_name']  # two images, one frame number
    msg = _run_bad(tmp_path, capsys, 'v.json', bad)
    assert f'image id {img["id"]}' in msg and '"file_name"' in msg and 'both frame' in msg
    bad = json.loads(json.dumps(video))
    bad['images'][0]['file_name'] = 'images/val/other_video/000000.jpg'
    msg = _run_bad(tmp_path, capsys, 'v.json', bad)
    assert '2 videos' in msg and '"file_name"' in msg
    bad = json.loads(json.dumps(video))
    bad['images'][3]['id'] = bad['images'][0]['id']
    msg = _run_bad(tmp_path, capsys, 'v.json', bad)
    assert f'image id {bad["images"][0]["id"]}' in msg and '"id"' in msg
    bad = json.loads(json.dumps(video))
    del bad['images']
    assert '"images"' in _run_bad(tmp_path, capsys, 'v.json', bad)


def test_missing_feature_is_named(tmp_path, capsys):
    _, video = _one_video(tmp_path)
    for i, a in enumerate(video['annotations']):
        a['embeddings'] = [float(i), 1.0]
    bad, ann_id = _bad_ann(video, embeddings=None)
    msg = _run_bad(tmp_path, capsys, 'v.json', bad, '--features', 'embeddings')
    assert f'annotation id {ann_id}' in msg and 'missing field "embeddings"' in msg
    bad, ann_id = _bad_ann(video, embeddings=[1.0, 2.0, 3.0])
    msg = _run_bad(tmp_path, capsys, 'v.json', bad, '--features', 'embeddings')
    assert '"embeddings"' in msg and 'shape' in msg


def test_documented_results_for_optional_fields():
    """No ``bbox``: the tight box of the joints scored > 0 is tracked (same ids as with the
    boxes written out); no ``score``: kept as is; no ``annotations``: no people."""
    from mmpose_track.tracking import build_tracker
    rng = np.random.default_rng(3)
    video = _video(2, 8, [(100, 3), (500, -3)], rng)
    tracker = build_tracker(dict(type='IoUHungarianTracker', num_frames_retain=3))
    no_box = json.loads(json.dumps(video))
    for a in no_box['annotations']:
        kp = np.asarray(a['keypoints']).reshape(-1, 3)
        (x1, y1), (x2, y2) = kp[:, :2].min(0), kp[:, :2].max(0)
        a['bbox'] = [x1, y1, x2 - x1, y2 - y1]  # what the tool derives: all joints score > 0
    ref = track_video(no_box, tracker)
    for a in no_box['annotations']:
        del a['bbox'], a['score']
    res = track_video(no_box, tracker)
    assert [a['track_id'] for a in res['annotations']] == \
        [a['track_id'] for a in ref['annotations']]
    assert all('bbox' not in a and 'score' not in a for a in res['annotations'])
    empty = dict(images=video['images'])
    assert track_video(empty, tracker)['images'] == video['images']


def test_compact_ids_reuses_ended_ids_only_beyond_the_limit():
    frames = [np.array([5, 9]), np.array([9, 7]), np.array([7])]
    ids, n = compact_ids(frames)
    assert [x.tolist() for x in ids] == [[0, 1], [1, 2], [2]] and n == 3
    # limit 2: track 5 (frame 0 only) ends before track 7 starts (frame 1), so 7 takes its id 0
    ids, n = compact_ids(frames, max_track_id=2)
    assert [x.tolist() for x in ids] == [[0, 1], [1, 0], [0]] and n == 2
    with pytest.raises(RuntimeError, match='more than 1 simultaneous'):
        compact_ids(frames, max_track_id=1)


def test_frame_order_uses_the_shared_frame_index_rule():
    imgs = [dict(id=3, file_name='a/000010.jpg'), dict(id=1, file_name='a/000002.jpg'),
            dict(id=2, file_name='a/000006.jpg')]
    order, idx = frame_order(imgs)
    assert order == [1, 2, 0] and idx == [2, 6, 10]  # the file-name numbers, gaps kept
    named = [dict(id=1, file_name='a/x.jpg'), dict(id=2, file_name='a/y.jpg')]
    assert frame_order(named) == ([0, 1], [0, 1])  # no numbers: the position in the file
    with pytest.raises(PoseTrackFormatError, match='image id 1 and image id 2 are both frame 4'):
        frame_order([dict(id=1, file_name='a/4.jpg'), dict(id=2, file_name='b/4.jpg')])
