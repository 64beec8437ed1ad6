import math

import numpy as np
import pytest

from mmpose_track.tracking import (bbox_iou_matrix, bboxes_from_keypoints, embedding_distance,
                                   keypoint_matching_similarity, keypoint_oks_matrix, oks_matrix,
                                   tie_smoothness)

SIG = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89,
                .89]) / 10.0


def _pose(seed=0, n=1):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, (n, 17, 2))
    return np.concatenate([xy, np.ones((n, 17, 1))], -1)


def test_oks_hand_computed_single_joint_offset():
    # one joint moved so that its OKS term is exactly exp(-1); the 16 others coincide
    a = _pose()
    area = 400.0
    s = area  # (a1 + a2) / 2 with equal areas
    d = math.sqrt(2 * s * (2 * SIG[3])**2)
    b = a.copy()
    b[0, 3, 0] += d
    oks = oks_matrix(a, b, areas_a=[area], areas_b=[area])
    assert oks.shape == (1, 1)
    assert oks[0, 0] == pytest.approx((16 + math.exp(-1)) / 17, rel=1e-9)


def test_oks_matches_explicit_loop_and_mmpose_formula():
    a, b = _pose(1, 3), _pose(2, 4)
    areas_a = np.array([900., 1600., 2500.])
    areas_b = np.array([400., 800., 1200., 3000.])
    got = oks_matrix(a, b, areas_a, areas_b)
    for i in range(3):
        for j in range(4):
            vars_ = (SIG * 2)**2
            d2 = ((a[i, :, :2] - b[j, :, :2])**2).sum(-1)
            e = d2 / vars_ / ((areas_a[i] + areas_b[j]) / 2 + np.spacing(1)) / 2
            assert got[i, j] == pytest.approx(np.exp(-e).mean(), rel=1e-9)


def test_oks_area_from_box_and_keypoints_and_masks():
    a = _pose(3)
    b = a.copy()
    b[..., :2] += 3.0
    box = np.array([[0., 0., 20., 20.]])  # area 400
    by_box = oks_matrix(a, b, bboxes_a=box, bboxes_b=box)
    by_area = oks_matrix(a, b, areas_a=[400.], areas_b=[400.])
    assert by_box[0, 0] == pytest.approx(by_area[0, 0])
    ext = bboxes_from_keypoints(a)
    kp_area = (ext[0, 2] - ext[0, 0]) * (ext[0, 3] - ext[0, 1])
    assert oks_matrix(a, b)[0, 0] == pytest.approx(
        oks_matrix(a, b, areas_a=[kp_area], areas_b=[kp_area])[0, 0])
    # a zero-area box falls back to the keypoint extent
    zero = np.array([[5., 5., 5., 9.]])
    assert oks_matrix(a, b, bboxes_a=zero, bboxes_b=zero)[0, 0] == pytest.approx(
        oks_matrix(a, b)[0, 0])
    # NaN joint is left out: equal to OKS over the 16 others
    a_nan = a.copy()
    a_nan[0, 5, :2] = np.nan
    full = keypoint_oks_matrix(a, b, [400.], [400.])[0][0, 0]
    expect = np.delete(full, 5).mean()
    assert oks_matrix(a_nan, b, [400.], [400.])[0, 0] == pytest.approx(expect)
    # vis_thr: only joints visible in both
    b_low = b.copy()
    b_low[0, :8, 2] = 0.1
    assert oks_matrix(a, b_low, [400.], [400.], vis_thr=0.5)[0, 0] == pytest.approx(full[8:].mean())
    assert oks_matrix(a, a)[0, 0] == pytest.approx(1.0)


def test_oks_empty_and_non_coco_k():
    assert oks_matrix(np.zeros((0, 17, 3)), _pose()).shape == (0, 1)
    with pytest.raises(ValueError):
        oks_matrix(np.zeros((1, 5, 3)), np.zeros((1, 5, 3)))
    k5 = np.random.default_rng(0).uniform(0, 9, (2, 5, 3))
    assert oks_matrix(k5, k5, sigmas=[0.1] * 5).shape == (2, 2)


