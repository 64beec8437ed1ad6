"""Per-joint score thresholds fitted for MOTA (clip tracking, Sec. 4.1) on a hand-made case."""
import json

import numpy as np
import pytest

from .pt_helpers import gt_ann, load_functional, pred_ann, video

# a false-positive person scored per joint (COCO order); the true person scores 0.8 everywhere
FP_SCORES = np.array([0.3, 0.3, 0.3, 0.0, 0.0, 0.6, 0.6, 0.1, 0.1, 0.45, 0.45, 0.6, 0.6, 0.3,
                      0.3, 0.0, 0.0])


def _case(n=5):
    gt = {f: [gt_ann(f, 0, 0, f)] for f in range(n)}
    pr = {}
    for f in range(n):
        fp = pred_ann(f, 2, 7, f)  # person 2 of pt_helpers: 400 px away, no ground truth
        fp['scores'] = FP_SCORES.tolist()
        pr[f] = [pred_ann(f, 0, 1, f, score=0.8), fp]
    return video('000001_mpii_test', n, gt, pr)


def _parse(F, g, p):
    return (F.parse_posetrack18(g, '000001_mpii_test', is_gt=True),
            F.parse_posetrack18(p, '000001_mpii_test', is_gt=False))


def test_fitted_threshold_is_the_lowest_that_removes_the_false_positive():
    """For joint j: at tau <= s_fp[j] the false positive costs one FP per frame (MOTA 0 with one
    ground truth per frame); above it MOTA is 100 until tau > 0.8 drops the true joint. The best
    grid value is the smallest one above s_fp[j] (by hand, per joint)."""
    F = load_functional()
    gt, pr = _parse(F, *_case())
    res = F.fit_joint_thresholds([gt], [pr])
    grid = np.asarray(F.DEFAULT_GRID)
    expect = {k: grid[grid > FP_SCORES[k]].min() for k in range(17) if k not in (3, 4)}
    for k, v in expect.items():
        assert res['thresholds'][k] == pytest.approx(v), k
    assert res['mota_fitted_total'] == pytest.approx(100.0)
    # the table (4 counted frames: poseval leaves out the last): tau = 0 keeps one false
    # positive per frame, 1 - 4/4 = 0; tau = 0.85 misses the true joint in every frame, also 0
    table = np.asarray(res['mota'])
    np.testing.assert_allclose(table[0], 0.0)
    i85 = int(np.nonzero(np.isclose(grid, 0.85))[0][0])
    np.testing.assert_allclose(table[i85], 0.0)
    # poseval order agrees with the COCO order through the map
    from mmpose_track.structures.posetrack18_format import COCO17_TO_POSEVAL
    np.testing.assert_allclose(res['poseval_thresholds'],
                               np.asarray(res['thresholds'])[COCO17_TO_POSEVAL])


def test_thresholds_plug_into_the_export_and_the_metric_file(tmp_path):
    F = load_functional()
    g, p = _case()
    gt, pr = _parse(F, g, p)
    res = F.fit_joint_thresholds([gt], [pr])
    path = tmp_path / 'thresholds.json'
    json.dump(res, open(path, 'w'))
    thr = F.load_joint_thresholds(str(path))
    assert thr == res['thresholds']
    # exporting with them removes the false positive's joints: MOTA 100
    frames = {}
    for a in p['annotations']:
        k = np.asarray(a['keypoints']).reshape(17, 3)
        r = frames.setdefault(a['image_id'], dict(keypoints=[], keypoint_scores=[],
                                                  track_ids=[]))
        r['keypoints'].append(k[:, :2])
        r['keypoint_scores'].append(a['scores'])
        r['track_ids'].append(a['track_id'])
    frames = {k: {n: np.asarray(v) for n, v in r.items()} for k, r in frames.items()}
    out = F.export_posetrack18(g['images'], frames, score_thr=thr, video='000001_mpii_test')
    m = F.evaluate_posetrack([gt], [F.parse_posetrack18(out, '000001_mpii_test', False)],
                             hota=False)
    assert m['MOTA']['Total'] == pytest.approx(100.0)
    with pytest.raises(ValueError, match='17 per-joint'):
        F.export_posetrack18(g['images'], frames, score_thr=[0.5] * 15)
    bad = tmp_path / 'bad.json'
    json.dump({'thresholds': [0.5] * 3}, open(bad, 'w'))
    with pytest.raises(ValueError, match='bad.json: expected "thresholds": 17'):
        F.load_joint_thresholds(str(bad))


def test_metric_accepts_the_thresholds_file(tmp_path):
    from mmpose.registry import METRICS
    import mmpose_track.register_all  # noqa: F401
    path = tmp_path / 't.json'
    json.dump({'thresholds': [0.25] * 17}, open(path, 'w'))
    metric = METRICS.build(dict(type='PoseTrackMetric', gt_dir=str(tmp_path), score_thr=str(path)))
    assert metric.score_thr == [0.25] * 17
    with pytest.raises(ValueError, match='17 per-joint'):
        METRICS.build(dict(type='PoseTrackMetric', gt_dir=str(tmp_path), score_thr=[0.3] * 4))


def test_bad_input():
    F = load_functional()
    gt, pr = _parse(F, *_case())
    with pytest.raises(ValueError, match='paired videos'):
        F.fit_joint_thresholds([gt], [])
    with pytest.raises(ValueError, match='grid'):
        F.fit_joint_thresholds([gt], [pr], grid=[])


def test_tool_on_prediction_folders(tmp_path, capsys):
    """tools/analysis_tools/fit_joint_thresholds.py on the hand-made case: the file it writes
    holds the same thresholds as the function, and a missing folder is one line, exit 2."""
    import importlib.util
    import os.path as osp
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    spec = importlib.util.spec_from_file_location(
        'fit_tool', osp.join(root, 'tools', 'analysis_tools', 'fit_joint_thresholds.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    F = load_functional()
    g, p = _case()
    for sub, d in (('gt', g), ('pred', p)):
        (tmp_path / sub).mkdir()
        json.dump(d, open(tmp_path / sub / '000001_mpii_test.json', 'w'))
    out = tmp_path / 'thr.json'
    assert tool.main([str(tmp_path / 'gt'), str(tmp_path / 'pred'), '--out', str(out)]) == 0
    expect = F.fit_joint_thresholds(*([v] for v in _parse(F, g, p)))
    assert json.load(open(out))['thresholds'] == expect['thresholds']
    assert F.load_joint_thresholds(str(out)) == expect['thresholds']
    capsys.readouterr()
    assert tool.main([str(tmp_path / 'gt'), str(tmp_path / 'nope'), '--out', str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('error:') and 'nope' in err[0]
