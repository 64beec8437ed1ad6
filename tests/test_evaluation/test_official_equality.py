"""The evaluation equals the official one (poseval).

* ``../shared/data/poseval_fixtures``: PoseTrack18 cases (real poses moved over frames, with
  jitter, missing joints and scores, identity swaps, empty frames and false positives, real and
  synthetic ignore regions, unlabeled frames, several videos, a crowd) and the numbers the official
  ``python -m poseval.evaluate -e -t`` printed for them (``expected.json``: per-joint AP, MOTA,
  MOTP, precision, recall and the grouped totals). ``tools/eval_posetrack.py`` and
  ``PoseTrackMetric`` (fed the same predictions as frame-level ``PoseDataSample``s) must reproduce
  them to 1e-6.
* random cases against ``poseval_reference`` (the loop-based literal re-implementation of poseval
  and of motmetrics' update rule).
"""
import json
import math
import os
import os.path as osp
import warnings

import numpy as np
import pytest
from .posetrack_synth import make_case, write_case
from .pt_helpers import load_eval_tool

from . import poseval_reference as R

CASES = ('c01_perfect', 'c02_jitter', 'c03_missing_joints_scores', 'c04_track_swaps',
         'c05_empty_frames_false_pos', 'c06_ignore_unlabeled', 'c07_multi_video_mix',
         'c08_crowd_ambiguity')
GROUPS = ('Head', 'Shou', 'Elb', 'Wri', 'Hip', 'Knee', 'Ankl', 'Total')
# our names of poseval's per-joint rows
ROWS = {'AP': 'AP', 'MOTA': 'MOTA', 'MOTP': 'MOTP', 'PRE': 'Precision', 'REC': 'Recall'}
TOL = 1e-6


def _case(shared_data, name):
    d = osp.join(shared_data, 'poseval_fixtures', name)
    with open(osp.join(d, 'expected.json')) as f:
        return osp.join(d, 'gt'), osp.join(d, 'pred'), json.load(f)


def _num(v):
    return float('nan') if v is None else float(v)


def _close(a, b):
    a, b = _num(a), _num(b)
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= TOL


def test_every_fixture_is_listed(shared_data):
    found = sorted(n for n in os.listdir(osp.join(shared_data, 'poseval_fixtures'))
                   if osp.isfile(osp.join(shared_data, 'poseval_fixtures', n, 'expected.json')))
    assert found == sorted(CASES)


@pytest.fixture(scope='module')
def eval_tool():
    return load_eval_tool()


@pytest.mark.parametrize('case', CASES)
def test_command_equals_official(eval_tool, shared_data, tmp_path, case):
    gt, pred, exp = _case(shared_data, case)
    out = str(tmp_path / 'metrics.json')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        assert eval_tool.main([gt, pred, '--out', out]) == 0
    with open(out) as f:
        got = json.load(f)
    bad = []
    for k in ('AP', 'MOTA'):
        for g in GROUPS:
            if not _close(got[k][g], exp[k][g]):
                bad.append(f'{k} {g}: {got[k][g]} != {exp[k][g]}')
    names = exp['per_joint']['names'] + ['total']
    for theirs, ours in ROWS.items():
        for j, (a, b) in enumerate(zip(got['per_joint'][ours], exp['per_joint'][theirs])):
            if not _close(a, b):
                bad.append(f'{theirs}[{names[j]}]: {a} != {b}')
    assert len(got['per_joint']['AP']) == len(exp['per_joint']['AP']) == 16
    assert not bad, f'{case}: ' + '; '.join(bad)


def _samples(gt_dir, pred_dir):
    """Frame-level samples carrying exactly the predictions of the files: missing joints
    ``(0, 0, 0)`` as NaN, a person without ``scores`` with poseval's score -9999."""
    from mmengine.structures import InstanceData
    from mmpose.structures import PoseDataSample
    out = []
    for name in sorted(os.listdir(gt_dir)):
        with open(osp.join(pred_dir, name)) as f:
            pred = json.load(f)
        by_image = {}
        for a in pred['annotations']:
            by_image.setdefault(a['image_id'], []).append(a)
        for t, img in enumerate(pred['images']):
            anns = by_image.get(img['id'], [])
            k = np.array([a['keypoints'] for a in anns], float).reshape(-1, 17, 3)
            s = np.array([a['scores'] if a.get('scores') else [-9999.0] * 17 for a in anns],
                         float).reshape(-1, 17)
            xy = np.where((k == 0).all(-1, keepdims=True), np.nan, k[..., :2])
            ds = PoseDataSample(metainfo=dict(video_id=name[:-5], frame_idx=t, img_id=img['id'],
                                              img_path=img['file_name']))
            ds.pred_instances = InstanceData(
                keypoints=xy, keypoint_scores=s,
                track_ids=np.array([a['track_id'] for a in anns], np.int64))
            out.append(ds.to_dict())
    return out


