"""``PoseTrackMetric`` with frame-level samples arriving in any order (needs mmengine + mmpose)."""
import json
import os
import os.path as osp
import random
import warnings

import numpy as np
import pytest
from .pt_helpers import gt_ann, pred_ann, video



def _samples(gt, pred_anns_by_image, name, as_element):
    """Frame-level samples (metainfo + pred_instances) from PoseTrack18 prediction anns."""
    from mmengine.structures import InstanceData
    from mmpose.structures import PoseDataSample
    out = []
    for f, img in enumerate(gt['images']):
        anns = pred_anns_by_image.get(img['id'], [])
        k = np.array([a['keypoints'] for a in anns], float).reshape(-1, 17, 3)
        # unannotated joints get score 0 (a score_thr removes them before writing)
        inst = InstanceData(keypoints=k[..., :2], keypoint_scores=(k[..., 2] > 0).astype(float),
                            bboxes=np.tile([0., 0., 10., 10.], (len(anns), 1)),
                            bbox_scores=np.ones(len(anns)),
                            track_ids=np.array([a['track_id'] for a in anns], np.int64))
        ds = PoseDataSample(metainfo=dict(video_id=name, frame_idx=f, img_id=img['id'],
                                          img_path=img['file_name'],
                                          num_frames=len(gt['images']), is_labeled=True))
        ds.pred_instances = inst
        out.append(ds if as_element else ds.to_dict())
    return out


def _by_image(d):
    res = {}
    for a in d['annotations']:
        res.setdefault(a['image_id'], []).append(a)
    return res


@pytest.mark.parametrize('as_element', [True, False])
def test_metric_gt_dir_any_order(tmp_path, as_element):
    from mmpose.registry import METRICS
    import mmpose_track.register_all  # noqa: F401  registers the metric
    n = 4
    vids = {}
    for v, name in enumerate(('000001_mpii_test', '000002_mpii_test')):
        gt = {f: [gt_ann(f, 0, 0, f), gt_ann(f, 1, 1, f)] for f in range(n)}
        pr = {f: [pred_ann(f, 0, 10 if (v == 0 or f < 2) else 11, f), pred_ann(f, 1, 20, f)]
              for f in range(n)}
        vids[name] = video(name, n, gt, pr)
    gt_dir = tmp_path / 'gt'
    gt_dir.mkdir()
    for name, (g, _) in vids.items():
        json.dump(g, open(gt_dir / f'{name}.json', 'w'))
    # a third GT video without any prediction: an empty file is written and scored
    g3, _ = video('000003_mpii_test', 2, {f: [gt_ann(f, 0, 0, f)] for f in range(2)}, {})
    json.dump(g3, open(gt_dir / '000003_mpii_test.json', 'w'))
    samples = []
    for name, (g, p) in vids.items():
        samples += _samples(g, _by_image(p), name, as_element)
    samples += samples[:3]  # padded duplicates of a distributed sampler
    random.Random(0).shuffle(samples)
    out_dir = tmp_path / 'pred'
    metric = METRICS.build(dict(type='PoseTrackMetric', gt_dir=str(gt_dir), out_dir=str(out_dir)))
    metric.dataset_meta = {}
    for i in range(0, len(samples), 3):
        batch = samples[i:i + 3]
        metric.process({}, [s.to_dict() if as_element else s for s in batch])
    with pytest.warns(UserWarning, match="000003_mpii_test.*no predictions"):
        res = metric.evaluate(len(samples))
    assert sorted(os.listdir(out_dir)) == ['000001_mpii_test.json', '000002_mpii_test.json',
                                           '000003_mpii_test.json']
    assert res['posetrack/AP'] == pytest.approx(100 * 16 / 18)  # 2 of 18 GT people missed
    # MOTA (official, last frame of each video left out): video 1: 6 objects; video 2: 6 objects,
    # 1 switch; video 3: frame 0 has no predictions -> poseval's placeholder 1 object, 1 miss, 1 FP
    assert res['posetrack/MOTA'] == pytest.approx(100 * (1 - (1 + 2) / 13))
    assert res['posetrack/IDSW'] == 15  # that switch, counted on each of the 15 joint tracks
    # every joint is found / tracked alike, so each group equals the total
    for g in ('Head', 'Shou', 'Elb', 'Wri', 'Hip', 'Knee', 'Ankl'):
        assert res[f'posetrack/AP_{g}'] == pytest.approx(100 * 16 / 18)
        assert res[f'posetrack/MOTA_{g}'] == pytest.approx(100 * (1 - (1 + 2) / 13))
    assert 0 <= res['posetrack/HOTA'] <= 100
    written = json.load(open(out_dir / '000003_mpii_test.json'))
    assert len(written['images']) == 2 and written['annotations'] == []


