"""Person bounding-box recall (Wang et al. 2020, Table 9): ``person_box_recall``,
``gt_person_boxes`` and ``PoseTrackMetric``'s ``posetrack/BoxRecall``.

Expected values are derived by hand or by a loop reference (IoU by a scalar formula, maximum
matching by trying every permutation), never by the functions under test."""
import itertools
import json
import math
import os
import os.path as osp
import warnings

import numpy as np
import pytest

from .pt_helpers import CATS


# ------------------------------------------------------------------ loop references
def _iou_ref(a, b):
    """Scalar IoU of two x1y1x2y2 boxes (loop reference)."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _max_matches_ref(g, p, thr):
    """Largest number of one-to-one pairs with IoU >= thr, by trying every permutation."""
    n = max(len(g), len(p))
    ok = [[i < len(g) and j < len(p) and _iou_ref(g[i], p[j]) >= thr for j in range(n)]
          for i in range(n)]
    return max((sum(ok[i][perm[i]] for i in range(n))
                for perm in itertools.permutations(range(n))), default=0)


def _greedy_ref(g, p, thr):
    """Greedy matching by IoU descending (what the function must NOT reduce to)."""
    pairs = sorted(((_iou_ref(a, b), i, j) for i, a in enumerate(g) for j, b in enumerate(p)),
                   reverse=True)
    used_g, used_p = set(), set()
    for iou, i, j in pairs:
        if iou >= thr and i not in used_g and j not in used_p:
            used_g.add(i)
            used_p.add(j)
    return len(used_g)


# ------------------------------------------------------------------ hand-made cases
def test_one_of_three(F):
    gt = [np.array([[0, 0, 10, 10], [100, 0, 110, 10], [200, 0, 210, 10]], float)]
    # IoU 60/100 = 0.6 with the first box, 40/100 = 0.4 with the second; none with the third
    pred = [np.array([[0, 0, 10, 6], [100, 0, 110, 4]], float)]
    assert _iou_ref(gt[0][0], pred[0][0]) == pytest.approx(0.6)
    assert _iou_ref(gt[0][1], pred[0][1]) == pytest.approx(0.4)
    r = F.person_box_recall(gt, pred)
    assert r == dict(recall=pytest.approx(100 / 3), num_gt=3, num_recalled=1)
    # with a threshold of 0.4 both count
    assert F.person_box_recall(gt, pred, iou_thr=0.4)['num_recalled'] == 2


def test_threshold_is_inclusive(F):
    gt = [np.array([[0, 0, 10, 10]], float)]
    pred = [np.array([[0, 0, 10, 5]], float)]  # IoU exactly 50 / 100
    assert F.person_box_recall(gt, pred)['num_recalled'] == 1
    assert F.person_box_recall(gt, pred, iou_thr=0.51)['num_recalled'] == 0


def test_one_prediction_recalls_one_box(F):
    # two overlapping people, one prediction with IoU 1 and 90/110 = 0.82: recalls one of them
    gt = [np.array([[0, 0, 10, 10], [1, 0, 11, 10]], float)]
    one = [np.array([[0, 0, 10, 10]], float)]
    assert F.person_box_recall(gt, one) == dict(recall=50.0, num_gt=2, num_recalled=1)
    # identical duplicate predictions still give two distinct matches
    two = [np.array([[0, 0, 10, 10], [0, 0, 10, 10]], float)]
    assert F.person_box_recall(gt, two) == dict(recall=100.0, num_gt=2, num_recalled=2)


def test_maximum_matching_beats_greedy(F):
    # 1-D boxes (height 10): IoU(g1, p1) = 9/10, IoU(g1, p2) = 8/12, IoU(g2, p1) = 7/12,
    # IoU(g2, p2) = 5/15. Greedy by IoU takes g1-p1 and leaves g2 without partner (1 match); the
    # maximum matching g1-p2, g2-p1 recalls both.
    g = np.array([[0, 0, 10, 10], [-3, 0, 7, 10]], float)
    p = np.array([[0, 0, 9, 10], [2, 0, 12, 10]], float)
    assert _greedy_ref(g, p, 0.5) == 1 and _max_matches_ref(g, p, 0.5) == 2
    assert F.person_box_recall([g], [p]) == dict(recall=100.0, num_gt=2, num_recalled=2)
    # the order of the boxes does not matter
    assert F.person_box_recall([g[::-1]], [p[::-1]])['num_recalled'] == 2


def test_empty_frames(F):
    z = np.zeros((0, 4))
    gt = [z, np.array([[0, 0, 10, 10]], float), np.array([[5, 5, 20, 30]], float), []]
    pred = [np.array([[0, 0, 10, 10]], float), z, np.array([[5, 5, 20, 30]], float), z]
    # frame 0: a prediction without people; frame 1: a person without predictions (missed)
    assert F.person_box_recall(gt, pred) == dict(recall=50.0, num_gt=2, num_recalled=1)
    r = F.person_box_recall([z, []], [z, np.array([[0, 0, 1, 1]], float)])
    assert math.isnan(r['recall']) and r['num_gt'] == 0 and r['num_recalled'] == 0
    r = F.person_box_recall([], [])
    assert math.isnan(r['recall']) and r['num_gt'] == 0


@pytest.mark.parametrize('gt, pred, match', [
    ([np.array([[0, 0, np.nan, 10]])], [np.zeros((0, 4))],
     'ground-truth boxes of frame 0 hold NaN'),
    ([np.zeros((0, 4)), np.zeros((0, 4))], [np.zeros((0, 4)), np.array([[0, 0, np.inf, 1]])],
     'predicted boxes of frame 1 hold NaN or infinite'),
    ([np.array([0, 0, 10, 10])], [np.zeros((0, 4))], r'frame 0 have shape \(4,\)'),
    ([np.zeros((1, 5))], [np.zeros((0, 4))], r'shape \(1, 5\), expected \(N, 4\)'),
    ([np.zeros((1, 4))], [np.zeros((0, 4)), np.zeros((0, 4))], '1 ground-truth frames but 2'),
    ([[['a', 'b', 'c', 'd']]], [np.zeros((0, 4))], 'not numbers'),
])
def test_bad_input(F, gt, pred, match):
    with pytest.raises(ValueError, match=match):
        F.person_box_recall(gt, pred)


@pytest.mark.parametrize('thr', [0, -0.1, 1.5, float('nan'), True, '0.5'])
def test_bad_threshold(F, thr):
    with pytest.raises(ValueError, match='iou_thr must be in'):
        F.person_box_recall([np.zeros((0, 4))], [np.zeros((0, 4))], iou_thr=thr)


def test_random_against_brute_force(F):
    rng = np.random.default_rng(0)

    def boxes(n):
        # boxes of about 20 px crowded within 8 px: IoUs around 0.5 and conflicts are common
        xy = rng.uniform(0, 8, (n, 2))
        return np.concatenate([xy, xy + rng.uniform(18, 22, (n, 2))], 1)
    gts, preds, expected, greedy_worse = [], [], 0, 0
    for _ in range(400):
        ng, npr = rng.integers(0, 6, size=2)
        g, p = boxes(ng), boxes(npr)
        gts.append(g)
        preds.append(p)
        m = _max_matches_ref(g, p, 0.5)
        expected += m
        greedy_worse += _greedy_ref(g, p, 0.5) < m
        assert F.person_box_recall([g], [p])['num_recalled'] == m
    assert greedy_worse > 0  # the cases exercise conflicts where greedy would be wrong
    num_gt = sum(len(g) for g in gts)
    r = F.person_box_recall(gts, preds)
    assert r['num_gt'] == num_gt and r['num_recalled'] == expected
    assert r['recall'] == pytest.approx(100 * expected / num_gt)


# ------------------------------------------------------------------ ground-truth boxes
def test_gt_person_boxes(F):
    imgs = [dict(id=10, file_name='images/val/000001_x/000000.jpg', is_labeled=True),
            dict(id=11, file_name='images/val/000001_x/000001.jpg', is_labeled=False),
            dict(id=12, file_name='images/val/000001_x/000002.jpg', is_labeled=True)]
    no_joints = [0.0] * 51
    anns = [dict(id=1, image_id=10, bbox=[5, 6, 10, 20], keypoints=[1.0] * 51),
            dict(id=2, image_id=10, bbox=[50, 60, 1, 2], keypoints=no_joints),  # kept: box only
            dict(id=3, image_id=10, keypoints=[1.0] * 51),  # no bbox: skipped
            dict(id=4, image_id=10, bbox=[0, 0, 0, 5]),  # zero width: skipped
            dict(id=5, image_id=10, bbox=[0, 0, 5, -1]),  # negative height: skipped
            dict(id=6, image_id=11, bbox=[0, 0, 5, 5]),  # unlabeled frame: skipped
            dict(id=7, image_id=99, bbox=[0, 0, 5, 5])]  # unknown image: skipped
    out = F.gt_person_boxes(dict(images=imgs, annotations=anns, categories=CATS), 'v')
    assert list(out) == [10, 12]
    np.testing.assert_array_equal(out[10], [[5, 6, 15, 26], [50, 60, 51, 62]])
    assert out[12].shape == (0, 4)
    with pytest.raises(F.PoseTrackFormatError, match="video 'v', image 10, annotation 1: bbox"):
        F.gt_person_boxes(dict(images=imgs, annotations=[dict(id=1, image_id=10, bbox=[1, 2])]),
                          'v')


# ------------------------------------------------------------------ PoseTrackMetric
def _real_videos(shared_data):
    d = osp.join(shared_data, 'posetrack18', 'annotations', 'val')
    names = sorted(n[:-5] for n in os.listdir(d) if n.endswith('.json'))
    return d, {n: json.load(open(osp.join(d, n + '.json'))) for n in names}


def _count_gt_boxes(videos):
    """Ground-truth person boxes of labeled frames, counted annotation by annotation."""
    n = 0
    for v in videos.values():
        labeled = {img['id'] for img in v['images'] if img['is_labeled']}
        for a in v['annotations']:
            if a['image_id'] in labeled and 'bbox' in a and a['bbox'][2] > 0 \
                    and a['bbox'][3] > 0:
                n += 1
    return n


def _gt_samples(videos, drop=(), with_boxes=True, skip_videos=()):
    """Frame-level samples whose predictions are the ground-truth people (box, pose, track id)
    except the annotation ids in ``drop``. Frames are found by img_id, img_path or frame_idx in
    turn, to exercise the metric's frame mapping."""
    from mmengine.structures import InstanceData
    from mmpose.structures import PoseDataSample
    out = []
    for v, (name, vid) in enumerate(videos.items()):
        if name in skip_videos:
            continue
        for f, img in enumerate(vid['images']):
            anns = [a for a in vid['annotations']
                    if a['image_id'] == img['id'] and a['id'] not in drop]
            k = np.array([a['keypoints'] for a in anns], float).reshape(-1, 17, 3)
            x, y, w, h = np.array([a['bbox'] for a in anns], float).reshape(-1, 4).T
            fields = dict(keypoints=k[..., :2], keypoint_scores=k[..., 2],
                          track_ids=np.array([a['track_id'] for a in anns], np.int64))
            if with_boxes:
                fields.update(bboxes=np.stack([x, y, x + w, y + h], 1),
                              bbox_scores=np.ones(len(anns)))
            meta = dict(video_id=name, frame_idx=int(img['file_name'][-10:-4]),
                        img_id=img['id'] if v == 0 else None,
                        img_path=img['file_name'] if v == 1 else None)
            ds = PoseDataSample(metainfo=meta)
            ds.pred_instances = InstanceData(**fields)
            out.append(ds.to_dict())
    return out


