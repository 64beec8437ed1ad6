"""TKMRNet plain functions (mmpose_track/models/utils/keypoint_matching.py), checked against
answers known independently: hand-made heatmaps, loop-based references on REAL PoseTrack18
annotations, Eq. 6 by hand, and a hand-made refinement case (Fig. 5)."""
import json
import os.path as osp

import numpy as np
import pytest
import torch

from mmpose_track.models.utils import (candidate_heatmap_targets, gather_location_features,
                                       heatmap_candidates, keypoint_location_sets,
                                       rescore_candidates, sample_keypoint_pairs,
                                       select_refined_keypoints, temporal_context_aggregation)
from mmpose_track.tracking.path_search import temporal_path_search

HM_W, HM_H = 48, 64  # heatmap (W, H) of a 256x192 input, stride 4


# ---------------------------------------------------------------------------------------------
# 1. candidates
# ---------------------------------------------------------------------------------------------
def test_candidates_on_hand_made_heatmap():
    hm = np.zeros((2, 9, 10), np.float32)
    # joint 0: three peaks; (4, 1) is a shoulder of the (3, 1) peak (suppressed by a 3x3 window)
    hm[0, 1, 3], hm[0, 1, 4] = 1.0, 0.7
    hm[0, 7, 8] = 0.5
    hm[0, 4, 0] = 0.9
    loc, sc = heatmap_candidates(hm, num_candidates=3, nms_kernel=3)
    assert isinstance(loc, np.ndarray) and loc.dtype == np.int64
    np.testing.assert_array_equal(loc[0], [[3, 1], [0, 4], [8, 7]])  # (x, y) by score
    np.testing.assert_allclose(sc[0], [1.0, 0.9, 0.5])
    # with a 1x1 window every pixel is a candidate: the shoulder comes back
    loc1, sc1 = heatmap_candidates(hm, num_candidates=3, nms_kernel=1)
    np.testing.assert_array_equal(loc1[0], [[3, 1], [0, 4], [4, 1]])
    # joint 1 is all zero: a plateau, every pixel a maximum, row-major order
    np.testing.assert_array_equal(loc[1], [[0, 0], [1, 0], [2, 0]])
    np.testing.assert_allclose(sc[1], 0.0)
    # n = 1 is Eq. 1's arg-max
    l1, _ = heatmap_candidates(torch.from_numpy(hm), 1, 3)
    assert isinstance(l1, torch.Tensor)
    np.testing.assert_array_equal(l1[:, 0].numpy(), [[3, 1], [0, 0]])


def test_candidates_padding_and_bad_input():
    hm = np.full((1, 2, 2), np.nan, np.float32)
    hm[0, 1, 1] = 0.3
    loc, sc = heatmap_candidates(hm, num_candidates=6, nms_kernel=3)
    np.testing.assert_array_equal(loc[0], [[1, 1]] + [[-1, -1]] * 5)  # NaN never a candidate
    assert sc[0, 0] == pytest.approx(0.3) and np.isneginf(sc[0, 1:]).all() and sc.shape == (1, 6)
    with pytest.raises(ValueError, match='nms_kernel'):
        heatmap_candidates(hm, 4, nms_kernel=4)
    with pytest.raises(ValueError, match=r'\(\.\.\., K, H, W\)'):
        heatmap_candidates(np.zeros((4, 4)), 4)


def test_gather_location_features():
    fm = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)
    loc = torch.tensor([[[4, 3], [-1, -1]], [[0, 0], [2, 1]]])
    out = gather_location_features(fm, loc)
    ref = torch.stack([torch.stack([fm[b, :, y, x] if x >= 0 else torch.zeros(3)
                                    for x, y in loc[b].tolist()]) for b in range(2)])
    torch.testing.assert_close(out, ref)


