"""Offline stitching and gap filling (issue 13): answers derived by hand or by a loop reference."""
import numpy as np
import pytest

from mmpose_track.structures.posetrack18_format import POSETRACK18_SIGMAS
from mmpose_track.tracking.stitching import (TrackletSummary, interpolate_gaps,
                                             interpolate_track_gaps, stitch_score_matrix,
                                             stitch_tracklets, stitch_tracks,
                                             summarize_tracklets, track_velocity)


def _shape(seed, scale=1.0):
    """A random 17-joint pose around (0, 0), about 80 x 200 px."""
    return np.random.default_rng(seed).uniform(-1, 1, (17, 2)) * [40 * scale, 100 * scale]


def _walk(seed, x0, vx, frames, y0=300.0, vy=0.0):
    """Poses ``(L, 17, 3)`` of a person walking at constant velocity, observed on ``frames``."""
    frames = np.asarray(list(frames), dtype=float)
    xy = _shape(seed)[None] + np.stack([x0 + vx * frames, y0 + vy * frames], -1)[:, None]
    return np.concatenate([xy, np.ones(xy.shape[:2] + (1, ))], -1)


def _instances(*tracks):
    """``(frames, ids, poses)`` concatenated from ``(track_id, frames, poses)`` tuples."""
    f = np.concatenate([np.asarray(list(fr)) for _, fr, _ in tracks])
    t = np.concatenate([np.full(len(list(fr)), tid) for tid, fr, _ in tracks])
    k = np.concatenate([p for _, _, p in tracks])
    return f, t, k


def _score(summary, **overrides):
    """:func:`stitch_score_matrix` of a summary (``dict`` or :class:`TrackletSummary`)."""
    kw = summary if isinstance(summary, dict) else summary._asdict()
    kw = {k: v for k, v in {**kw, **overrides}.items() if k != 'track_ids'}
    return stitch_score_matrix(**kw)


# ---------------------------------------------------------------------------- velocity
def test_track_velocity_least_squares_by_hand():
    frames = np.array([4, 0, 2, 1])  # any order
    x = {0: 0.0, 1: 1.0, 2: 5.0, 4: 6.0}
    poses = np.zeros((4, 17, 3))
    poses[..., 2] = 1
    poses[:, :, 0] = np.array([x[int(f)] for f in frames])[:, None]
    poses[:, :, 1] = -2.0 * frames[:, None]  # exact line: vy = -2
    # slope over frames 0,1,2,4 / x 0,1,5,6: Σ(t−t̄)(x−x̄) = 14, Σ(t−t̄)² = 8.75
    v = track_velocity(frames, poses, window=5)
    np.testing.assert_allclose(v[:, 0], 1.6)
    np.testing.assert_allclose(v[:, 1], -2.0)
    # last three frames 1, 2, 4 / x 1, 5, 6: 7 / (42 / 9) = 1.5
    np.testing.assert_allclose(track_velocity(frames, poses, window=3)[:, 0], 1.5)
    # window 2: last-two difference (6 − 5) / (4 − 2); first two: (1 − 0) / 1
    np.testing.assert_allclose(track_velocity(frames, poses, window=2)[:, 0], 0.5)
    np.testing.assert_allclose(track_velocity(frames, poses, window=2, end='first')[:, 0], 1.0)


def test_track_velocity_missing_joints():
    frames = np.arange(10)
    poses = _walk(0, 100, 10, frames, vy=-3)
    poses[:, 0, :2] = np.nan  # never observed: mean of the other joints' velocity
    poses[-2:, 1, :2] = np.nan  # last two frames missing: fitted on the 3 frames left
    poses[-3:, 2, 2] = 0.0  # scored 0 = not observed: only 2 frames left
    poses[:-1, 3, :2] = np.nan  # observed once: mean velocity
    poses[-1, 4, 0] += 50  # an outlier in the last frame of joint 4 (least squares over 5)
    v = track_velocity(frames, poses, window=5)
    expect = np.tile([10.0, -3.0], (17, 1))
    # joint 4: x = 10 t + [0, 0, 0, 0, 50] over t = -4..0: slope += 50 · 2 / 10 = 10
    expect[4, 0] = 20.0
    body = np.delete(expect, [0, 3], 0).mean(0)  # joints with a slope of their own
    expect[0] = expect[3] = body
    np.testing.assert_allclose(v, expect, atol=1e-9)
    # a single observation: no motion
    np.testing.assert_array_equal(track_velocity([3], poses[:1]), np.zeros((17, 2)))
    with pytest.raises(ValueError, match='end'):
        track_velocity(frames, poses, end='middle')
    with pytest.raises(ValueError, match='window'):
        track_velocity(frames, poses, window=1)