@pytest.mark.parametrize('case', CASES)
def test_metric_equals_official(shared_data, case):
    import mmpose_track.evaluation.metrics  # noqa: F401  registers PoseTrackMetric
    from mmpose.registry import METRICS
    gt, pred, exp = _case(shared_data, case)
    samples = _samples(gt, pred)
    metric = METRICS.build(dict(type='PoseTrackMetric', gt_dir=gt))
    metric.dataset_meta = {}
    rng = np.random.default_rng(0)
    order = rng.permutation(len(samples))  # frames arrive in any order
    for i in range(0, len(order), 7):
        metric.process({}, [samples[k] for k in order[i:i + 7]])
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        res = metric.evaluate(len(samples))
    want = {'AP': exp['AP']['Total'], 'MOTA': exp['MOTA']['Total'],
            'MOTP': exp['per_joint']['MOTP'][15], 'Precision': exp['per_joint']['PRE'][15],
            'Recall': exp['per_joint']['REC'][15]}
    for k in ('AP', 'MOTA'):
        for g in GROUPS[:-1]:
            want[f'{k}_{g}'] = exp[k][g]
    bad = [f'{k}: {res["posetrack/" + k]} != {v}' for k, v in want.items()
           if not _close(res['posetrack/' + k], v)]
    assert not bad, f'{case}: ' + '; '.join(bad)


# ------------------------------------------------------------------------ literal reference
SETTINGS = [dict(), dict(p_empty_pred=0.3, p_region=0.5),
            dict(noise=15.0, p_switch=0.2, p_fp=1.0, int_scores=True)]


def _ours(F, gd, pd):
    g, p = F.load_gt_pred_dirs(gd, pd)
    prepared = [F.prepare_video(a, b) for a, b in zip(g, p)]
    return (F.evaluate_ap([f for v in prepared for f in v]), F.evaluate_mota(prepared),
            F.evaluate_posetrack(g, p, hota=False))


@pytest.mark.parametrize('seed', range(12))
def test_equals_literal_reference(F, tmp_path, seed):
    gd, pd = write_case(make_case(seed, n_videos=3, **SETTINGS[seed % 3]), str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        ap, mot, res = _ours(F, gd, pd)
        # the seeded cases have no one-frame video, on which poseval's MOTA crashes
        ref = R.evaluate_dirs(gd, pd)
    np.testing.assert_allclose(ap['ap'], ref['ap'], atol=1e-9)
    np.testing.assert_allclose(ap['precision'], ref['ap_precision'], atol=1e-9)
    np.testing.assert_allclose(ap['recall'], ref['ap_recall'], atol=1e-9)
    for k in ('mota', 'motp', 'precision', 'recall'):
        np.testing.assert_allclose(mot[k], ref[k], atol=1e-9, err_msg=k)
    for k in ('num_misses', 'num_switches', 'num_false_positives', 'num_objects'):
        np.testing.assert_array_equal(mot[k], ref[k])
    # groups as poseval's getCum
    assert res['MOTA']['Shou'] == pytest.approx((ref['mota'][8] + ref['mota'][9]) / 2)
    assert res['AP']['Head'] == pytest.approx(ref['ap'][[12, 13, 14]].mean())


def test_cases_exercise_the_quirks(F, tmp_path):
    """The random cases contain switches, empty frames and ignore regions (not vacuous)."""
    gd, pd = write_case(make_case(4, n_videos=3, **SETTINGS[1]), str(tmp_path))
    g, p = F.load_gt_pred_dirs(gd, pd)
    assert any(f.has_regions for v in g for f in v.frames)
    assert any(not f.num_people for v in p for f in v.frames)
    gd, pd = write_case(make_case(2, n_videos=3, **SETTINGS[2]), str(tmp_path / 'b'))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        assert sum(_ours(F, gd, pd)[1]['num_switches']) >= 1