# ---------------------------------------------------------------------------------------------
# 2. pair sampling on real PoseTrack18 annotations
# ---------------------------------------------------------------------------------------------
def _load_video(path, frames=None):
    """Person examples of one PoseTrack18 video: frame index, track id, and keypoints moved into
    each person's box crop at heatmap resolution (x, y, v)."""
    with open(path) as f:
        d = json.load(f)
    frame_of = {im['id']: i for i, im in enumerate(sorted(d['images'], key=lambda im: im['id']))}
    fr, tid, kps = [], [], []
    for a in d['annotations']:
        t = frame_of[a['image_id']]
        if frames is not None and t not in frames:
            continue
        k = np.asarray(a['keypoints'], np.float64).reshape(-1, 3)
        x, y, w, h = a['bbox']
        k[:, 0] = (k[:, 0] - x) / w * HM_W
        k[:, 1] = (k[:, 1] - y) / h * HM_H
        fr.append(t)
        tid.append(a['track_id'])
        kps.append(k)
    return np.asarray(fr), np.asarray(tid), np.stack(kps)


def _heatmaps_with_distractor(kps, sigma=2.0):
    """Gaussians at each visible joint plus a weaker distractor 10 px to the right."""
    ys, xs = np.mgrid[0:HM_H, 0:HM_W]
    x, y = kps[..., 0, None, None], kps[..., 1, None, None]
    g = np.exp(-((xs - x)**2 + (ys - y)**2) / sigma**2)
    g2 = 0.6 * np.exp(-((xs - x - 10)**2 + (ys - y)**2) / sigma**2)
    return ((g + g2) * (kps[..., 2, None, None] > 0)).astype(np.float32)


def _reference_labels(pairs, fr, tid, locs, valid, tau, radius):
    """Loop reference of the sampling rules for every sampled pair."""
    for a, b, k, sa, sb, la, lb, lab in zip(*pairs):
        assert 0 <= fr[a] - fr[b] <= tau and a != b
        if fr[a] == fr[b]:
            assert a > b
        assert valid[a, k, sa] and valid[b, k, sb]
        assert tuple(la) == tuple(locs[a, k, sa]) and tuple(lb) == tuple(locs[b, k, sb])
        same = tid[a] == tid[b]
        if lab == 1:
            assert same and sa == 0 and sb == 0
        else:
            near_a = np.hypot(*(locs[a, k, sa] - locs[a, k, 0])) <= radius and valid[a, k, 0]
            near_b = np.hypot(*(locs[b, k, sb] - locs[b, k, 0])) <= radius and valid[b, k, 0]
            assert not (same and near_a and near_b)


@pytest.fixture(scope='module')
def real_video(shared_data):
    """Real PoseTrack18 poses of video 012834 (11 people, tracks 0-10) over 20 frames (the
    poseval fixture's ground truth: the real frame's poses moved over frames)."""
    return osp.join(shared_data, 'poseval_fixtures', 'c01_perfect', 'gt', '012834_mpii_test.json')


def test_pair_sampling_ratio_and_labels_on_real_video(real_video):
    tau = 5
    fr, tid, kps = _load_video(real_video, frames=set(range(0, 11)))  # 121 examples
    assert len(fr) == 121 and len(set(tid)) == 11
    cand, _ = heatmap_candidates(_heatmaps_with_distractor(kps), num_candidates=4, nms_kernel=5)
    locs, valid = keypoint_location_sets(kps, cand, (HM_W, HM_H))
    pairs = sample_keypoint_pairs(fr, tid, kps, cand, (HM_W, HM_H), np.random.default_rng(0),
                                  tau=tau)
    # independent count of positives: same track, different frames within tau, joint visible
    n_pos_ref = 0
    for a in range(len(fr)):
        for b in range(len(fr)):
            if a != b and tid[a] == tid[b] and 0 < fr[a] - fr[b] <= tau:
                n_pos_ref += int(((kps[a, :, 2] > 0) & (kps[b, :, 2] > 0)
                                  & valid[a, :, 0] & valid[b, :, 0]).sum())
    lab = pairs.label
    assert (lab == 1).sum() == n_pos_ref > 0
    assert (lab == 0).sum() == 4 * n_pos_ref  # 1 : 4
    assert (lab[:n_pos_ref] == 1).all()  # positives first
    _reference_labels(pairs, fr, tid, locs, valid, tau, 2.0)
    neg = lab == 0
    # hard negatives of Fig. 4 are there: GT-GT pairs of different people, same-id candidates
    assert ((pairs.slot_a == 0) & (pairs.slot_b == 0) & neg).any()
    assert (neg & (tid[pairs.person_a] == tid[pairs.person_b])).any()
    # no duplicate location pair (drawn without replacement)
    key = np.stack([pairs.person_a, pairs.person_b, pairs.joint, pairs.slot_a, pairs.slot_b], 1)
    assert len(np.unique(key, axis=0)) == len(key)
    # deterministic given the generator
    again = sample_keypoint_pairs(fr, tid, kps, cand, (HM_W, HM_H), np.random.default_rng(0),
                                  tau=tau)
    for x, y in zip(pairs, again):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize('frac', [0.5, 1.0])