# ---------------------------------------------------------------------------- stitching
G = 5


@pytest.mark.parametrize('k', [0, 1, 3, 5, 6, 8])
def test_person_missing_k_frames_is_stitched_iff_k_le_max_gap(k):
    """Issue 13's evidence: a person missing for k <= G frames gets their id back."""
    before, after = range(0, 10), range(10 + k, 20 + k)
    other = range(0, 20 + k)  # a second person, tracked throughout, far away
    f, t, p = _instances((4, before, _walk(0, 100, 10, before)),
                         (9, after, _walk(0, 100, 10, after)),
                         (2, other, _walk(1, 600, -5, other)))
    mapping = stitch_tracks(f, t, p, max_gap=G)
    expect = {4: 4, 9: 4 if k <= G else 9, 2: 2}
    assert mapping == expect
    # the gate decides, not the score: with max_gap = k the pair is always stitched ...
    assert stitch_tracks(f, t, p, max_gap=k)[9] == 4
    # ... and min_gap excludes shorter gaps
    assert stitch_tracks(f, t, p, max_gap=10, min_gap=k + 1)[9] == 9
    s = summarize_tracklets(f, t, p)
    np.testing.assert_array_equal(s.track_ids, [2, 4, 9])
    np.testing.assert_array_equal(s.first_frames[2] - s.last_frames[1] - 1, k)
    # constant velocity: the extrapolated poses coincide exactly (OKS 1 both ways)
    score = stitch_score_matrix(s.first_frames, s.last_frames, s.first_poses, s.last_poses,
                                s.first_velocity, s.last_velocity, max_gap=10)
    assert score[1, 2] == pytest.approx(1.0)


def _crossing(with_velocity):
    """Two people with the same pose cross while both are missing (frames 10-14).

    A walks right (x = 100 + 4 t), B walks left (x = 196 − 4 t): at frame 9 A is at 136 and
    B at 160; at frame 15 A is at 160 and B at 136. Standing still, each one's last pose is
    exactly the other's first pose (wrong link, OKS 1); extrapolated, each lands on itself.
    """
    before, after = range(0, 10), range(15, 25)
    f, t, p = _instances((1, before, _walk(0, 100, 4, before)),
                         (2, before, _walk(0, 196, -4, before)),
                         (3, after, _walk(0, 100, 4, after)),
                         (4, after, _walk(0, 196, -4, after)))
    s = summarize_tracklets(f, t, p)
    if not with_velocity:
        s = s._replace(first_velocity=None, last_velocity=None)
    return s


def test_crossing_people_disambiguated_by_velocity():
    s = _crossing(with_velocity=True)
    assert stitch_tracklets(**s._asdict(), max_gap=G) == {1: 1, 2: 2, 3: 1, 4: 2}
    s = _crossing(with_velocity=False)
    assert stitch_tracklets(**s._asdict(), max_gap=G) == {1: 1, 2: 2, 3: 2, 4: 1}
    score = _score(s)
    assert score[0, 3] == pytest.approx(1.0) and score[1, 2] == pytest.approx(1.0)