def _evaluate(samples, **kwargs):
    from mmpose.registry import METRICS
    import mmpose_track.register_all  # noqa: F401
    metric = METRICS.build(dict(type='PoseTrackMetric', **kwargs))
    metric.dataset_meta = {}
    metric.process({}, samples)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return metric.evaluate(len(samples))


def test_metric_box_recall_real_data(shared_data):
    gt_dir, videos = _real_videos(shared_data)
    n = _count_gt_boxes(videos)
    assert n >= 10
    res = _evaluate(_gt_samples(videos), gt_dir=gt_dir)
    assert res['posetrack/BoxRecall'] == pytest.approx(100)
    assert res['posetrack/AP'] == pytest.approx(100)  # the rest is scored as before
    ids = [a['id'] for v in videos.values() for a in v['annotations']]
    for k in (1, 3, 5):
        drop = set(ids[::2][:k])
        res = _evaluate(_gt_samples(videos, drop=drop), gt_dir=gt_dir)
        assert res['posetrack/BoxRecall'] == pytest.approx(100 * (n - k) / n)
    # a video without any prediction record: its labeled frames' boxes are all missed
    name = '012834_mpii_test'
    missed = _count_gt_boxes({name: videos[name]})
    res = _evaluate(_gt_samples(videos, skip_videos=(name, )), gt_dir=gt_dir)
    assert res['posetrack/BoxRecall'] == pytest.approx(100 * (n - missed) / n)
    # the merged COCO-style file gives the same ground truth
    merged = osp.join(shared_data, 'posetrack18', 'annotations', 'test_posetrack18_val.json')
    res = _evaluate(_gt_samples(videos, drop=set(ids[:2])), ann_file=merged)
    assert res['posetrack/BoxRecall'] == pytest.approx(100 * (n - 2) / n)