def test_metric_merged_ann_file(tmp_path, shared_data):
    MERGED = osp.join(shared_data, 'posetrack18', 'annotations', 'test_posetrack18_val.json')
    from mmpose.registry import METRICS
    import mmpose_track.register_all  # noqa: F401
    data = json.load(open(MERGED))
    samples = []
    for img in data['images']:
        name = osp.basename(osp.dirname(img['file_name']))
        one = dict(images=[img], annotations=[a for a in data['annotations']
                                              if a['image_id'] == img['id']])
        samples += _samples(one, _by_image(one), name, True)
    metric = METRICS.build(dict(type='PoseTrackMetric', ann_file=MERGED, strict=True,
                                score_thr=0.5))
    metric.dataset_meta = {}
    metric.process({}, [s.to_dict() for s in samples[::-1]])
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        res = metric.evaluate(len(samples))
    assert res['posetrack/AP'] == pytest.approx(100)
    assert res['posetrack/MOTA'] == pytest.approx(100)
    assert res['posetrack/HOTA'] == pytest.approx(100)
    # without the threshold the unannotated joints are predictions at (0, 0): false positives
    # (ranked last, score 0: AP stays 100). MOTA_j = 1 - FP_j / GT_j counted from the file
    # (strict: each video's one frame is counted): GT_j annotated joints outside the ignore
    # regions (tested point by point with shapely's Polygon.contains, as poseval), FP_j people
    # without joint j
    metric = METRICS.build(dict(type='PoseTrackMetric', ann_file=MERGED, strict=True))
    metric.process({}, [s.to_dict() for s in samples])
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        res = metric.evaluate(len(samples))
    assert res['posetrack/AP'] == pytest.approx(100)
    from shapely.geometry import Point, Polygon
    from mmpose_track.structures.posetrack18_format import COCO17_TO_POSEVAL
    regions = {img['id']: [Polygon(list(zip(x, y))) for x, y in
                           zip(img['ignore_regions_x'], img['ignore_regions_y'])]
               for img in data['images']}
    n_gt = np.zeros(15)
    n_fp = np.zeros(15)
    for a in data['annotations']:
        k = np.array(a['keypoints']).reshape(17, 3)[COCO17_TO_POSEVAL]
        for j, (x, y, v) in enumerate(k):
            if (x, y, v) == (0, 0, 0):
                n_fp[j] += not any(r.contains(Point(0, 0)) for r in regions[a['image_id']])
            else:
                n_gt[j] += not any(r.contains(Point(x, y)) for r in regions[a['image_id']])
    assert len(data['annotations']) == 14 and n_gt.sum() + n_fp.sum() == 14 * 15 - 1  # 1 ignored
    mota = 100 * (1 - n_fp / n_gt)
    assert res['posetrack/MOTA'] == pytest.approx(mota.mean())
    assert res['posetrack/MOTA_Head'] == pytest.approx(mota[[12, 13, 14]].mean())


def test_missing_gt_dir_is_named(tmp_path):
    from mmpose_track.evaluation.metrics.posetrack_metric import PoseTrackMetric
    metric = PoseTrackMetric(gt_dir=str(tmp_path / 'nowhere'))
    with pytest.raises(FileNotFoundError, match=r'gt_dir=.*nowhere.*test_evaluator\.gt_dir'):
        metric.compute_metrics([])