def test_pair_sampling_ground_truth_negative_share(real_video, frac):
    """gt_negative_frac: that share of the negatives are ground-truth pairs of different ids
    (counted independently), the rest drawn as before; 1 : 4 and the labels unchanged."""
    tau = 5
    fr, tid, kps = _load_video(real_video, frames=set(range(0, 11)))
    cand, _ = heatmap_candidates(_heatmaps_with_distractor(kps), num_candidates=4, nms_kernel=5)
    locs, valid = keypoint_location_sets(kps, cand, (HM_W, HM_H))
    pairs = sample_keypoint_pairs(fr, tid, kps, cand, (HM_W, HM_H), np.random.default_rng(1),
                                  tau=tau, max_positives=200, gt_negative_frac=frac)
    lab = pairs.label
    assert (lab == 1).sum() == 200 and (lab == 0).sum() == 800
    _reference_labels(pairs, fr, tid, locs, valid, tau, 2.0)
    neg = lab == 0
    gt_gt = neg & (pairs.slot_a == 0) & (pairs.slot_b == 0)
    assert (tid[pairs.person_a[gt_gt]] != tid[pairs.person_b[gt_gt]]).all()
    # available ground-truth negatives, by a loop over the person pairs of the window
    avail = sum(int((valid[a, :, 0] & valid[b, :, 0]).sum())
                for a in range(len(fr)) for b in range(len(fr))
                if tid[a] != tid[b] and (fr[a] > fr[b] or (fr[a] == fr[b] and a > b))
                and fr[a] - fr[b] <= tau)
    assert gt_gt.sum() == min(avail, round(frac * 800))
    key = np.stack([pairs.person_a, pairs.person_b, pairs.joint, pairs.slot_a, pairs.slot_b], 1)
    assert len(np.unique(key, axis=0)) == len(key)
    with pytest.raises(ValueError, match='gt_negative_frac'):
        sample_keypoint_pairs(fr, tid, kps, cand, (HM_W, HM_H), np.random.default_rng(1),
                              gt_negative_frac=1.5)


def test_pair_sampling_small_window_enumerated_and_capped(real_video):
    fr, tid, kps = _load_video(real_video, frames={3, 4, 9})
    cand, _ = heatmap_candidates(_heatmaps_with_distractor(kps), num_candidates=2, nms_kernel=5)
    locs, valid = keypoint_location_sets(kps, cand, (HM_W, HM_H))
    pairs = sample_keypoint_pairs(fr, tid, kps, cand, (HM_W, HM_H), np.random.default_rng(3),
                                  tau=2, max_positives=7)
    assert (pairs.label == 1).sum() == 7 and (pairs.label == 0).sum() == 28
    _reference_labels(pairs, fr, tid, locs, valid, 2, 2.0)
    # frame 9 is > tau away from 3 and 4: its people pair only among themselves
    assert not ((fr[pairs.person_a] == 9) != (fr[pairs.person_b] == 9)).any()
    # tau = 0 keeps same-frame pairs only: different people, no positive -> empty
    empty = sample_keypoint_pairs(fr, tid, kps, cand, (HM_W, HM_H), np.random.default_rng(3),
                                  tau=0)
    assert len(empty.label) == 0 and empty.loc_a.shape == (0, 2)


