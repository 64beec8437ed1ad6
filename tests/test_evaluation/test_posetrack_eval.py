"""AP / MOTA / HOTA on cases computed by hand (2 people, head size 30 px, PCKh@0.5 = 15 px).

Official counting leaves the last evaluated frame of every video out of MOTA; ``strict`` counts it.
Per joint, the numbers below are the same for all 15 joints, so every group equals Total.
"""
import math
import warnings

import numpy as np
import pytest
from .pt_helpers import evaluate, gt_ann, pred_ann, video

GROUPS = ('Head', 'Shou', 'Elb', 'Wri', 'Hip', 'Knee', 'Ankl', 'Total')


def assert_all(d, value, tol=1e-6):
    for g in GROUPS:
        assert d[g] == pytest.approx(value, abs=tol), (g, d[g], value)


def two_people(n_frames, pred_ids=lambda f: (10, 20), skip=(), extra=None, scores=(1.0, 1.0)):
    """GT people 0/1 (tracks 0/1) in every frame; predictions exact, ids per frame."""
    gt = {f: [gt_ann(f, 0, 0, f), gt_ann(f, 1, 1, f)] for f in range(n_frames)}
    pr = {}
    for f in range(n_frames):
        a, b = pred_ids(f)
        pr[f] = [pred_ann(f, p, t, f, score=s) for p, t, s in ((0, a, scores[0]), (1, b, scores[1]))
                 if (f, p) not in skip]
        if extra and f in extra:
            pr[f] += extra[f]
    return gt, pr


def test_perfect_tracks(F):
    gt, pr = two_people(3)
    for strict in (False, True):
        r = evaluate(F, {'000001_mpii_test': video('000001_mpii_test', 3, gt, pr)}, strict)
        assert_all(r['AP'], 100)
        assert_all(r['MOTA'], 100)
        assert_all(r['MOTP'], 100)
        assert_all(r['Precision'], 100)
        assert_all(r['Recall'], 100)
        assert_all(r['HOTA'], 100)
        assert_all(r['DetA'], 100)
        assert_all(r['AssA'], 100)
        # official: 2 frames x 2 people counted per joint; strict: 3 x 2
        assert r['counts']['num_objects'] == [6 if strict else 4] * 15


def test_one_id_switch(F):
    # person 0 is track 10 in frames 0-1, track 11 in frames 2-3
    gt, pr = two_people(4, pred_ids=lambda f: (10 if f < 2 else 11, 20))
    v = {'000001_mpii_test': video('000001_mpii_test', 4, gt, pr)}
    r = evaluate(F, v)
    assert r['counts']['num_switches'] == [1] * 15
    assert_all(r['MOTA'], 100 * (1 - 1 / 6))  # frames 0-2: 6 objects, 1 switch = 83.33
    assert_all(r['AP'], 100)
    # HOTA: DetA 1; AssA = (2 * 2/4 + 2 * 2/4 + 4 * 4/4) / 8 = 0.75 -> HOTA = sqrt(0.75)
    assert_all(r['DetA'], 100)
    assert_all(r['AssA'], 75)
    assert_all(r['HOTA'], 100 * math.sqrt(0.75))
    rs = evaluate(F, v, strict=True)
    assert_all(rs['MOTA'], 100 * (1 - 1 / 8))  # 8 objects, 1 switch = 87.5


def test_one_miss(F):
    gt, pr = two_people(3, skip={(1, 1)})  # person 1 not predicted in frame 1
    v = {'000001_mpii_test': video('000001_mpii_test', 3, gt, pr)}
    r = evaluate(F, v)
    assert_all(r['MOTA'], 75)  # frames 0-1: 4 objects, 1 miss
    assert_all(r['AP'], 100 * 5 / 6)  # 5 of 6 GT joints found, precision 1
    assert_all(r['Recall'], 75)
    rs = evaluate(F, v, strict=True)
    assert_all(rs['MOTA'], 100 * (1 - 1 / 6))
    assert_all(rs['AP'], 100 * 5 / 6)


def test_one_false_positive(F):
    # a far-away false person in frame 0, scored above the true ones (0.9)
    fp = {0: [pred_ann(0, 5, 30, 0, score=1.0)]}
    gt, pr = two_people(3, extra=fp, scores=(0.9, 0.9))
    v = {'000001_mpii_test': video('000001_mpii_test', 3, gt, pr)}
    r = evaluate(F, v)
    assert_all(r['MOTA'], 75)  # frames 0-1: 4 objects, 1 FP
    assert_all(r['Precision'], 80)  # 4 / (4 + 1)
    # ranked: FP first (precision 0), then 6 TPs: interpolated precision 6/7 over recall [0, 1]
    assert_all(r['AP'], 100 * 6 / 7)
    rs = evaluate(F, v, strict=True)
    assert_all(rs['MOTA'], 100 * (1 - 1 / 6))