def test_metric_places_frames_by_frame_index(tmp_path):
    """Samples without ``img_id`` / ``img_path`` are placed by ``frame_idx`` under the project's
    frame-index rule (the number in the file name), whatever the order of the ground truth's
    ``images``; a frame that matches no ground-truth image is an error."""
    from mmengine.structures import InstanceData
    from mmpose.structures import PoseDataSample
    import mmpose_track.evaluation.metrics  # noqa: F401  registers PoseTrackMetric
    from mmpose.registry import METRICS
    name = '000001_mpii_test'
    numbers = (7, 5, 6)  # file names 000007.jpg, 000005.jpg, 000006.jpg, listed in this order
    # people move 30 px per frame (PCKh@0.5 = 15 px): a prediction on another frame misses
    gt = {f: [gt_ann(f, 0, 0, 10 * n), gt_ann(f, 1, 1, 10 * n)] for f, n in enumerate(numbers)}
    g, _ = video(name, 3, gt, {})
    for img, n in zip(g['images'], numbers):
        img['file_name'] = f'images/val/{name}/{n:06d}.jpg'
    gt_dir = tmp_path / 'gt'
    gt_dir.mkdir()
    json.dump(g, open(gt_dir / f'{name}.json', 'w'))

    def sample(n, pids):
        k = np.stack([gt_ann(0, p, 0, 10 * n)['keypoints'] for p in pids]).reshape(-1, 17, 3)
        ds = PoseDataSample(metainfo=dict(video_id=name, frame_idx=n))
        ds.pred_instances = InstanceData(keypoints=k[..., :2], keypoint_scores=k[..., 2],
                                         track_ids=np.array([10 + p for p in pids]))
        return ds

    metric = METRICS.build(dict(type='PoseTrackMetric', gt_dir=str(gt_dir), strict=True,
                                score_thr=0.5))
    metric.dataset_meta = {}
    metric.process({}, [sample(5, [0, 1]), sample(6, [0, 1]), sample(7, [0])])
    res = metric.evaluate(3)
    # frames 5 and 6 perfect, frame 7 misses person 1: 5 of 6 people, no false positive
    assert res['posetrack/AP'] == pytest.approx(100 * 5 / 6)
    assert res['posetrack/MOTA'] == pytest.approx(100 * 5 / 6)
    assert res['posetrack/Precision'] == pytest.approx(100)
    # by position (the old fallback) frame_idx 5..7 would not even exist (3 images)
    metric = METRICS.build(dict(type='PoseTrackMetric', gt_dir=str(gt_dir)))
    metric.dataset_meta = {}
    metric.process({}, [sample(5, [0, 1]), sample(9, [0, 1])])
    with pytest.raises(ValueError, match=r"video '000001_mpii_test'.*frame_idx=9.*matches no "
                                         'ground-truth image'):
        metric.evaluate(2)


def test_metric_ap_on_all_joints_mota_on_thresholded(shared_data):
    """threshold_ap=False (clip tracking, Sec. 4.1): AP on every joint, MOTA above score_thr.
    One person's joints are scored 0.3: a 0.5 threshold drops that person, which costs MOTA and
    (with threshold_ap) AP; unthresholded every person is found (AP 100)."""
    MERGED = osp.join(shared_data, 'posetrack18', 'annotations', 'test_posetrack18_val.json')
    from mmpose.registry import METRICS
    import mmpose_track.register_all  # noqa: F401
    data = json.load(open(MERGED))
    samples = []
    for img in data['images']:
        name = osp.basename(osp.dirname(img['file_name']))
        one = dict(images=[img], annotations=[a for a in data['annotations']
                                              if a['image_id'] == img['id']])
        samples += _samples(one, _by_image(one), name, True)
    low = next(s for s in samples if len(s.pred_instances) > 0)
    low.pred_instances.keypoint_scores[0] *= 0.3

    def run(**kw):
        metric = METRICS.build(dict(type='PoseTrackMetric', ann_file=MERGED, strict=True, **kw))
        metric.dataset_meta = {}
        metric.process({}, [s.to_dict() for s in samples])
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            return metric.evaluate(len(samples))
    both = run(score_thr=0.5)
    mixed = run(score_thr=0.5, threshold_ap=False)
    assert both['posetrack/AP'] < 100 and both['posetrack/MOTA'] < 100
    assert mixed['posetrack/AP'] == pytest.approx(100)
    assert mixed['posetrack/AP'] == pytest.approx(run(score_thr=None)['posetrack/AP'])
    for k in ('MOTA', 'MOTP', 'Precision', 'Recall', 'HOTA', 'IDSW'):
        assert mixed[f'posetrack/{k}'] == pytest.approx(both[f'posetrack/{k}']), k
    # without a threshold the option changes nothing
    assert run(threshold_ap=False) == run()