def test_pair_sampling_bad_input(shared_data, real_video):
    ann = osp.join(shared_data, 'posetrack18', 'annotations', 'val')
    rng = np.random.default_rng(0)
    # a video of one frame (real: 11 people, all different tracks): no positive -> empty
    fr, tid, kps = _load_video(osp.join(ann, '012834_mpii_test.json'))
    cand, _ = heatmap_candidates(_heatmaps_with_distractor(kps), 4)
    assert len(sample_keypoint_pairs(fr, tid, kps, cand, (HM_W, HM_H), rng).label) == 0
    # a frame with one person (real 003418): nothing to pair
    fr1, tid1, kps1 = _load_video(osp.join(ann, '003418_mpii_test.json'))
    cand1, _ = heatmap_candidates(_heatmaps_with_distractor(kps1), 4)
    assert len(sample_keypoint_pairs(fr1, tid1, kps1, cand1, (HM_W, HM_H), rng).label) == 0
    # one person per frame over two frames (same track): positives across frames only
    fr2, tid2, kps2 = np.array([1, 0]), np.array([0, 0]), np.concatenate([kps1, kps1])
    cand2 = np.concatenate([cand1, cand1])
    p2 = sample_keypoint_pairs(fr2, tid2, kps2, cand2, (HM_W, HM_H), rng)
    x, y = np.floor(kps1[0, :, 0] + 0.5), np.floor(kps1[0, :, 1] + 0.5)
    inside = (x >= 0) & (x < HM_W) & (y >= 0) & (y < HM_H)
    assert (p2.label == 1).sum() == int(((kps1[0, :, 2] > 0) & inside).sum()) > 0
    assert (p2.person_a == 0).all() and (p2.person_b == 1).all()  # later frame first
    # a person with no visible keypoint: never a ground-truth slot, never in a positive
    fr3, tid3, kps3 = _load_video(real_video, frames={0, 1})
    kps3[0, :, 2] = 0
    cand3, _ = heatmap_candidates(_heatmaps_with_distractor(kps3), 4)
    p3 = sample_keypoint_pairs(fr3, tid3, kps3, cand3, (HM_W, HM_H), rng)
    involved_a, involved_b = p3.person_a == 0, p3.person_b == 0
    assert not (involved_a & (p3.slot_a == 0)).any() and not (involved_b & (p3.slot_b == 0)).any()
    assert not ((involved_a | involved_b) & (p3.label == 1)).any()
    assert (p3.label == 0).sum() == 4 * (p3.label == 1).sum() > 0
    with pytest.raises(TypeError, match='Generator'):
        sample_keypoint_pairs(fr, tid, kps, cand, (HM_W, HM_H), 0)
    with pytest.raises(ValueError, match='track_ids'):
        sample_keypoint_pairs(fr, tid[:3], kps, cand, (HM_W, HM_H), rng)