def test_ignore_region(F):
    # an extra predicted person (would be an FP) stands inside an ignore region in every frame;
    # a ground-truth person inside the region (not predicted) would be a miss: both removed
    n = 3
    gt = {f: [gt_ann(f, 0, 0, f), gt_ann(f, 1, 1, f), gt_ann(f, 4, 4, f)] for f in range(n)}
    pr = {f: [pred_ann(f, 0, 10, f), pred_ann(f, 1, 20, f), pred_ann(f, 5, 50, f)]
          for f in range(n)}
    region = np.array([[1000.0, 200.0], [1500.0, 200.0], [1500.0, 700.0], [1000.0, 700.0]])
    v = {'000001_mpii_test': video('000001_mpii_test', n, gt, pr,
                                   regions={f: [region] for f in range(n)})}
    for strict in (False, True):
        r = evaluate(F, v, strict)
        assert_all(r['AP'], 100)
        assert_all(r['MOTA'], 100)
    v_no = {'000001_mpii_test': video('000001_mpii_test', n, gt, pr)}
    r = evaluate(F, v_no)
    # without the region: per joint 6 objects (frames 0-1), 2 misses (person 4), 2 FP (person 5)
    assert_all(r['MOTA'], 100 * (1 - 4 / 6))


def test_unlabeled_frame(F):
    # frame 1 is not labeled: its predictions (even a false one) are not scored in either mode
    gt, pr = two_people(3, extra={1: [pred_ann(1, 5, 30, 1)]})
    gt[1] = []
    v = {'000001_mpii_test': video('000001_mpii_test', 3, gt, pr, labeled=[1, 0, 1])}
    r = evaluate(F, v)
    assert_all(r['AP'], 100)
    assert_all(r['MOTA'], 100)
    assert r['counts']['num_objects'] == [2] * 15  # frames 0, 2 evaluated, 2 left out
    rs = evaluate(F, v, strict=True)
    assert_all(rs['MOTA'], 100)
    assert rs['counts']['num_objects'] == [4] * 15


def test_labeled_frame_without_people(F):
    # is_labeled but nobody annotated: poseval drops the frame (it never reads is_labeled);
    # strict scores the 2 predicted people there as false positives (AP and MOTA)
    gt, pr = two_people(3)
    gt[1] = []
    v = {'000001_mpii_test': video('000001_mpii_test', 3, gt, pr, labeled=[1, 1, 1])}
    r = evaluate(F, v)
    assert_all(r['AP'], 100)
    assert_all(r['MOTA'], 100)
    rs = evaluate(F, v, strict=True)
    assert_all(rs['MOTA'], 100 * (1 - 2 / 4))  # frames 0, 1, 2: 4 objects, 2 FP
    assert rs['counts']['num_false_positives'] == [2] * 15
    # AP: 6 predictions per joint, all score 1, labels in frame order [1, 1, 0, 0, 1, 1]; poseval's
    # argsort()[::-1] on equal scores ranks them in reverse order, [1, 1, 0, 0, 1, 1] again:
    # precision 1, 1, 2/3, 2/4, 3/5, 4/6 at recall 1/4, 2/4, 2/4, 2/4, 3/4, 4/4; VOC area with
    # interpolated precision = 1/4 + 1/4 + 1/4 * 2/3 + 1/4 * 2/3 = 5/6
    assert_all(rs['AP'], 100 * 5 / 6)


def test_empty_frame(F):
    # no predictions at all in frame 1 (2 people there)
    gt, pr = two_people(4, skip={(1, 0), (1, 1)})
    v = {'000001_mpii_test': video('000001_mpii_test', 4, gt, pr)}
    r = evaluate(F, v)
    # official: frames 0-2; the empty frame counts 1 object, 1 miss and 1 FP per joint
    assert r['counts']['num_objects'] == [5] * 15
    assert r['counts']['num_misses'] == [1] * 15
    assert r['counts']['num_false_positives'] == [1] * 15
    assert_all(r['MOTA'], 100 * (1 - 2 / 5))
    assert_all(r['AP'], 75)  # 6 of 8 GT joints found
    rs = evaluate(F, v, strict=True)
    # strict: frames 0-3, 8 objects, the 2 people of frame 1 missed, no false positive
    assert rs['counts']['num_misses'] == [2] * 15
    assert rs['counts']['num_false_positives'] == [0] * 15
    assert_all(rs['MOTA'], 75)
    assert_all(rs['AP'], 75)


