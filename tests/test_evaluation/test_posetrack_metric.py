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
    import mmpose_track  # noqa: F401  registers the metric
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
    assert 'posetrack/HOTA' in res and 'posetrack/AP_Head' in res and 'posetrack/MOTA_Ankl' in res
    written = json.load(open(out_dir / '000003_mpii_test.json'))
    assert len(written['images']) == 2 and written['annotations'] == []


def test_metric_merged_ann_file(tmp_path, shared_data):
    MERGED = osp.join(shared_data, 'posetrack18', 'annotations', 'test_posetrack18_val.json')
    from mmpose.registry import METRICS
    import mmpose_track  # noqa: F401
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
    # (ranked last, score 0: AP stays 100, MOTA drops)
    metric = METRICS.build(dict(type='PoseTrackMetric', ann_file=MERGED, strict=True))
    metric.process({}, [s.to_dict() for s in samples])
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        res = metric.evaluate(len(samples))
    assert res['posetrack/AP'] == pytest.approx(100)
    assert res['posetrack/MOTA'] < 100


def test_missing_gt_dir_is_named(tmp_path):
    from mmpose_track.evaluation.metrics.posetrack_metric import PoseTrackMetric
    metric = PoseTrackMetric(gt_dir=str(tmp_path / 'nowhere'))
    with pytest.raises(FileNotFoundError, match=r'gt_dir=.*nowhere.*test_evaluator\.gt_dir'):
        metric.compute_metrics([])