# ---------------------------------------------------------------------------------------------
# 3. Eq. 6 and refinement
# ---------------------------------------------------------------------------------------------
def test_eq6_aggregation_by_hand():
    cand = torch.tensor([[[[1., 0.], [0., 1.]]]])  # (B=1, K=1, n=2, C=2)
    ctx = torch.tensor([[[[2., 2.]], [[100., 100.]], [[4., 0.]]]])  # (1, T=3, 1, 2); centre ignored
    sim = torch.tensor([[[[0.5, 1.0]], [[9., 9.]], [[1.0, 0.0]]]])  # (1, 3, 1, 2)
    out = temporal_context_aggregation(cand, ctx, sim, torch.ones(1, 3, dtype=torch.bool))
    # l0: (1,0) + 0.5 (2,2) + 1 (4,0) = (6, 1); l1: (0,1) + 1 (2,2) + 0 (4,0) = (2, 3); / 3
    torch.testing.assert_close(out[0, 0], torch.tensor([[6., 1.], [2., 3.]]) / 3)
    # video start: no frame t-1 (path -1): the term drops; 'window' keeps D = 3, 'valid' D = 2
    valid = torch.tensor([[False, True, True]])
    w = temporal_context_aggregation(cand, ctx, sim, valid)
    v = temporal_context_aggregation(cand, ctx, sim, valid, normalize='valid')
    torch.testing.assert_close(w[0, 0], torch.tensor([[5., 0.], [0., 1.]]) / 3)
    torch.testing.assert_close(v[0, 0], torch.tensor([[5., 0.], [0., 1.]]) / 2)
    # no context at all (T = 1, row M6): the own feature
    one = temporal_context_aggregation(cand, ctx[:, 1:2], sim[:, 1:2], valid[:, 1:2])
    torch.testing.assert_close(one, cand)
    # gradients reach the matching similarity
    s = sim.clone().requires_grad_()
    temporal_context_aggregation(cand, ctx, s, torch.ones(1, 3, dtype=torch.bool)).sum().backward()
    torch.testing.assert_close(s.grad[0, :, 0, 0], torch.tensor([4., 0., 4.]) / 3)
    with pytest.raises(ValueError, match='odd'):
        temporal_context_aggregation(cand, ctx[:, :2], sim[:, :2], valid[:, :2])


def _person_maps(elbow, distractor=None, same=1.0):
    """(heatmap (1, 8, 8), features (3, 8, 8)) of one person crop: channel 0 carries the
    response, channel 2 says "this person's elbow" (what a trained matcher would separate)."""
    hm, fm = torch.zeros(1, 8, 8), torch.zeros(3, 8, 8)
    (x, y, r) = elbow
    hm[0, y, x] = r
    fm[:, y, x] = torch.tensor([r, 0., same])
    if distractor is not None:
        (x, y, r) = distractor
        hm[0, y, x] = r
        fm[:, y, x] = torch.tensor([r, 0., 0.])
    return hm, fm


