"""Bad input gives a clear error or a documented result; the exporter; the command line."""
import json
import os
import re
import os.path as osp
import subprocess
import sys
import warnings

import numpy as np
import pytest
from .pt_helpers import ROOT, gt_ann, load_eval_tool, pred_ann, video



def _write(d, name, data):
    os.makedirs(d, exist_ok=True)
    with open(osp.join(d, name + '.json'), 'w') as f:
        json.dump(data, f)


def _case(n=3):
    gt = {f: [gt_ann(f, 0, 0, f), gt_ann(f, 1, 1, f)] for f in range(n)}
    pr = {f: [pred_ann(f, 0, 10, f), pred_ann(f, 1, 20, f)] for f in range(n)}
    return video('000001_mpii_test', n, gt, pr)


def _dirs(tmp_path, g, p, name='000001_mpii_test'):
    gd, pd = str(tmp_path / 'gt'), str(tmp_path / 'pr')
    _write(gd, name, g)
    if p is not None:
        _write(pd, name, p)
    os.makedirs(pd, exist_ok=True)
    return gd, pd


def test_missing_prediction_file(F, tmp_path):
    g, _ = _case()
    gd, pd = _dirs(tmp_path, g, None)
    with pytest.raises(FileNotFoundError, match='000001_mpii_test'):
        F.evaluate_posetrack_dirs(gd, pd)
    with pytest.warns(UserWarning, match='no prediction file'):
        r = F.evaluate_posetrack_dirs(gd, pd, missing='empty')
    assert r['AP']['Total'] == 0
    assert r['Recall']['Total'] == 0


def test_different_number_of_frames(F, tmp_path):
    g, p = _case()
    p['images'] = p['images'][:2]
    gd, pd = _dirs(tmp_path, g, p)
    with pytest.raises(F.PoseTrackFormatError, match=r"000001_mpii_test.*prediction has 2 "
                                                     r"frames, ground truth 3"):
        F.evaluate_posetrack_dirs(gd, pd)


def test_nan_coordinates_and_scores_are_missing(F):
    g, p = _case()
    p['annotations'][0]['keypoints'][0] = float('nan')  # nose x of person 0, frame 0
    p['annotations'][1]['scores'][5] = float('nan')  # left shoulder score
    with pytest.warns(UserWarning) as w:
        pv = F.parse_posetrack18(p, 'vid', is_gt=False)
    msgs = ' '.join(str(x.message) for x in w)
    assert "frame 0" in msgs and 'nose' in msgs and 'left_shoulder' in msgs
    assert not pv.frames[0].visible[0, 13] and not pv.frames[0].visible[1, 9]
    assert pv.frames[0].visible.sum() == 28


def test_nan_written_by_json_is_read(F, tmp_path):
    """``json.dump`` writes NaN as a bare ``NaN`` token (not JSON; orjson refuses it): the file is
    read as ``json.load`` reads it and the joint is missing, with a warning."""
    g, p = _case()
    p['annotations'][0]['keypoints'][0] = float('nan')  # nose x of person 0, frame 0
    gd, pd = _dirs(tmp_path, g, p)
    with pytest.warns(UserWarning, match=r"frame 0, field 'annotations\[id=1\]'.keypoints\[nose\]"):
        r = F.evaluate_posetrack_dirs(gd, pd, strict=True)
    # 6 people x 15 joints, one nose missing: nose AP 5/6, every other joint 100
    assert r['per_joint']['AP'][13] == pytest.approx(100 * 5 / 6)
    assert r['AP']['Total'] == pytest.approx((14 * 100 + 100 * 5 / 6) / 15)


def test_duplicate_and_large_track_ids(F):
    g, p = _case()
    p['annotations'][1]['track_id'] = p['annotations'][0]['track_id']
    with pytest.raises(F.PoseTrackFormatError, match=r"frame 0.*duplicate track ids \[10\]"):
        F.parse_posetrack18(p, 'vid', is_gt=False)
    g, p = _case()
    p['annotations'][3]['track_id'] = 10000
    with pytest.raises(F.PoseTrackFormatError, match=r"frame 1.*track_id.*10000"):
        F.parse_posetrack18(p, 'vid', is_gt=False)
    del p['annotations'][3]['track_id']
    with pytest.raises(F.PoseTrackFormatError, match='track_id: missing'):
        F.parse_posetrack18(p, 'vid', is_gt=False)


def test_gt_without_head_box(F):
    g, _ = _case()
    del g['annotations'][2]['bbox_head']
    with pytest.raises(F.PoseTrackFormatError, match=r"video 'vid', frame 1.*bbox_head"):
        F.parse_posetrack18(g, 'vid', is_gt=True)


