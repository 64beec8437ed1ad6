import numpy as np
import pytest

from mmpose_track.tracking import (baseline_merge, cluster_edge_cost, mean_shift,
                                   merge_clip_tracklets, spatial_temporal_merge,
                                   temporal_path_search, tracklet_similarity)


def _pose(cx, cy, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-1, 1, (17, 2)) * [40 * scale, 100 * scale] + [cx, cy]
    return np.concatenate([xy, np.ones((17, 1))], 1)


def _walk(seed, x0, vx, frames):
    base = _pose(0, 0, seed)
    return np.stack([base + [x0 + vx * f, 200, 0] for f in frames])


def test_tracklet_merging_hand_made():
    # two people (A walks right, B left), clips of length 5 with keyframes every 2 frames
    clips = [(0, range(0, 5)), (2, range(2, 7)), (4, range(4, 9)), (6, range(6, 11))]
    fids, kpts, clip_ids, truth = [], [], [], []
    for key, frames in clips:
        frames = np.array(list(frames))
        for person, (seed, x0, vx) in enumerate([(0, 100, 4), (1, 400, -4)]):
            noise = np.random.default_rng(key * 10 + person).normal(0, 1, (len(frames), 17, 2))
            k = _walk(seed, x0, vx, frames)
            k[..., :2] += noise
            fids.append(frames)
            kpts.append(k)
            clip_ids.append(key)
            truth.append(person)
    # shuffle the order within the input (merging must not rely on it)
    perm = np.random.default_rng(0).permutation(len(fids))
    ids = merge_clip_tracklets([fids[i] for i in perm], [kpts[i] for i in perm],
                               [clip_ids[i] for i in perm])
    truth = np.asarray(truth)[perm]
    assert len(set(ids.tolist())) == 2
    for p in (0, 1):
        assert len(set(ids[truth == p].tolist())) == 1
    # a tracklet of a third person appearing later, overlapping in time: a new track
    extra = _walk(5, 250, 0, range(8, 13))
    ids2 = merge_clip_tracklets(fids + [np.arange(8, 13)], kpts + [extra], clip_ids + [8])
    assert ids2[-1] == 2
    # tracklets that do not overlap in time are never merged (gap -> new track)
    far = merge_clip_tracklets([np.arange(0, 5), np.arange(10, 15)],
                               [_walk(0, 100, 0, range(5)), _walk(0, 100, 0, range(5))])
    assert list(far) == [0, 1]


def test_tracklet_similarity_is_mean_oks_over_overlap():
    a = _walk(0, 100, 0, range(0, 5))
    b = a[2:].copy()
    b[0, :, :2] += 1000  # frame 2: completely off -> OKS 0; frames 3, 4: identical -> 1
    sim = tracklet_similarity([np.arange(5)], [a], [np.arange(2, 5)], [b])
    assert sim[0, 0] == pytest.approx(2 / 3, abs=1e-6)
    none = tracklet_similarity([np.arange(2)], [a[:2]], [np.arange(3, 5)], [a[3:]])
    assert np.isnan(none[0, 0])


def test_spatial_temporal_merge_picks_consistent_hypothesis_over_high_scored_outlier():
    T = 6
    hyps = []
    rng = np.random.default_rng(0)
    for t in range(T):
        base = _pose(100 + 2 * t, 200, 0)  # moves smoothly
        good = np.stack([base + np.r_[rng.normal(0, 1, 2), 0] * [1, 1, 0] for _ in range(3)])
        good[..., 2] = 0.6
        h = good
        if t == 3:  # an entangled neighbour's joints, scored higher
            out = _pose(100 + 2 * t + 60, 200, 0)
            out[:, 2] = 0.95
            h = np.concatenate([good, out[None]])
        hyps.append(h)
    base3 = _pose(106, 200, 0)
    bl = baseline_merge(hyps)
    assert np.allclose(bl[3, :, :2], base3[:, :2] + [60, 0])  # baseline takes the outlier
    st = spatial_temporal_merge(hyps, head_size=20.0)
    assert np.abs(st[3, :, :2] - base3[:, :2]).max() < 3.0
    assert st.shape == (T, 17, 3) and np.isfinite(st).all()


def test_spatial_temporal_merge_temporal_term_breaks_ties_and_gaps():
    # frame 1 has two equally large clusters; the one continuing the motion must win
    def h(x):
        k = np.zeros((2, 1, 3))
        k[:, 0, :2] = [x, 0]
        k[:, 0, 2] = 0.5
        return k
    hyps = [h(0.0), np.concatenate([h(2.0), h(50.0)]), h(4.0), np.zeros((0, 1, 3)), h(8.0)]
    for frame in (1,):
        hyps[frame][2:, 0, 2] = 0.9  # the far cluster scores higher
    st = spatial_temporal_merge(hyps, head_size=10.0)
    assert st[1, 0, 0] == pytest.approx(2.0)
    assert np.isnan(st[3, 0, 0]) and st[3, 0, 2] == 0  # no hypothesis in frame 3
    assert st[4, 0, 0] == pytest.approx(8.0)
    assert baseline_merge(hyps)[1, 0, 0] == pytest.approx(50.0)


def test_mean_shift_and_edge_cost():
    pts = np.array([[0., 0.], [1., 0.], [0., 1.], [20., 20.], [21., 20.]])
    labels, centers = mean_shift(pts, 3.0)
    assert len(centers) == 2 and len(set(labels[:3])) == 1 and labels[3] == labels[4]
    c = cluster_edge_cost(np.array([3., 1.]), np.array([.75, .25]), np.zeros((2, 2)),
                          np.array([4.]), np.array([1.]), np.array([[10., 0.]]), 10.0, 1.0)
    np.testing.assert_allclose(c[:, 0], [0.125 + 1.0, 0.375 + 1.0])


def test_temporal_path_search():
    # 3 people per frame, 7 frames, people shuffled each frame; person 0 missing in frame 0
    rng = np.random.default_rng(0)
    F, tau = 7, 3
    frames, where = [], []
    for f in range(F):
        people = [_walk(s, x0, 3, [f])[0] for s, x0 in [(0, 100), (1, 300), (2, 500)]]
        if f == 0:
            people = people[1:]
        order = rng.permutation(len(people))
        frames.append(np.stack([people[i] for i in order]))
        pos = {int(o): i for i, o in enumerate(order)}
        where.append(pos.get(0) if f > 0 else None)  # index of person 0 in frame f
    t = 3
    path = temporal_path_search(frames, t, where[t], tau=tau)
    assert path[tau] == where[t]
    for d in range(-tau, tau + 1):
        f = t + d
        expect = where[f] if f != 0 else -1
        assert path[tau + d] == expect
    # custom G_k: a keypoint matcher that says "nobody matches" stops the path
    stop = temporal_path_search(frames, t, where[t], tau=tau,
                                keypoint_similarity=lambda fa, i, fb: np.zeros((len(frames[fb]), 17)))
    assert (stop == -1).sum() == 2 * tau