def test_refinement_moves_keypoint_to_candidate_supported_by_neighbours():
    """Fig. 5: in frame t the occluded elbow B=(5,5) responds 0.6 below a distractor A=(2,2) at
    0.8; in t-1 and t+1 the elbow is clear. Each neighbour frame also has another person (a
    distractor); the path search must pick the right one."""
    tau = 1
    person_t = _person_maps((5, 5, 0.6), distractor=(2, 2, 0.8))
    frames = [[_person_maps((5, 4, 0.9)), _person_maps((1, 1, 0.9), same=0.0)],
              [person_t],
              [_person_maps((1, 6, 0.9), same=0.0), _person_maps((5, 6, 0.9))]]
    # keypoints (image coords, K=1) and a matching similarity G_1 given by hand: the true person
    # matches (0.9), the other person does not (0.2)
    true_idx = {0: 0, 1: 0, 2: 1}
    kps = [np.array([[[5., 5., 1.]]] * len(f)) for f in frames]
    boxes = [np.array([[0., 0., 8., 8.]] * len(f)) for f in frames]

    def g(fa, i, fb):
        return np.array([[0.9] if j == true_idx[fb] else [0.2] for j in range(len(frames[fb]))])

    path = temporal_path_search(kps, 1, 0, tau=tau, bboxes=boxes, keypoint_similarity=g)
    np.testing.assert_array_equal(path, [0, 0, 1])
    members = [frames[f][int(p)] for f, p in enumerate(path)]
    hms = torch.stack([m[0] for m in members])  # (T, 1, 8, 8)
    fms = torch.stack([m[1] for m in members])  # (T, 3, 8, 8)
    cand, cscore = heatmap_candidates(person_t[0][None], num_candidates=2, nms_kernel=3)
    np.testing.assert_array_equal(cand[0, 0].numpy(), [[2, 2], [5, 5]])  # A first, then B
    best, _ = heatmap_candidates(hms, num_candidates=1, nms_kernel=3)  # l̂ per member, (T,1,1,2)
    own = gather_location_features(person_t[1][None], cand)  # (1, K, n, C)
    ctx = gather_location_features(fms, best[:, :, 0])[None]  # (1, T, K, C)
    # W(l, l̂): a stand-in matcher, the product of the "same person" channels
    sim = torch.einsum('bknc,btkc->btkn', own[..., 2:], ctx[..., 2:])
    valid = torch.as_tensor(path >= 0)[None]
    agg = temporal_context_aggregation(own, ctx, sim, valid)
    weight, bias = torch.tensor([[1., 0., 0.]]), torch.zeros(1)
    scores = rescore_candidates(agg, weight, bias)
    # by hand: A = 0.8 / 3; B = (0.6 + 0.9 + 0.9) / 3
    torch.testing.assert_close(scores[0, 0], torch.tensor([0.8, 2.4]) / 3)
    kp, ks = select_refined_keypoints(cand, scores)
    assert kp[0, 0].tolist() == [5, 5] and ks[0, 0].item() == pytest.approx(0.8)
    # without context the distractor wins (self-refinement keeps the single-frame answer)
    no_ctx = rescore_candidates(temporal_context_aggregation(own, ctx[:, 1:2], sim[:, 1:2],
                                                             valid[:, 1:2]), weight, bias)
    assert select_refined_keypoints(cand, no_ctx)[0][0, 0].tolist() == [2, 2]
    # the same at the start of a video: only t+1 is left, and it still carries B
    path0 = np.array([-1, 0, 1])
    s0 = rescore_candidates(temporal_context_aggregation(own, ctx, sim,
                                                         torch.as_tensor(path0 >= 0)[None]),
                            weight, bias)
    torch.testing.assert_close(s0[0, 0], torch.tensor([0.8, 1.5]) / 3)
    assert select_refined_keypoints(cand, s0)[0][0, 0].tolist() == [5, 5]


def test_rescore_targets_and_select_edge_cases():
    agg = torch.tensor([[[[1., 2.], [3., 4.]], [[0., 1.], [1., 0.]]]])  # (1, K=2, n=2, C=2)
    w4 = torch.tensor([[1., 0.], [0., 2.]]).reshape(2, 2, 1, 1)  # a Conv2d(C, K, 1) weight
    s = rescore_candidates(agg, w4, torch.tensor([0.5, -1.]))
    torch.testing.assert_close(s, torch.tensor([[[1.5, 3.5], [1., -1.]]]))
    # Eq. 2 targets at the candidates: exp(-d^2 / sigma^2), sigma = 3
    loc = torch.tensor([[[[3, 4], [0, 0], [-1, -1]]]])
    tgt, wts = candidate_heatmap_targets(loc, torch.tensor([[[0., 0., 1.]]]), sigma=3.0)
    torch.testing.assert_close(tgt[0, 0], torch.tensor([np.exp(-25 / 9), 1.0, 0.0],
                                                       dtype=torch.float32))
    torch.testing.assert_close(wts[0, 0], torch.tensor([1., 1., 0.]))
    _, wts0 = candidate_heatmap_targets(loc, torch.tensor([[[0., 0., 0.]]]))  # not visible
    assert wts0.sum() == 0
    # no valid candidate -> (-1, -1) and -inf; NaN never wins; ties -> first
    kp, ks = select_refined_keypoints(torch.tensor([[[[-1, -1], [-1, -1]], [[1, 1], [2, 2]],
                                                     [[3, 3], [4, 4]]]]),
                                      torch.tensor([[[5., 6.], [float('nan'), 0.1],
                                                     [0.2, 0.2]]]))
    assert kp[0].tolist() == [[-1, -1], [2, 2], [3, 3]]
    assert np.isneginf(ks[0, 0].item()) and ks[0, 1].item() == pytest.approx(0.1)