def test_malformed_json_and_names(F, tmp_path):
    g, p = _case()
    gd, pd = _dirs(tmp_path, g, p)
    with open(osp.join(pd, '000001_mpii_test.json'), 'w') as f:
        f.write('{"images": [')
    with pytest.raises(F.PoseTrackFormatError,
                       match=r'malformed JSON in PoseTrack18 prediction file .*pr/000001_mpii_test'
                             r'\.json: .* line 1 column 13 \(char 12\)'):
        F.evaluate_posetrack_dirs(gd, pd)
    bad = dict(p, categories=[dict(name='person', keypoints=['a'] * 17)])
    with pytest.raises(F.PoseTrackFormatError, match="Landmark 'right_ankle' not found"):
        F.parse_posetrack18(bad, 'vid', is_gt=False)


def test_15_joint_layout_equals_17(F):
    g, p = _case()
    p15 = json.loads(json.dumps(p))
    p15['categories'][0]['keypoints'] = list(F.POSEVAL_JOINTS)
    idx = [F.POSETRACK18_COCO_NAMES.index(n) for n in F.POSEVAL_JOINTS]
    for a in p15['annotations']:
        k = np.array(a['keypoints']).reshape(17, 3)[idx]
        a['keypoints'] = k.reshape(-1).tolist()
        a['scores'] = [a['scores'][i] for i in idx]
    a17 = F.parse_posetrack18(p, 'v', False)
    a15 = F.parse_posetrack18(p15, 'v', False)
    for f17, f15 in zip(a17.frames, a15.frames):
        np.testing.assert_array_equal(f17.keypoints, f15.keypoints)
        np.testing.assert_array_equal(f17.visible, f15.visible)


def test_exporter_round_trip(F):
    g, _ = _case(4)
    gv = F.parse_posetrack18(g, 'v', True)
    # tracked results keyed by image id, given in scrambled order; one frame as per-person dicts
    results = {}
    for f in (3, 1, 0):
        img = g['images'][f]
        kp = np.stack([gv.frames[f].keypoints[0], gv.frames[f].keypoints[1]])  # poseval order
        results[img['id']] = dict(track_ids=np.array([7, 8]), keypoints=kp,
                                  keypoint_scores=np.full((2, 15), 0.9),
                                  bboxes=np.array([[0, 0, 10, 20], [5, 5, 15, 25]]),
                                  bbox_scores=np.array([0.8, 0.7]))
    k17 = np.array(g['annotations'][4]['keypoints']).reshape(17, 3)[:, :2]
    results[g['images'][2]['id']] = [
        dict(track_id=7, keypoints=k17, scores=np.linspace(0, 1, 17), bbox=[0, 0, 5, 5]),
        dict(track_id=8, keypoints=np.array(g['annotations'][5]['keypoints']).reshape(17, 3),
             keypoint_scores=np.full(17, 0.9))]
    out = F.export_posetrack18(g['images'], results, score_thr=0.3)
    assert [i['id'] for i in out['images']] == [i['id'] for i in g['images']]
    a = [x for x in out['annotations'] if x['image_id'] == g['images'][2]['id']][0]
    assert a['keypoints'][:3] == [0, 0, 0]  # nose score 0 < 0.3: written as missing
    assert out['annotations'][0]['bbox'] == [0.0, 0.0, 10.0, 20.0]
    pv = F.parse_posetrack18(out, 'v', False)
    r = F.evaluate_posetrack([gv], [pv], strict=True)
    # frame 2, person 0 (track 7): scores k / 16 < 0.3 for slots 0-4, so its nose, neck and head
    # top are written as missing: per head joint 1 miss in 8 objects, found 7 of 8 (precision 1);
    # every other joint is perfect, and track 7 keeps its ground truth (no switch)
    assert r['counts']['num_misses'] == [0] * 12 + [1, 1, 1]
    assert r['counts']['num_switches'] == [0] * 15
    for k in ('MOTA', 'AP'):
        assert r[k]['Head'] == pytest.approx(87.5)
        assert r[k]['Wri'] == pytest.approx(100)
        assert r[k]['Total'] == pytest.approx((12 * 100 + 3 * 87.5) / 15)


def test_real_files_perfect(F, shared_data):
    """The real PoseTrack18 sample files against themselves: 100 everywhere (strict: their one
    labeled frame is counted)."""
    REAL = osp.join(shared_data, 'posetrack18', 'annotations', 'val')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        r = F.evaluate_posetrack_dirs(REAL, REAL, strict=True)
    for k in ('AP', 'MOTA', 'HOTA'):
        assert r[k]['Total'] == pytest.approx(100), k
    n = 0  # annotated joints counted straight from the files (ears excluded)
    for name in os.listdir(REAL):
        for a in json.load(open(osp.join(REAL, name)))['annotations']:
            k = np.array(a['keypoints']).reshape(17, 3)
            n += int((np.delete(k, [3, 4], 0) != 0).any(1).sum())
    # one ground-truth joint (003418, right_knee at (1416, 429)) lies inside an ignore region
    assert sum(r['counts']['num_objects']) == n - 1