def test_metric_box_recall_off_or_without_boxes(shared_data):
    gt_dir, videos = _real_videos(shared_data)
    res = _evaluate(_gt_samples(videos, with_boxes=False), gt_dir=gt_dir)
    assert 'posetrack/BoxRecall' not in res
    assert res['posetrack/AP'] == pytest.approx(100)
    res_off = _evaluate(_gt_samples(videos), gt_dir=gt_dir, box_recall=False)
    assert 'posetrack/BoxRecall' not in res_off
    np.testing.assert_equal(dict(res), dict(res_off))  # nothing else changes (NaN == NaN)


def test_metric_box_recall_nonfinite_boxes_dropped(shared_data):
    gt_dir, videos = _real_videos(shared_data)
    n = _count_gt_boxes(videos)
    samples = _gt_samples(videos)
    s = next(s for s in samples if len(s["pred_instances"]["bboxes"]))
    s['pred_instances']['bboxes'][0, 2] = np.nan
    res = _evaluate(samples, gt_dir=gt_dir)
    assert res['posetrack/BoxRecall'] == pytest.approx(100 * (n - 1) / n)


# ------------------------------------------------------------------ folders and the command
def test_box_recall_dirs_and_tool(tmp_path, shared_data, F):
    from .pt_helpers import load_eval_tool
    gt_dir, videos = _real_videos(shared_data)
    n = _count_gt_boxes(videos)
    ids = [a['id'] for v in videos.values() for a in v['annotations']]
    pred_dir = tmp_path / 'pred'
    pred_dir.mkdir()
    for name, v in videos.items():
        p = dict(v, annotations=[a for a in v['annotations'] if a['id'] not in ids[:2]])
        json.dump(p, open(pred_dir / f'{name}.json', 'w'))
    r = F.box_recall_dirs(gt_dir, str(pred_dir))
    assert r == dict(recall=pytest.approx(100 * (n - 2) / n), num_gt=n, num_recalled=n - 2)
    out = tmp_path / 'm.json'
    tool = load_eval_tool()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        assert tool.main([gt_dir, str(pred_dir), '--out', str(out)]) == 0
        assert json.load(open(out))['BoxRecall'] == pytest.approx(100 * (n - 2) / n)
        assert tool.main([gt_dir, str(pred_dir), '--out', str(out), '--no-box-recall']) == 0
        assert 'BoxRecall' not in json.load(open(out))
    # prediction files without any bbox: no recall (not a misleading 0)
    for name, v in videos.items():
        p = dict(v, annotations=[{k: x for k, x in a.items() if k != 'bbox'}
                                 for a in v['annotations']])
        json.dump(p, open(pred_dir / f'{name}.json', 'w'))
    assert F.box_recall_dirs(gt_dir, str(pred_dir)) is None


