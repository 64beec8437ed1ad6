"""OGN post-processing: final score = box score x pose score, then IoU-NMS (0.6) and OKS-NMS
(0.75), through the shared per-frame suppression of mmpose_track.tracking."""
import numpy as np

from mmpose_track.tracking import person_scores, suppress_poses

OGN_STEPS = [dict(type='iou', thr=0.6), dict(type='oks', thr=0.75)]


def _pose(x0, y0, s=1.0):
    rng = np.random.default_rng(int(x0))
    base = np.stack([np.linspace(0, 40, 17), np.linspace(0, 120, 17)], -1) * s
    return base + [x0, y0] + rng.normal(0, 0.3, (17, 2))


def test_rescore_and_nms_hand_case():
    kpts = np.stack([
        _pose(100, 100),  # 0: person A, box score high, pose ok
        _pose(101, 101),  # 1: A again (IoU > 0.6), higher box x pose -> wins over 0
        _pose(300, 100),  # 2: person B
        _pose(300, 100) + np.array([[0, 4]] * 17),  # 3: B, shifted box (IoU < 0.6), same pose -> OKS
        _pose(500, 100),  # 4: person C, low scores but alone
    ])
    boxes = np.array([[95, 95, 145, 225], [96, 96, 146, 226], [295, 95, 345, 225],
                      [295, 140, 345, 270], [495, 95, 545, 225]], np.float32)
    kscores = np.array([[0.6] * 17, [0.9] * 17, [0.8] * 17, [0.7] * 17, [0.3] * 17])
    bscores = np.array([0.95, 0.8, 0.9, 0.99, 0.5])
    final = person_scores(kscores, bscores)
    np.testing.assert_allclose(final, [0.57, 0.72, 0.72, 0.693, 0.15], rtol=1e-5)
    keep = suppress_poses(kpts, kscores, boxes, bscores, steps=OGN_STEPS)
    # IoU step removes 0 (IoU(0, 1) > 0.6); boxes 2/3 overlap little, OKS removes 3; C stays
    # (1 and 2 tie at 0.72: their order is not specified; C, the lowest, comes last)
    assert sorted(keep[:2].tolist()) == [1, 2] and keep[2] == 4 and len(keep) == 3


def test_pose_score_threshold_and_empty():
    s = person_scores(np.array([[0.1, 0.5, 0.7], [0.1, 0.1, 0.1]]), np.array([1.0, 1.0]))
    np.testing.assert_allclose(s, [0.6, 0.0])
    assert suppress_poses(np.zeros((0, 17, 2)), np.zeros((0, 17)), np.zeros((0, 4))).size == 0