def test_appearance_breaks_a_tie():
    # A stands still and ends at frame 9; B and C start at frame 12 with A's exact pose
    pose = _walk(0, 200, 0, range(10))
    f, t, p = _instances((0, range(10), pose), (1, range(12, 20), pose[:8]),
                         (2, range(12, 20), pose[:8]))
    base = summarize_tracklets(f, t, p)
    s = base._asdict()
    tie = _score(s)
    assert tie[0, 1] == tie[0, 2] == pytest.approx(1.0)
    for emb_b, emb_c, winner in (([0, 1, 0], [2, 0.2, 0], 2), ([3, 0.3, 0], [0, 0, 1], 1)):
        emb = np.array([[1.0, 0, 0], emb_b, emb_c])
        mapping = stitch_tracklets(**{**s, 'embeddings': emb}, max_gap=G)
        loser = 3 - winner
        assert mapping == {0: 0, winner: 0, loser: loser}
    # the combined score by hand: 0.5 · OKS + 0.5 · (1 − |e_a − e_b| / 2), unit vectors
    emb = np.array([[1.0, 0, 0], [0, 1, 0], [2, 0.2, 0]])
    score = _score(s, embeddings=emb, appearance_weight=0.5)
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    for j in (1, 2):
        app = 1 - np.linalg.norm(unit[0] - unit[j]) / 2
        assert score[0, j] == pytest.approx(0.5 * 1.0 + 0.5 * app)
    # a tracklet without an embedding (NaN row) is scored on pose alone
    emb[2] = np.nan
    score = _score(s, embeddings=emb)
    assert score[0, 2] == pytest.approx(1.0)


def test_overlapping_tracklets_never_stitched():
    walk = _walk(0, 100, 10, range(40))
    cases = [(range(0, 11), range(10, 20)),  # share frame 10
             (range(0, 11), range(5, 20)),  # overlap
             (range(0, 20), range(5, 10))]  # contained
    for fa, fb in cases:
        f, t, p = _instances((0, fa, walk[list(fa)]), (1, fb, walk[list(fb)]))
        assert stitch_tracks(f, t, p, max_gap=G, sim_thr=0.0) == {0: 0, 1: 1}
        s = summarize_tracklets(f, t, p)
        score = _score(s)
        assert np.isnan(score).all()


def test_chains_resolve_to_the_first_tracklet():
    parts = [(7, range(0, 10)), (3, range(12, 20)), (5, range(23, 30)), (8, range(32, 40))]
    other = [(9, range(0, 15)), (1, range(18, 40))]  # a second person, far away
    tracks = [(i, fr, _walk(0, 100, 6, fr)) for i, fr in parts] + \
        [(i, fr, _walk(1, 900, -6, fr, y0=100)) for i, fr in other]
    mapping = stitch_tracks(*_instances(*tracks), max_gap=G)
    assert mapping == {7: 7, 3: 7, 5: 7, 8: 7, 9: 9, 1: 9}


def test_nan_poses_give_defined_results():
    before, after = range(0, 10), range(13, 20)
    pa, pb = _walk(0, 100, 10, before), _walk(0, 100, 10, after)
    pa[:, :3, :2] = np.nan  # joints never seen in A: still stitched on the others, OKS 1
    pb[0, 5:9, :2] = np.inf  # inf counts as missing, like NaN
    f, t, p = _instances((0, before, pa), (1, after, pb))
    assert stitch_tracks(f, t, p, max_gap=G) == {0: 0, 1: 0}
    s = summarize_tracklets(f, t, p)
    score = _score(s)
    assert score[0, 1] == pytest.approx(1.0)
    assert np.isinf(s.first_poses[1, 5:9, :2]).all()  # inputs are not modified
    # a tracklet ending on an all-NaN pose has nothing to compare: never stitched (NaN score)
    pa[-1, :, :2] = np.nan
    f, t, p = _instances((0, before, pa), (1, after, pb))
    s = summarize_tracklets(f, t, p)
    score = _score(s, embeddings=np.ones((2, 4)))
    assert np.isnan(score[0, 1])
    assert stitch_tracks(f, t, p, max_gap=G) == {0: 0, 1: 1}
    # a non-finite velocity leaves that joint out of the extrapolated pose
    s = summarize_tracklets(*_instances((0, before, _walk(0, 100, 10, before)),
                                        (1, after, _walk(0, 100, 10, after))))
    vl = s.last_velocity.copy()
    vl[0, :16] = np.inf
    score = stitch_score_matrix(s.first_frames, s.last_frames, s.first_poses, s.last_poses,
                                s.first_velocity, vl)
    assert score[0, 1] == pytest.approx(1.0)  # joint 16 forward, all joints backward


