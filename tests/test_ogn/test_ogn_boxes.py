"""Ratio-consistent ROIs (MMPose's TopdownAffine), the ratio-free variant, box mixing."""
import json

import numpy as np
import pytest
from mmpose.datasets.transforms import GetBBoxCenterScale, TopdownAffine

from mmpose_track.datasets.transforms import MixDetectedBoxes, RatioFreeTopdownAffine
from mmpose_track.datasets.transforms.box_mixing import box_iou


def _crop(box, transform):
    res = dict(img=np.zeros((480, 640, 3), np.uint8), bbox=np.array([box], np.float32),
               keypoints=np.array([[[box[0], box[1]], [box[2], box[3]]]], np.float32),
               keypoints_visible=np.ones((1, 2), np.float32))
    res = GetBBoxCenterScale(padding=1.0)(res)
    return transform(res)


@pytest.mark.parametrize('box', [(100, 100, 110, 300), (50, 200, 450, 220), (10, 10, 160, 210),
                                 (300, 50, 360, 100)])
def test_ratio_consistent_extends_never_shrinks(box):
    """Any box is extended to 3:4 (w:h) before cropping: one side kept, the other enlarged."""
    res = _crop(box, TopdownAffine(input_size=(192, 256)))
    w, h = box[2] - box[0], box[3] - box[1]
    sw, sh = res['input_scale']
    assert sw / sh == pytest.approx(3 / 4, rel=1e-5)
    assert sw >= w - 1e-3 and sh >= h - 1e-3
    assert (sw == pytest.approx(w)) or (sh == pytest.approx(h))
    # the whole box lies inside the crop, with the same scale on both axes
    k = res['transformed_keypoints'][0]
    assert (k >= -1e-3).all() and (k[:, 0] <= 192 + 1e-3).all() and (k[:, 1] <= 256 + 1e-3).all()
    sx, sy = (k[1] - k[0]) / np.array([w, h])
    assert sx == pytest.approx(sy, rel=1e-4)


def test_ratio_free_stretches_box_to_input():
    res = _crop((50, 200, 450, 220), RatioFreeTopdownAffine(input_size=(192, 256)))
    k = res['transformed_keypoints'][0]
    np.testing.assert_allclose(k, [[0, 0], [192, 256]], atol=1e-3)
    np.testing.assert_allclose(res['input_scale'], [400, 20])


def test_mix_detected_boxes(tmp_path):
    dets = [dict(image_id=1, bbox=[102, 98, 100, 205], score=0.9),  # IoU > 0.5 with the GT
            dict(image_id=1, bbox=[400, 0, 50, 50], score=0.99)]  # elsewhere
    f = tmp_path / 'dets.json'
    f.write_text(json.dumps(dets))
    gt = np.array([[100, 100, 200, 300]], np.float32)
    t = MixDetectedBoxes(prob=1.0, bbox_file=str(f), seed=0)
    out = t(dict(bbox=gt.copy(), img_id=1))
    assert out['bbox_mixed'] == 1
    np.testing.assert_allclose(out['bbox'], [[102, 98, 202, 303]])
    out = t(dict(bbox=gt.copy(), img_id=2))  # no detection: jittered GT
    assert out['bbox_mixed'] == 2 and box_iou(gt[0], out['bbox'])[0] > 0.5
    assert not np.allclose(out['bbox'], gt)
    kept = MixDetectedBoxes(prob=0.0, bbox_file=str(f))(dict(bbox=gt.copy(), img_id=1))
    assert kept['bbox_mixed'] == 0 and np.allclose(kept['bbox'], gt)
    t = MixDetectedBoxes(prob=0.5, seed=1)
    mixed = [t(dict(bbox=gt.copy(), img_id=1))['bbox_mixed'] for _ in range(200)]
    # 200 Bernoulli(0.5) draws: the rate is within 4 standard deviations (0.035) of 0.5
    assert abs(np.mean(np.array(mixed) > 0) - 0.5) < 4 * np.sqrt(0.25 / len(mixed))