def test_one_frame_video(F):
    gt, pr = two_people(1)
    v = {'000001_mpii_test': video('000001_mpii_test', 1, gt, pr)}
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        r = evaluate(F, v)
    assert any('single evaluated frame' in str(x.message) for x in w)
    assert_all(r['AP'], 100)
    assert all(math.isnan(r['MOTA'][g]) for g in GROUPS)  # poseval crashes; here: no MOTA
    rs = evaluate(F, v, strict=True)
    assert_all(rs['MOTA'], 100)
    # with a second (longer) video, the one-frame video simply contributes nothing officially
    gt2, pr2 = two_people(3, skip={(0, 1)})
    v['000002_mpii_test'] = video('000002_mpii_test', 3, gt2, pr2)
    r = evaluate(F, v)
    assert_all(r['MOTA'], 75)


def test_joint_missing_in_gt_and_prediction(F):
    # GT annotates only the 12 body joints (no head): head joints have no GT -> AP of
    # predictions on them is NaN (poseval) and excluded from Total; MOTA NaN for them.
    n = 3
    body = list(range(5, 17))
    gt = {f: [gt_ann(f, 0, 0, f, joints=body)] for f in range(n)}
    pr = {f: [pred_ann(f, 0, 10, f)] for f in range(n)}
    r = evaluate(F, {'000001_mpii_test': video('000001_mpii_test', n, gt, pr)})
    assert math.isnan(r['AP']['Head'])
    assert r['AP']['Total'] == pytest.approx(100)
    assert math.isnan(r['MOTA']['Head'])
    # head joints: 2 FP each but no objects -> MOTA NaN, left out of Total (mean of 12 joints)
    assert r['counts']['num_false_positives'][12:] == [2, 2, 2]
    assert r['MOTA']['Total'] == pytest.approx(100)
    # a predicted joint absent: GT joint present but never predicted -> AP 0 for it
    gt = {f: [gt_ann(f, 0, 0, f)] for f in range(n)}
    pr = {f: [pred_ann(f, 0, 10, f)] for f in range(n)}
    for a in pr.values():
        a[0]['keypoints'][0:3] = [0, 0, 0]  # nose never predicted
    r = evaluate(F, {'000001_mpii_test': video('000001_mpii_test', n, gt, pr)})
    assert r['per_joint']['AP'][13] == 0  # poseval index 13 = nose
    assert r['AP']['Head'] == pytest.approx(200 / 3)


def test_localisation_hota(F):
    # one person, 2 frames; frame 1 predicted 6.6 px off (d = 0.22 head, similarity 0.56):
    # TP for the 11 thresholds 0.05..0.55, else 1 TP + 1 FN + 1 FP (DetA = AssA = 1/3)
    gt = {f: [gt_ann(f, 0, 0, f)] for f in range(2)}
    pr = {0: [pred_ann(0, 0, 10, 0)], 1: [pred_ann(1, 0, 10, 1, offset=(6.6, 0.0))]}
    r = evaluate(F, {'000001_mpii_test': video('000001_mpii_test', 2, gt, pr)}, strict=True)
    expect = 100 * (11 + 8 / 3) / 19
    assert_all(r['HOTA'], expect)
    assert_all(r['DetA'], expect)
    assert_all(r['AssA'], expect)
    assert_all(r['MOTA'], 100)
    assert_all(r['MOTP'], 100 * (1 - 0.22 / 2))  # strict MOTP: mean matched distance


def test_official_motp_includes_raw_distances(F):
    # motmetrics >= 1.2 sums every event's distance (the RAW pair too): official MOTP of one
    # matched pair at d counts d twice
    gt = {f: [gt_ann(f, 0, 0, f)] for f in range(3)}
    pr = {f: [pred_ann(f, 0, 10, f, offset=(6.6, 0.0))] for f in range(3)}
    v = {'000001_mpii_test': video('000001_mpii_test', 3, gt, pr)}
    assert_all(evaluate(F, v)['MOTP'], 100 * (1 - 2 * 0.22))
    assert_all(evaluate(F, v, strict=True)['MOTP'], 100 * (1 - 0.22))


def test_points_in_polygon_boundary(F):
    sq = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]])
    pts = np.array([[5, 5], [0, 5], [10, 5], [5, 0], [5, 10], [0, 0], [10, 10], [11, 5],
                    [-1, 5], [5, 11], [9.999, 9.999]], float)
    got = F.points_in_polygon(pts, sq)
    assert got.tolist() == [True] + [False] * 9 + [True]
    # concave polygon (a "U"): the notch is outside
    u = np.array([[0, 0], [30, 0], [30, 30], [20, 30], [20, 10], [10, 10], [10, 30], [0, 30]],
                 float)
    assert F.points_in_polygon(np.array([[15, 20], [5, 20], [25, 20], [15, 5]]), u).tolist() == \
        [False, True, True, True]
