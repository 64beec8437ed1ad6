import numpy as np
import pytest

from mmpose_track.tracking import (bbox_iou_matrix, greedy_box_generation, iou_nms, oks_nms,
                                   pose_nms, pose_nms_matrix)


def _person(cx, cy, seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-1, 1, (17, 2)) * [40, 100] + [cx, cy]
    return np.concatenate([xy, np.ones((17, 1))], 1)


def test_pose_nms_removes_duplicates_keeps_overlapping_people():
    a = _person(100, 200, 0)
    a_dup = a.copy()
    a_dup[:, :2] += np.random.default_rng(1).normal(0, 1.0, (17, 2))  # same person, jittered
    b = _person(110, 200, 2)  # a different person standing right behind a
    kpts = np.stack([a, a_dup, b])
    scores = np.array([0.9, 0.8, 0.7])
    boxes = np.array([[60., 100., 140., 300.], [61., 101., 141., 301.], [70., 100., 150., 300.]])
    keep = pose_nms(kpts, scores, bboxes=boxes)
    assert list(keep) == [0, 2]
    # box NMS at 0.5 would also drop the second person (IoU ~0.78)
    assert list(iou_nms(boxes, scores, 0.5)) == [0]
    frac = pose_nms_matrix(kpts, bboxes=boxes)
    assert frac[0, 1] == 1.0 and frac[0, 2] < 0.5


def test_pose_nms_more_than_half_rule_and_absolute_threshold():
    a = _person(0, 0, 3)
    b = a.copy()
    b[:8, :2] += 50  # 9 of 17 joints coincide (> half)
    c = a.copy()
    c[:9, :2] += 50  # 8 of 17 coincide (< half)
    kpts = np.stack([a, b, c])
    keep = pose_nms(kpts, [0.9, 0.8, 0.7], dist_thr=5.0)
    assert list(keep) == [0, 2]


def test_oks_nms_and_iou_nms():
    a = _person(100, 200, 0)
    kpts = np.stack([a, a + [0.5, 0.5, 0], _person(400, 200, 1)])
    assert list(oks_nms(kpts, [0.5, 0.9, 0.8], thr=0.9)) == [1, 2]
    boxes = np.array([[0., 0., 10., 10.], [1., 0., 11., 10.], [20., 0., 30., 10.]])
    assert list(iou_nms(boxes, [0.9, 0.95, 0.1], 0.5)) == [1, 2]
    assert len(iou_nms(np.zeros((0, 4)), np.zeros(0))) == 0


def test_gbg_keeps_better_localised_low_score_box_that_nms_drops():
    gt = np.array([5., 5., 105., 205.])
    boxes = np.array([
        [0., 0., 100., 200.],    # 0: EGT (0.95), slightly off
        [5., 5., 105., 205.],    # 1: low score (0.6) but exact: IoU 0.9 with 0
    ])
    scores = np.array([0.95, 0.6])
    nms_keep = iou_nms(boxes, scores, 0.5)
    assert list(nms_keep) == [0]
    keep = greedy_box_generation(boxes, scores)
    assert list(keep) == [0, 1]
    best = keep[np.argmax(bbox_iou_matrix(boxes[keep], gt[None])[:, 0])]
    assert best == 1


def test_gbg_rules_on_hand_made_boxes():
    boxes = np.array([
        [0., 0., 100., 100.],      # 0 EGT 0.9
        [2., 2., 102., 102.],      # 1 group of 0 (IoU .92)
        [4., 4., 104., 104.],      # 2 group of 0
        [1., 1., 101., 101.],      # 3 group of 0
        [3., 0., 103., 100.],      # 4 group of 0 -> 5th member, dropped by top N = 4
        [0., 40., 100., 140.],     # 5 IoU(0) = .43 < .5 with the EGT -> eliminated
        [500., 500., 600., 600.],  # 6 score 0.85: a second EGT, own group
        [0., 0., 0., 50.],         # 7 zero area
        [0., 25., 100., 125.],     # 8 IoU(0) = .6: kept, opens its own group (IoU < .7)
    ])
    scores = np.array([0.9, 0.7, 0.6, 0.75, 0.5, 0.79, 0.85, 0.99, 0.3])
    keep = greedy_box_generation(boxes, scores)
    assert sorted(keep.tolist()) == [0, 1, 2, 3, 6, 8]
    assert list(scores[keep]) == sorted(scores[keep], reverse=True)
    assert list(greedy_box_generation(boxes, scores, top_n=1)) == [0, 6, 8]
    # no box above 0.8: no equivalent ground truth, nothing kept (paper's rule)
    assert len(greedy_box_generation(boxes[:5], scores[:5] * 0.5)) == 0


def test_torch_nms_returns_tensor():
    import torch
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 0., 11., 10.], [20., 0., 30., 10.]])
    keep = iou_nms(boxes, torch.tensor([0.9, 0.95, 0.1]), 0.5)
    assert isinstance(keep, torch.Tensor) and keep.tolist() == [1, 2]
    k = torch.tensor(np.stack([_person(0, 0, 1), _person(0, 0, 1), _person(300, 0, 2)]))
    assert pose_nms(k, torch.tensor([0.5, 0.9, 0.8])).tolist() == [1, 2]
    assert oks_nms(k, torch.tensor([0.5, 0.9, 0.8])).tolist() == [1, 2]


def test_suppress_poses_pose_step_keeps_overlapping_people_with_distinct_joints():
    """TKMRNet's pNMS as a suppression step: two people in one box (IoU 1) whose joints are
    apart survive, an exact duplicate of the first does not; box NMS keeps only one of each box."""
    from mmpose_track.tracking import suppress_poses
    K = 17
    a = np.stack([np.linspace(10, 90, K), np.linspace(10, 90, K)], -1)  # diagonal
    b = np.stack([np.linspace(90, 10, K), np.linspace(10, 90, K)], -1)  # the other diagonal
    kpts = np.stack([a, b, a + 0.5]).astype(np.float32)
    scores = np.stack([np.full(K, 0.9), np.full(K, 0.8), np.full(K, 0.7)]).astype(np.float32)
    boxes = np.array([[10, 10, 90, 90]] * 3, np.float32)
    # joints of a and b: 1 of 17 pairs (the middle joint) within 0.1 * box size -> 1/17 < 0.5
    keep = suppress_poses(kpts, scores, boxes, None, steps=[dict(type='pose', frac_thr=0.5)])
    assert keep.tolist() == [0, 1]
    keep = suppress_poses(kpts, scores, boxes, None, steps=[dict(type='iou', thr=0.5)])
    assert keep.tolist() == [0]
    with pytest.raises(ValueError, match="'iou', 'oks' or 'pose'"):
        suppress_poses(kpts, scores, boxes, None, steps=[dict(type='soft')])