def test_summary_embeddings_are_mean_unit_vectors():
    f = np.array([0, 1, 2, 0, 1])
    t = np.array([0, 0, 0, 1, 1])
    p = _walk(0, 0, 0, range(5))
    emb = np.array([[2.0, 0], [0, 3], [np.nan, 1], [np.nan, 0], [0, 0]])
    s = summarize_tracklets(f, t, p, embeddings=emb)
    np.testing.assert_allclose(s.embeddings[0], [0.5, 0.5])
    assert np.isnan(s.embeddings[1]).all()  # no finite, non-zero embedding


def _score_reference(ff, lf, fp, lp, vf, vl, emb, max_gap, min_gap, w, vis_thr):
    """Loop over pairs and joints, written from the definitions (no package helper)."""
    sig = np.asarray(POSETRACK18_SIGMAS)

    def area(pose):
        ok = np.isfinite(pose[:, :2]).all(1) & (pose[:, 2] > 0)
        if not ok.any():
            ok = np.isfinite(pose[:, :2]).all(1)
        if not ok.any():
            return 1.0
        xy = pose[ok, :2]
        return max((xy[:, 0].max() - xy[:, 0].min()) * (xy[:, 1].max() - xy[:, 1].min()), 1.0)

    def oks(pred, obs, s_pred, s_obs, a1, a2):
        s2 = (a1 + a2) / 2
        terms = []
        for j in range(len(pred)):
            if not (np.isfinite(pred[j]).all() and np.isfinite(obs[j, :2]).all()):
                continue
            if vis_thr is not None and not (s_pred[j] > vis_thr and s_obs[j] > vis_thr):
                continue
            d2 = ((pred[j] - obs[j, :2])**2).sum()
            terms.append(np.exp(-d2 / (2 * s2 * (2 * sig[j])**2)))
        return np.mean(terms) if terms else None

    T = len(ff)
    out = np.full((T, T), np.nan)
    for a in range(T):
        for b in range(T):
            gap = ff[b] - lf[a] - 1
            if not min_gap <= gap <= max_gap:
                continue
            dt = gap + 1
            o1 = oks(lp[a, :, :2] + dt * vl[a], fp[b], lp[a, :, 2], fp[b, :, 2], area(lp[a]),
                     area(fp[b]))
            o2 = oks(fp[b, :, :2] - dt * vf[b], lp[a], fp[b, :, 2], lp[a, :, 2], area(fp[b]),
                     area(lp[a]))
            if o1 is None or o2 is None:
                continue
            sc = (o1 + o2) / 2
            if emb is not None and np.isfinite(emb[a]).all() and np.isfinite(emb[b]).all():
                ua, ub = emb[a] / np.linalg.norm(emb[a]), emb[b] / np.linalg.norm(emb[b])
                sc = (1 - w) * sc + w * (1 - np.linalg.norm(ua - ub) / 2)
            out[a, b] = sc
    return out