def test_iou_hand_computed_and_degenerate_boxes():
    a = np.array([[0., 0., 10., 10.], [0., 0., 0., 10.], [10., 10., 0., 0.],
                  [np.nan, 0, 1, 1]])
    b = np.array([[5., 0., 15., 10.], [0., 0., 10., 10.]])
    iou = bbox_iou_matrix(a, b)
    assert iou[0, 0] == pytest.approx(50 / 150)
    assert iou[0, 1] == pytest.approx(1.0)
    assert (iou[1:] == 0).all()  # zero-area, inverted, NaN
    assert bbox_iou_matrix(np.zeros((0, 4)), b).shape == (0, 2)


def test_embedding_distance():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 8)), rng.normal(size=(2, 8))
    d = embedding_distance(a, b)
    ref = np.sqrt(((a[:, None] - b[None])**2).sum(-1))
    np.testing.assert_allclose(d, ref, rtol=1e-9)
    np.testing.assert_allclose(embedding_distance(a, b, squared=True), ref**2, rtol=1e-9)
    dn = embedding_distance(a, b, normalize=True)
    na = a / np.linalg.norm(a, axis=1, keepdims=True)
    nb = b / np.linalg.norm(b, axis=1, keepdims=True)
    np.testing.assert_allclose(dn, np.sqrt(((na[:, None] - nb[None])**2).sum(-1)), rtol=1e-9)
    # opposite directions are 2 apart, the same direction at any length 0
    np.testing.assert_allclose(embedding_distance([[1., 0.]], [[-3., 0.], [5., 0.]],
                                                  normalize=True), [[2.0, 0.0]], atol=1e-12)


def test_tie_smoothness_eq9_explicit():
    rng = np.random.default_rng(0)
    N, M, J, E = 2, 3, 4, 2
    T = rng.normal(size=(N, J, E))      # forward TIE at current joints
    S_cur = rng.normal(size=(N, J, E))  # SIE at current joints
    Tb = rng.normal(size=(M, J, E))     # backward TIE at previous joints
    S_prev = rng.normal(size=(M, J, E))
    got = tie_smoothness(T, S_prev, Tb, S_cur)
    for k in range(N):
        for kp in range(M):
            ref = sum(((Tb[kp, j] - S_cur[k, j])**2).sum() + ((T[k, j] - S_prev[kp, j])**2).sum()
                      for j in range(J)) / (2 * J)
            assert got[k, kp] == pytest.approx(ref)
    fwd = tie_smoothness(T, S_prev)
    assert fwd[1, 2] == pytest.approx(((T[1] - S_prev[2])**2).sum(-1).mean())
    # masked joint 0 of current person 0
    va = np.ones((N, J), bool)
    va[0, 0] = False
    m = tie_smoothness(T, S_prev, valid_a=va)
    assert m[0, 1] == pytest.approx(((T[0, 1:] - S_prev[1, 1:])**2).sum(-1).mean())


def test_keypoint_matching_similarity_gate():
    boxes_a = np.array([[0., 0., 10., 10.]])
    boxes_b = np.array([[0., 0., 10., 10.], [9.5, 9.5, 30., 30.]])  # IoU 1 and ~0.0005
    g = np.full((1, 2, 17), 0.5)
    w = keypoint_matching_similarity(boxes_a, boxes_b, g, iou_thr=0.1)
    np.testing.assert_allclose(w, [[8.5, 0.0]])


def test_torch_tensors_in_tensors_out():
    import torch
    a, b = _pose(1, 3), _pose(2, 2)
    ta, tb = torch.tensor(a), torch.tensor(b)
    o = oks_matrix(ta, tb)
    assert isinstance(o, torch.Tensor) and o.shape == (3, 2)
    np.testing.assert_allclose(o.numpy(), oks_matrix(a, b), rtol=1e-6)
    boxes = bboxes_from_keypoints(ta)
    np.testing.assert_allclose(boxes.numpy(), bboxes_from_keypoints(a))
    iou = bbox_iou_matrix(boxes, boxes)
    assert isinstance(iou, torch.Tensor)
    np.testing.assert_allclose(iou.numpy(), bbox_iou_matrix(bboxes_from_keypoints(a),
                                                            bboxes_from_keypoints(a)), rtol=1e-6)
    e = torch.randn(3, 5, dtype=torch.float64)
    np.testing.assert_allclose(embedding_distance(e, e[:2]).numpy(),
                               embedding_distance(e.numpy(), e[:2].numpy()), atol=1e-6)
    T = torch.randn(3, 4, 2, dtype=torch.float64)
    np.testing.assert_allclose(tie_smoothness(T, T[:2]).numpy(),
                               tie_smoothness(T.numpy(), T[:2].numpy()), atol=1e-9)