def test_matched_flags_agree_with_brute_force(F):
    rng = np.random.default_rng(1)
    for _ in range(200):
        ng, npr = rng.integers(0, 5, size=2)
        xy = rng.uniform(0, 8, (ng, 2))
        g = np.concatenate([xy, xy + 20], 1)
        xy = rng.uniform(0, 8, (npr, 2))
        p = np.concatenate([xy, xy + 20], 1)
        flags = F.matched_gt_boxes([g], [p])[0]
        assert flags.shape == (ng, ) and flags.sum() == _max_matches_ref(g, p, 0.5)
        # each flagged box has its own partner: the flagged rows alone match perfectly
        assert _max_matches_ref(g[flags], p, 0.5) == flags.sum()


def test_recovered_boxes_by_hand(tmp_path, shared_data, F):
    """The detector misses two ground-truth boxes; the output boxes recall one of them and lose
    one the detector had: recovered 1, lost 1, by counting."""
    gt_dir, videos = _real_videos(shared_data)
    n = _count_gt_boxes(videos)
    boxes = [(name, a) for name, v in videos.items() for a in v['annotations']
             if a.get('bbox') and any(img['id'] == a['image_id'] and img.get('is_labeled', True)
                                      for img in v['images'])]
    assert len(boxes) == n >= 4
    missed_by_det = {boxes[0][1]['id'], boxes[1][1]['id']}
    dets = [dict(image_id=a['image_id'], bbox=a['bbox'], score=0.9 if i != 2 else 0.3,
                 category_id=1) for i, (_, a) in enumerate(boxes) if a['id'] not in missed_by_det]
    det_file = tmp_path / 'dets.json'
    json.dump(dets, open(det_file, 'w'))
    pred_dir = tmp_path / 'pred'
    pred_dir.mkdir()
    lost = boxes[3][1]['id']
    for name, v in videos.items():
        keep = [a for a in v['annotations'] if a['id'] not in (boxes[0][1]['id'], lost)]
        json.dump(dict(v, annotations=keep), open(pred_dir / f'{name}.json', 'w'))
    r = F.recovered_boxes(gt_dir, str(det_file), str(pred_dir))
    assert r == dict(num_gt=n, detector=pytest.approx(100 * (n - 2) / n),
                     predictions=pytest.approx(100 * (n - 2) / n), recovered=1, lost=1)
    # box 2 scored 0.3: below a 0.5 threshold the detector misses it too, the output has it
    r = F.recovered_boxes(gt_dir, str(det_file), str(pred_dir), score_thr=0.5)
    assert r['detector'] == pytest.approx(100 * (n - 3) / n) and r['recovered'] == 2
    json.dump({'not': 'a list'}, open(det_file, 'w'))
    with pytest.raises(F.PoseTrackFormatError, match='list of detections'):
        F.recovered_boxes(gt_dir, str(det_file), str(pred_dir))