def test_command_line(tmp_path):
    g, p = _case(4)
    p['annotations'] = [a for a in p['annotations'] if a['image_id'] != g['images'][1]['id']]
    gd, pd = _dirs(tmp_path, g, p)
    out = str(tmp_path / 'm.json')
    env = dict(os.environ, PYTHONPATH=ROOT)  # the checkout under test, installed or not
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'eval_posetrack.py'), gd, pd, '--out', out]
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert run.returncode == 0, run.stderr
    assert 'Total' in run.stdout and 'MOTA' in run.stdout
    m = json.load(open(out))
    for k in ('AP', 'MOTA', 'MOTP', 'HOTA'):
        assert set(m[k]) == {'Head', 'Shou', 'Elb', 'Wri', 'Hip', 'Knee', 'Ankl', 'Total'}
    assert m['MOTA']['Total'] == pytest.approx(100 * (1 - 2 / 5))  # empty frame quirk
    run = subprocess.run(cmd + ['--strict'], capture_output=True, text=True, env=env)
    assert json.load(open(out))['MOTA']['Total'] == pytest.approx(75)
    # torch/mmpose are not needed: the tool must not import them
    probe = ('import sys, runpy; sys.argv = %r; '
             'sys.modules["torch"] = None; sys.modules["mmpose"] = None\n'
             'try:\n    runpy.run_path(%r, run_name="__main__")\nexcept SystemExit as e:\n'
             '    assert e.code == 0, e.code' % (cmd[1:], cmd[1]))
    run = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    # bad input: a clear error, exit code 2
    os.remove(osp.join(pd, '000001_mpii_test.json'))
    run = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert run.returncode == 2 and '000001_mpii_test' in run.stderr


def _break(g, p, what):
    """Damage one field of the ground truth ``g`` or the predictions ``p`` (frame 1)."""
    if what == 'keypoints':
        p['annotations'][2]['keypoints'] = p['annotations'][2]['keypoints'][:50]
    elif what == 'scores':
        p['annotations'][3]['scores'] = ['high'] * 17
    elif what == 'track_id':
        p['annotations'][2]['track_id'] = 'seven'
    elif what == 'bbox_head':
        del g['annotations'][2]['bbox_head']
    elif what == 'ignore_regions':
        g['images'][1]['ignore_regions_x'] = [[10, 20, 30]]
        g['images'][1]['ignore_regions_y'] = [[10, 20]]
    elif what == 'categories':
        p['categories'] = []


@pytest.mark.parametrize('what, side, msg', [
    ('keypoints', 'pr', r"frame 1, field 'annotations\[id=3\]'.keypoints: 50 values"),
    ('scores', 'pr', r"frame 1, field 'annotations\[id=4\]'.scores: not a list of numbers"),
    ('track_id', 'pr', r"frame 1, field 'annotations\[id=3\]'.track_id: .*'seven'"),
    ('bbox_head', 'gt', r"frame 1, field 'annotations\[id=3\]'.bbox_head: missing"),
    ('ignore_regions', 'gt', r'frame 1: field "ignore_regions_x\[0\]" has 3 numbers'),
    ('categories', 'pr', r"field 'categories': missing or empty"),
])
def test_command_names_file_frame_field(tmp_path, capsys, what, side, msg):
    g, p = _case()
    _break(g, p, what)
    gd, pd = _dirs(tmp_path, g, p)
    tool = load_eval_tool()
    assert tool.main([gd, pd, '--out', str(tmp_path / 'm.json')]) == 2
    err = capsys.readouterr().err.strip()
    path = osp.join(gd if side == 'gt' else pd, '000001_mpii_test.json')
    assert err.count('\n') == 0, err
    assert err.startswith(f"error: {path}: video '000001_mpii_test'"), err
    assert re.search(msg, err), err
    assert not osp.exists(tmp_path / 'm.json')


@pytest.mark.parametrize('text, msg', [
    ('', 'the file is empty'), ('{"images": [', r'line 1 column 13 \(char 12\).*truncated'),
    ('{"images": [1,, 2]}', r'line 1 column 15 \(char 14\)')])
def test_command_malformed_json(tmp_path, capsys, text, msg):
    g, p = _case()
    gd, pd = _dirs(tmp_path, g, p)
    with open(osp.join(pd, '000001_mpii_test.json'), 'w') as f:
        f.write(text)
    assert load_eval_tool().main([gd, pd, '--out', str(tmp_path / 'm.json')]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count('\n') == 0 and re.search(
        r'^error: malformed JSON in PoseTrack18 prediction file .*pr/000001_mpii_test.json: .*'
        + msg, err), err