@pytest.mark.parametrize('seed', [0, 1, 2])
@pytest.mark.parametrize('vis_thr', [None, 0.3])
def test_score_matrix_equals_loop_reference(seed, vis_thr):
    rng = np.random.default_rng(seed)
    T = 14
    ff = rng.integers(0, 40, T)
    lf = ff + rng.integers(0, 10, T)
    centre = rng.uniform(100, 200, (T, 1, 2))
    fp = np.concatenate([centre + rng.normal(0, 30, (T, 17, 2)), rng.uniform(0, 1, (T, 17, 1))],
                        -1)
    lp = np.concatenate([centre + rng.normal(0, 30, (T, 17, 2)), rng.uniform(0, 1, (T, 17, 1))],
                        -1)
    fp[rng.random((T, 17)) < 0.15, :2] = np.nan
    lp[rng.random((T, 17)) < 0.15, :2] = np.nan
    lp[0, :, :2] = np.nan  # no joint at all
    vf = rng.normal(0, 3, (T, 17, 2))
    vl = rng.normal(0, 3, (T, 17, 2))
    vl[1, 3] = np.nan
    emb = rng.normal(0, 1, (T, 8))
    emb[rng.random(T) < 0.3] = np.nan
    for e, w in ((None, 0.5), (emb, 0.3)):
        got = stitch_score_matrix(ff, lf, fp, lp, vf, vl, e, max_gap=6, min_gap=1,
                                  appearance_weight=w, vis_thr=vis_thr)
        ref = _score_reference(ff, lf, fp, lp, vf, vl, e, 6, 1, w, vis_thr)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
        assert np.isfinite(ref).sum() > 5  # the random tracks have admissible pairs
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize('seed', [0, 1])
@pytest.mark.parametrize('min_score', [0.05, 0.3])
def test_min_score_skips_only_pairs_that_cannot_reach_it(seed, min_score):
    """With ``min_score`` the pairs bounded below it are skipped: every pair the loop reference
    scores above ``min_score`` has its exact score, the others are NaN or at most
    ``min_score``; in a scene spread over 2000 px most admissible pairs are skipped."""
    rng = np.random.default_rng(seed)
    T = 60
    ff = rng.integers(0, 40, T)
    lf = ff + rng.integers(0, 10, T)
    centre = rng.uniform(0, 2000, (T, 1, 2))
    shape = rng.normal(0, 30, (T, 17, 2))
    # the second half continues the first: the same person a few frames later, near by
    centre[T // 2:] = centre[:T // 2] + rng.normal(0, 5, (T // 2, 1, 2))
    shape[T // 2:] = shape[:T // 2]
    ff[T // 2:] = lf[:T // 2] + 1 + rng.integers(0, 6, T // 2)
    lf[T // 2:] = ff[T // 2:] + rng.integers(0, 10, T // 2)
    fp = np.concatenate([centre + shape, rng.uniform(0.2, 1, (T, 17, 1))], -1)
    lp = np.concatenate([centre + shape + rng.normal(0, 5, (T, 17, 2)),
                         rng.uniform(0.2, 1, (T, 17, 1))], -1)
    vf = rng.normal(0, 1, (T, 17, 2))
    vl = rng.normal(0, 1, (T, 17, 2))
    emb = rng.normal(0, 1, (T, 8))
    for e, w in ((None, 0.5), (emb, 0.3)):
        ref = _score_reference(ff, lf, fp, lp, vf, vl, e, 6, 0, w, None)
        got = stitch_score_matrix(ff, lf, fp, lp, vf, vl, e, max_gap=6, appearance_weight=w,
                                  min_score=min_score)
        high = ref > min_score
        assert high.sum() >= 3
        np.testing.assert_allclose(got[high], ref[high], rtol=1e-10, atol=1e-12)
        low = ~high & ~np.isnan(got)
        assert (got[low] <= min_score).all()
        if e is None:  # without appearance far pairs are skipped
            assert np.isnan(got).sum() > np.isnan(ref).sum() + 0.5 * np.isfinite(ref).sum()
        # the links do not depend on the gate
        kw = dict(first_frames=ff, last_frames=lf, first_poses=fp, last_poses=lp,
                  first_velocity=vf, last_velocity=vl, embeddings=e, max_gap=6,
                  appearance_weight=w, sim_thr=min_score)
        links = stitch_tracklets(np.arange(T), **kw)
        exact = np.where(np.isnan(ref), -np.inf, ref)
        from mmpose_track.tracking.assignment import hungarian_assignment
        r, c = hungarian_assignment(exact, min_score)
        root = np.arange(T)
        root[c] = r
        for _ in range(T):
            root = root[root]
        assert links == dict(zip(range(T), root.tolist()))


def test_hungarian_links_the_best_pairs_above_threshold():
    # three tracklets end, two start; scores given through a hand-made summary
    walk = _walk(0, 100, 0, range(1))[0]
    far = walk.copy()
    far[:, 0] += 30  # 30 px away: OKS well below 1
    summ = TrackletSummary(np.array([10, 11, 12, 13, 14]), np.array([0, 0, 0, 5, 5]),
                           np.array([3, 3, 3, 8, 8]),
                           np.stack([walk, walk, walk, walk, far]),
                           np.stack([walk, far, far + [500, 0, 0], walk, walk]),
                           None, None)
    score = _score(summ)
    assert np.isnan(score[:, :3]).all() and np.isnan(score[3:]).all()
    # 10 -> 13 (OKS 1) and 11 -> 14 (both 30 px off); 12 is too far for anything
    assert stitch_tracklets(**summ._asdict()) == {10: 10, 11: 11, 12: 12, 13: 10, 14: 11}
    thr = score[1, 4]
    assert stitch_tracklets(**summ._asdict(), sim_thr=thr)[14] == 14  # strictly greater


# ---------------------------------------------------------------------------- gap filling
def test_interpolate_gaps_hand_computed():
    nan = np.nan
    frames = np.array([6, 2, 10, 5])  # any order
    poses = np.array([
        [[4, 8, 0.5], [14, 10, 0.2], [6, 6, 0.0]],  # frame 6
        [[0, 0, 0.8], [10, 10, 0.6], [nan, nan, 0]],  # frame 2
        [[8, 0, 1.0], [14, 2, 0.4], [6, 6, 1.0]],  # frame 10
        [[3, 6, 0.4], [13, 10, 0.9], [5, 5, 1.0]],  # frame 5
    ])
    f, p = interpolate_gaps(frames, poses, max_gap=1)
    assert f.size == 0 and p.shape == (0, 3, 3)  # gaps of 2 (2->5) and 3 (6->10) frames
    f, _ = interpolate_gaps(frames, poses, max_gap=2)
    np.testing.assert_array_equal(f, [3, 4])
    f, p = interpolate_gaps(frames, poses, max_gap=3, score_factor=0.5)
    np.testing.assert_array_equal(f, [3, 4, 7, 8, 9])
    expect = np.array([
        [[1, 2, 0.2], [11, 10, 0.3], [nan, nan, 0]],  # 1/3 of the way from frame 2 to 5
        [[2, 4, 0.2], [12, 10, 0.3], [nan, nan, 0]],
        [[5, 6, 0.25], [14, 8, 0.1], [nan, nan, 0]],  # 1/4 from 6 to 10; joint 2 scored 0
        [[6, 4, 0.25], [14, 6, 0.1], [nan, nan, 0]],
        [[7, 2, 0.25], [14, 4, 0.1], [nan, nan, 0]],
    ])
    np.testing.assert_allclose(p, expect)
    # score_thr=None: a finite joint scored 0 is interpolated (score 0 · factor)
    _, p = interpolate_gaps(frames, poses, max_gap=3, score_factor=0.5, score_thr=None)
    np.testing.assert_allclose(p[2:, 2], [[6, 6, 0], [6, 6, 0], [6, 6, 0]])
    # (N, K, 2) input: scores count as 1
    _, p = interpolate_gaps([0, 2], np.array([[[0.0, 0]], [[2.0, 4]]]), max_gap=1,
                            score_factor=0.25)
    np.testing.assert_allclose(p, [[[1, 2, 0.25]]])


def test_interpolate_track_gaps_over_tracks():
    f = np.array([0, 0, 3, 2, 9])
    t = np.array([5, 1, 5, 1, 5])
    p = np.zeros((5, 1, 3))
    p[:, 0, 0] = [0, 100, 30, 120, 90]
    p[:, 0, 2] = 1.0
    frames, ids, poses = interpolate_track_gaps(f, t, p, max_gap=2, score_factor=0.5)
    # track 1: 0 -> 2 (frame 1); track 5: 0 -> 3 (frames 1, 2); 3 -> 9 too long
    np.testing.assert_array_equal(frames, [1, 1, 2])
    np.testing.assert_array_equal(ids, [1, 5, 5])
    np.testing.assert_allclose(poses[:, 0, 0], [110, 10, 20])
    np.testing.assert_allclose(poses[:, 0, 2], 0.5)


# ---------------------------------------------------------------------------- edge cases
def test_empty_inputs():
    empty_k = np.zeros((0, 17, 3))
    z = np.zeros(0, dtype=np.int64)
    assert stitch_tracks(z, z, empty_k) == {}
    s = summarize_tracklets(z, z, empty_k, embeddings=np.zeros((0, 4)))
    assert s.first_poses.shape == (0, 17, 3) and s.embeddings.shape == (0, 4)
    assert stitch_tracklets(**s._asdict()) == {}
    assert stitch_score_matrix(z, z, empty_k, empty_k).shape == (0, 0)
    f, t, p = interpolate_track_gaps(z, z, empty_k, max_gap=3)
    assert f.shape == (0, ) and t.shape == (0, ) and p.shape == (0, 17, 3)
    # one tracklet: nothing to stitch
    one = _walk(0, 0, 1, range(3))
    assert stitch_tracks(np.arange(3), np.full(3, 4), one) == {4: 4}


def test_bad_input_raises():
    p = _walk(0, 100, 10, range(4))
    with pytest.raises(ValueError, match='differ in length'):
        stitch_tracks(np.arange(4), np.zeros(3), p)
    with pytest.raises(ValueError, match='rows'):
        stitch_tracks(np.arange(3), np.zeros(3), p)
    with pytest.raises(ValueError, match='two instances'):
        stitch_tracks(np.array([0, 1, 1, 2]), np.zeros(4), p)
    with pytest.raises(ValueError, match='integers'):
        stitch_tracks(np.array([0, 1, 1.5, 2]), np.zeros(4), p)
    with pytest.raises(ValueError, match='integers'):
        interpolate_gaps(np.array([0, np.nan, 2, 3]), p, max_gap=2)
    with pytest.raises(ValueError, match='keypoints'):
        stitch_tracks(np.arange(4), np.zeros(4), p[..., 0])
    with pytest.raises(ValueError, match='embeddings'):
        stitch_tracks(np.arange(4), np.zeros(4), p, embeddings=np.ones((3, 2)))
    s = summarize_tracklets(np.arange(4), np.array([0, 0, 1, 1]), p)
    kw = s._asdict()
    with pytest.raises(ValueError, match='distinct'):
        stitch_tracklets(**{**kw, 'track_ids': np.array([3, 3])})
    with pytest.raises(ValueError, match='differ in length'):
        stitch_tracklets(**{**kw, 'track_ids': np.array([3, 4, 5])})
    with pytest.raises(ValueError, match='first_poses'):
        stitch_tracklets(**{**kw, 'first_poses': s.first_poses[:1]})
    with pytest.raises(ValueError, match='last_velocity'):
        stitch_tracklets(**{**kw, 'last_velocity': s.last_velocity[:, :3]})
    with pytest.raises(ValueError, match='ends before'):
        stitch_tracklets(**{**kw, 'last_frames': s.first_frames - 1})
    with pytest.raises(ValueError, match='max_gap'):
        stitch_tracklets(**kw, max_gap=-1)
    with pytest.raises(ValueError, match='appearance_weight'):
        stitch_tracklets(**kw, appearance_weight=1.5)
    with pytest.raises(ValueError, match='sigmas'):  # K != 17 needs the dataset's sigmas
        stitch_tracks(np.arange(4), np.array([0, 0, 1, 1]), p[:, :5])
    ok = stitch_tracks(np.arange(4), np.array([0, 0, 1, 1]), p[:, :5], sigmas=np.full(5, 0.1))
    assert ok == {0: 0, 1: 0}
    with pytest.raises(ValueError, match='score_factor'):
        interpolate_gaps(np.arange(4), p, max_gap=2, score_factor=-1)
