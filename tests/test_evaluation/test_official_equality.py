"""The vectorised evaluation equals the official one on random cases.

* always: against ``poseval_reference`` (loop-based literal re-implementation of poseval +
  motmetrics' update rule, checked against the original code while written);
* when ``poseval`` (and its motmetrics/shapely) is importable: against the official code itself.
"""
import warnings

import numpy as np
import pytest
from .posetrack_synth import make_case, write_case

from . import poseval_reference as R

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
        assert sum(_ours(F, gd, pd)[1]['num_switches']) > 0


@pytest.mark.parametrize('seed', range(4))
def test_equals_official_poseval(F, tmp_path, seed):
    pytest.importorskip('poseval', reason='the official evaluator (poseval) is not installed; '
                        'equality is checked against tests/test_evaluation/poseval_reference.py')
    from poseval import eval_helpers, evaluateAP, evaluateTracking
    gd, pd = write_case(make_case(seed, n_videos=3, **SETTINGS[seed % 3]), str(tmp_path))
    pd = pd + '/'  # poseval joins without a separator
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        ap, mot, _ = _ours(F, gd, pd)
        g, p = eval_helpers.load_data_dir(['', gd, pd])
        ap_off = evaluateAP.evaluateAP(g, p, '', False, False)[0][:, 0]
        g, p = eval_helpers.load_data_dir(['', gd, pd])
        try:
            mt = evaluateTracking.evaluateTracking(g, p, '', False, False)
        except IndexError:
            mt = None
    np.testing.assert_allclose(ap['ap'], ap_off, atol=0.05)  # ties may order videos differently
    if mt is not None:
        np.testing.assert_allclose(mot['mota'], mt['mota'][0], atol=0.05)
        np.testing.assert_allclose(mot['motp'], mt['motp'][0], atol=0.05)