def _iou_loop(a, b):
    """IoU by explicit loops (degenerate or non-finite boxes: 0)."""
    out = np.zeros((len(a), len(b)))
    for i, p in enumerate(a):
        for j, q in enumerate(b):
            if not (np.isfinite(p).all() and np.isfinite(q).all()):
                continue
            iw = max(0.0, min(p[2], q[2]) - max(p[0], q[0]))
            ih = max(0.0, min(p[3], q[3]) - max(p[1], q[1]))
            ap = max(0.0, p[2] - p[0]) * max(0.0, p[3] - p[1])
            aq = max(0.0, q[2] - q[0]) * max(0.0, q[3] - q[1])
            union = ap + aq - iw * ih
            out[i, j] = iw * ih / union if union > 0 else 0.0
    return out


def test_iou_matches_loop_reference_numpy_and_torch():
    import torch
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 100, (30, 4))
    a[:, 2:] = a[:, :2] + rng.uniform(-5, 60, (30, 2))  # some inverted
    b = a[rng.permutation(30)[:20]] + rng.normal(0, 5, (20, 4))
    a[3, 1] = np.nan
    a[4, 2] = np.inf
    b[5] = [-np.inf, 0., np.inf, 0.]  # inf * 0 area
    ref = _iou_loop(a, b)
    with np.errstate(invalid='ignore'):  # inf * 0 inside: numpy's warning, result 0
        got = bbox_iou_matrix(a, b)
    assert (ref > 0.2).sum() > 10  # overlapping pairs exist
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=0)
    t = bbox_iou_matrix(torch.tensor(a), torch.tensor(b))
    assert isinstance(t, torch.Tensor) and t.dtype == torch.float64
    np.testing.assert_allclose(t.numpy(), ref, rtol=1e-12, atol=0)
    # mixed numpy / tensor inputs give a tensor of the tensor's dtype
    t32 = bbox_iou_matrix(a[:5], torch.tensor(b, dtype=torch.float32))
    assert t32.dtype == torch.float32
    np.testing.assert_allclose(t32.numpy(), ref[:5], atol=1e-6)
    with pytest.raises(ValueError, match=r'\(N, 4\)'):
        bbox_iou_matrix(np.zeros((2, 5)), b)


def test_oks_infinite_coordinates_count_as_missing():
    # an infinite coordinate is a missing joint (like NaN), not a joint with OKS term 0
    a = _pose(3)
    b = a.copy()
    b[..., :2] += 3.0
    full = keypoint_oks_matrix(a, b, [400.], [400.])[0][0, 0]
    a_inf = a.copy()
    a_inf[0, 5, 0] = np.inf
    assert oks_matrix(a_inf, b, [400.], [400.])[0, 0] == pytest.approx(np.delete(full, 5).mean())
    sim, valid = keypoint_oks_matrix(a_inf, b, [400.], [400.])
    assert not valid[0, 0, 5] and sim[0, 0, 5] == 0 and valid[0, 0].sum() == 16


def test_oks_kernel_pairs_equal_dense_and_two_column_keypoints():
    from mmpose_track.tracking import keypoint_oks_terms, oks_inv_two_var
    a, b = _pose(4, 3), _pose(5, 4)
    areas_a, areas_b = np.array([900., 1600., 2500.]), np.array([400., 800., 1200., 3000.])
    inv = oks_inv_two_var(None, 17)
    np.testing.assert_allclose(inv, 1 / (2 * (2 * SIG)**2))
    dense = keypoint_oks_terms(a[:, None], b[None], areas_a[:, None], areas_b[None], inv)
    ii, jj = np.array([0, 2, 1]), np.array([3, 0, 0])
    pairs = keypoint_oks_terms(a[ii], b[jj], areas_a[ii], areas_b[jj], inv)
    np.testing.assert_array_equal(pairs, dense[ii, jj])
    # (N, K, 2) keypoints: every joint scores 1 (vis_thr below 1 keeps all, above drops all)
    np.testing.assert_allclose(oks_matrix(a[..., :2], b[..., :2], areas_a, areas_b, vis_thr=0.5),
                               dense.mean(-1), rtol=1e-12)
    assert (oks_matrix(a[..., :2], b[..., :2], areas_a, areas_b, vis_thr=1.0) == 0).all()
