"""tools/analysis_tools/compare_trackers.py: one row per tracker, each equal to tracking the same
files with tools/track.py's function and scoring them with the evaluation's."""
import importlib.util
import json
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'analysis_tools', 'compare_trackers.py')
TRK = osp.join(ROOT, 'configs', 'trackers')


def _tool():
    spec = importlib.util.spec_from_file_location('compare_trackers', TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_rows_equal_track_then_evaluate(tiny_synthetic, tmp_path):
    from mmpose_track.apis.tracking import track_folder
    from mmpose_track.evaluation.functional import evaluate_posetrack_dirs
    from mmpose_track.tracking import build_tracker
    dets = osp.join(tiny_synthetic, 'detections', 'val')
    gt = osp.join(tiny_synthetic, 'annotations', 'val')
    cfgs = [osp.join(TRK, 'oks_greedy.py'), osp.join(TRK, 'oks_kalman_cmc_byte_stitch.py')]
    out = tmp_path / 'table.json'
    assert _tool().main([dets, gt, *cfgs, '--names', 'greedy', 'ours', '--out', str(out),
                         '--work-dir', str(tmp_path / 'w')]) == 0
    rows = json.load(open(out))
    assert [r['name'] for r in rows] == ['greedy', 'ours']
    for r, cfg in zip(rows, cfgs):
        track_folder(dets, str(tmp_path / r['name']), build_tracker(cfg))
        res = evaluate_posetrack_dirs(gt, str(tmp_path / r['name']))
        assert r['MOTA'] == pytest.approx(res['MOTA']['Total'])
        assert r['IDSW'] == sum(res['counts']['num_switches'][:15])
        assert r['HOTA'] == pytest.approx(res['HOTA']['Total'])


def test_bad_input_is_one_line(tmp_path, capsys):
    assert _tool().main([str(tmp_path / 'none'), str(tmp_path), osp.join(TRK, 'oks_greedy.py')]) \
        == 2
    assert capsys.readouterr().err.startswith('error:')
    assert _tool().main([str(tmp_path), str(tmp_path), osp.join(TRK, 'oks_greedy.py'),
                         '--names', 'a', 'b']) == 2
