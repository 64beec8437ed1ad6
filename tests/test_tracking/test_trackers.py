import os.path as osp

import numpy as np
import pytest

from mmpose_track.tracking import (BasePoseTracker, build_tracker, filter_low_score_joints,
                                   oks_matrix)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG_DIR = osp.join(ROOT, 'configs', 'trackers')
CONFIGS = ['oks_hungarian', 'oks_greedy', 'iou_hungarian', 'iou_appearance', 'st_embed',
           'keypoint_matching']


def layout(seed):
    """A pose: 17 joints inside an 80 x 200 box centred at 0."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-1, 1, (17, 2)) * [40, 100]
    return np.concatenate([xy, np.ones((17, 1))], 1)


def at(pose, cx, cy=300.0):
    return pose + [cx, cy, 0]


def box(cx, cy=300.0):
    return np.array([cx - 40, cy - 100, cx + 40, cy + 100])


def crossing():
    """A walks right, B left, 10 px/frame, same box size; they swap places between frames 2
    and 3: IoU(A_3, B_2) = 1 > IoU(A_3, A_2) = 0.78, but their poses differ (OKS)."""
    A, B = layout(0), layout(1)
    frames = []
    for t in range(6):
        xa, xb = 100 + 10 * t, 150 - 10 * t
        frames.append((np.stack([at(A, xa), at(B, xb)]), np.stack([box(xa), box(xb)])))
    return frames


@pytest.mark.parametrize('name', CONFIGS)
def test_every_config_builds_and_tracks(name):
    tracker = build_tracker(osp.join(CFG_DIR, name + '.py'))
    assert isinstance(tracker, BasePoseTracker)
    for t, (k, b) in enumerate(crossing()[:3]):
        ids = tracker.update(k, b, t)
        assert ids.dtype == np.int64 and ids.shape == (2, ) and (ids >= 0).all()
        assert len(set(ids.tolist())) == 2


def test_crossing_iou_swaps_oks_does_not():
    oks = build_tracker(dict(type='OKSHungarianTracker'))
    iou = build_tracker(dict(type='IoUHungarianTracker'))
    greedy = build_tracker(dict(type='OKSGreedyTracker'))
    out = {'oks': [], 'iou': [], 'greedy': []}
    for t, (k, b) in enumerate(crossing()):
        out['oks'].append(oks.update(k, b, t).tolist())
        out['iou'].append(iou.update(k, b, t).tolist())
        out['greedy'].append(greedy.update(k, b, t).tolist())
    assert out['oks'] == [[0, 1]] * 6
    assert out['greedy'] == [[0, 1]] * 6
    assert out['iou'][:3] == [[0, 1]] * 3
    assert out['iou'][3] == [1, 0]  # swapped identities


def test_iou_appearance_fixes_the_crossing_with_embeddings():
    tr = build_tracker(dict(type='IoUAppearanceTracker'))
    emb = np.eye(2, 16)
    for t, (k, b) in enumerate(crossing()):
        assert tr.update(k, b, t, embeddings=emb).tolist() == [0, 1]
    tr.reset()  # without embeddings it is an IoU tracker (and swaps)
    with pytest.warns(UserWarning):
        ids = [tr.update(k, b, t).tolist() for t, (k, b) in enumerate(crossing())]
    assert ids[3] == [1, 0]


def _scene(t, with_a=True, drift=2.0):
    A, C = layout(0), layout(2)
    people, boxes = [], []
    if with_a:
        people.append(at(A, 100 + drift * t))
        boxes.append(box(100 + drift * t))
    people.append(at(C, 600))
    boxes.append(box(600))
    return np.stack(people), np.stack(boxes)


def test_person_missing_for_a_few_frames_is_reidentified():
    keep = build_tracker(dict(type='OKSHungarianTracker', num_frames_retain=5))
    lose = build_tracker(dict(type='OKSHungarianTracker', num_frames_retain=1))
    for tr in (keep, lose):
        for t in range(5):
            assert tr.update(*_scene(t), t).tolist() == [0, 1]
        for t in range(5, 8):  # A is occluded for 3 frames
            assert tr.update(*_scene(t, with_a=False), t).tolist() == [1]
    assert keep.update(*_scene(8), 8).tolist() == [0, 1]
    assert lose.update(*_scene(8), 8).tolist() == [2, 1]  # re-appears with a new id


def test_cascade_prefers_active_tracks():
    # a lost track and an active one both match a detection; the active one wins
    tr = build_tracker(dict(type='OKSHungarianTracker', num_frames_retain=5, cascade=True))
    A = layout(0)
    tr.update(np.stack([at(A, 100)]), None, 0)           # id 0
    tr.update(np.stack([at(A, 400)]), None, 1)           # id 1 (0 is lost now)
    ids = tr.update(np.stack([at(A, 401), at(A, 101)]), None, 2)
    assert ids.tolist() == [1, 0]  # and the lost one is re-activated for the other detection
    no_react = build_tracker(dict(type='OKSHungarianTracker', num_frames_retain=5,
                                  reactivate=False))
    no_react.update(np.stack([at(A, 100)]), None, 0)
    no_react.update(np.stack([at(A, 400)]), None, 1)
    assert no_react.update(np.stack([at(A, 401), at(A, 101)]), None, 2).tolist() == [1, 2]


def test_empty_frames_and_all_detections_missing():
    tr = build_tracker(dict(type='OKSHungarianTracker', num_frames_retain=3))
    empty = tr.update(np.zeros((0, 17, 3)), None, 0)  # empty first frame (K unknown)
    assert empty.dtype == np.int64 and empty.shape == (0, )
    assert tr.update(*_scene(1), 1).tolist() == [0, 1]
    assert tr.update(np.zeros((0, 17, 3)), np.zeros((0, 4)), 2).shape == (0, )
    assert tr.update([], None, 3).shape == (0, )
    assert tr.update(*_scene(4), 4).tolist() == [0, 1]  # gap 3 <= retain 3
    for t in range(5, 9):
        tr.update(np.zeros((0, 17, 3)), None, t)
    assert tr.update(*_scene(9), 9).tolist() == [2, 3]  # gone for too long: new ids


def test_skipped_frames_age_tracks_by_the_gap():
    tr = build_tracker(dict(type='OKSHungarianTracker', num_frames_retain=2))
    assert tr.update(*_scene(0), 0).tolist() == [0, 1]
    assert tr.update(*_scene(2), 2).tolist() == [0, 1]  # gap 2 <= 2
    assert tr.update(*_scene(5), 5).tolist() == [2, 3]  # gap 3 > 2


def test_shot_cut_gives_new_ids():
    for cfg in ('oks_hungarian', 'iou_hungarian', 'oks_greedy', 'keypoint_matching'):
        tr = build_tracker(osp.join(CFG_DIR, cfg + '.py'))
        for t in range(5):
            assert tr.update(*_scene(t), t).tolist() == [0, 1]
        D, E = layout(7), layout(8)  # new shot: other people elsewhere
        k = np.stack([at(D, 350, 700), at(E, 900, 700)])
        b = np.stack([box(350, 700), box(900, 700)])
        assert tr.update(k, b, 5).tolist() == [2, 3], cfg


def test_frame_id_going_backwards_and_video_seen_twice():
    tr = build_tracker(dict(type='OKSHungarianTracker'))
    for t in range(3):
        tr.update(*_scene(t), t)
    with pytest.raises(ValueError, match='reset'):
        tr.update(*_scene(0), 0)
    with pytest.raises(ValueError):
        tr.update(*_scene(2), 2)  # same frame twice
    tr.reset()
    assert tr.update(*_scene(0), 0).tolist() == [0, 1]
    # frame_id None: consecutive frames
    assert tr.update(*_scene(1)).tolist() == [0, 1]


def test_ids_never_reused_within_a_video():
    tr = build_tracker(dict(type='OKSHungarianTracker', num_frames_retain=1))
    seen = set()
    rng = np.random.default_rng(0)
    prev = None
    for t in range(60):
        n = int(rng.integers(0, 4))
        k = np.stack([at(layout(int(rng.integers(100))), float(rng.uniform(0, 2000)))
                      for _ in range(n)]) if n else np.zeros((0, 17, 3))
        ids = tr.update(k, None, t)
        assert len(set(ids.tolist())) == len(ids)
        cont = set(prev.tolist()) if prev is not None else set()
        for i in ids.tolist():
            assert i not in seen or i in cont  # an old id only continues its live track
        seen |= set(ids.tolist())
        prev = ids
    assert tr.num_tracks == max(seen) + 1


def test_single_person_nan_keypoints_and_bad_boxes():
    tr = build_tracker(dict(type='OKSHungarianTracker', num_frames_retain=3))
    A = layout(0)
    k0 = at(A, 100)[None]
    assert tr.update(k0, box(100)[None], 0).tolist() == [0]
    k1 = k0.copy()
    k1[0, :5, :2] = np.nan  # some joints lost
    k1[0, 6, 2] = np.nan
    assert tr.update(k1, None, 1).tolist() == [0]
    assert tr.update(k0, np.array([[150., 400., 50., 200.]]), 2).tolist() == [0]  # inverted box
    assert tr.update(k0, np.array([[100., 300., 100., 300.]]), 3).tolist() == [0]  # zero area
    allnan = np.full((1, 17, 3), np.nan)
    assert tr.update(allnan, None, 4).tolist() == [1]  # nothing to match with: new id
    assert tr.update(k0, np.full((1, 4), np.nan), 5).tolist() == [0]
    iou = build_tracker(dict(type='IoUHungarianTracker'))
    assert iou.update(k0, np.array([[100., 300., 100., 300.]]), 0).tolist() == [0]
    assert iou.update(k0, np.array([[100., 300., 100., 300.]]), 1).tolist() == [1]  # IoU 0


def test_shape_errors():
    tr = build_tracker(dict(type='OKSHungarianTracker'))
    with pytest.raises(ValueError):
        tr.update(np.zeros((2, 17)), None, 0)
    with pytest.raises(ValueError):
        tr.update(np.zeros((2, 17, 3)), np.zeros((3, 4)), 0)
    tr.update(np.ones((1, 17, 3)), None, 0)
    with pytest.raises(ValueError):
        tr.update(np.ones((1, 5, 3)), None, 1)


def test_finalize_min_track_length_and_joint_filter():
    tr = build_tracker(dict(type='OKSHungarianTracker', min_track_length=3, joint_score_thr=0.5))
    for t in range(4):
        k, b = _scene(t, with_a=(t < 2))
        tr.update(k, b, t)
    assert tr.track_lengths() == {0: 2, 1: 4}
    assert tr.finalize() == {0: -1, 1: 1}
    k = layout(0)[None].copy()
    k[0, :3, 2] = [0.1, 0.49, 0.5]
    f = tr.filter_output(k)
    assert f[0, :3, 2].tolist() == [0.0, 0.0, 0.5] and k[0, 0, 2] == 0.1
    g = filter_low_score_joints(k, 0.5, fill_xy=0.0)
    assert (g[0, :2, :2] == 0).all() and (g[0, 2:, :2] == k[0, 2:, :2]).all()


def test_torch_inputs_to_trackers():
    import torch
    tr = build_tracker(dict(type='OKSHungarianTracker'))
    for t, (k, b) in enumerate(crossing()):
        ids = tr.update(torch.tensor(k, dtype=torch.float32), torch.tensor(b), t)
        assert isinstance(ids, np.ndarray) and ids.tolist() == [0, 1]
    t = torch.tensor(layout(0)[None])
    f = filter_low_score_joints(t, 2.0)
    assert isinstance(f, torch.Tensor) and float(f[..., 2].sum()) == 0


def test_st_embed_tracker_uses_he_and_tie():
    # two people swap places (same box): embeddings keep identities; TIE alone too when the
    # forward TIE points at each person's previous centre
    tr = build_tracker(osp.join(CFG_DIR, 'st_embed.py'))
    emb = np.eye(2, 8)
    fr = crossing()
    for t, (k, b) in enumerate(fr):
        assert tr.update(k, b, t, embeddings=emb).tolist() == [0, 1]
    tie_only = build_tracker(dict(type='EmbeddingTracker', lambda_he=0.0))
    prev_c = None
    for t, (k, b) in enumerate(fr):
        c = k[..., :2].mean(1)
        tie = np.repeat((prev_c if prev_c is not None else c)[:, None], 17, 1)
        assert tie_only.update(k, b, t, tie=tie).tolist() == [0, 1]
        prev_c = c
    # without any feature: centre-distance fallback; far apart person starts a new track
    plain = build_tracker(dict(type='EmbeddingTracker'))
    plain.update(*_scene(0), 0)
    with pytest.warns(UserWarning):
        assert plain.update(*_scene(1), 1).tolist() == [0, 1]
    D = layout(9)
    assert plain.update(at(D, 1500)[None], None, 2).tolist() == [2]


def test_keypoint_matching_with_caller_similarity():
    fr = crossing()
    # a "learned" matcher that knows the identities: high G_k for the same person
    ident = [np.array([0, 1])] * len(fr)
    tr = build_tracker(dict(type='KeypointMatchingTracker'))
    for t, (k, b) in enumerate(fr):
        if t == 0:
            ids = tr.update(k, b, t)
        else:
            same = (ident[t][:, None] == ident[t - 1][None, :]).astype(float)
            g = np.repeat(same[..., None], 17, -1) * 0.9
            ids = tr.update(k, b, t, keypoint_similarity=g)
        assert ids.tolist() == [0, 1]
    # callable on keypoint features
    feats = np.stack([np.eye(17, 4) * 0 + 1, -np.ones((17, 4))])
    tr2 = build_tracker(dict(type='KeypointMatchingTracker', keypoint_similarity='cosine'))
    for t, (k, b) in enumerate(fr):
        assert tr2.update(k, b, t, keypoint_features=feats).tolist() == [0, 1]
    fn = lambda fa, fb: np.full((len(fa), len(fb), 17), 0.0)  # noqa: E731
    tr3 = build_tracker(dict(type='KeypointMatchingTracker', keypoint_similarity=fn))
    tr3.update(fr[0][0], fr[0][1], 0, keypoint_features=feats)
    assert tr3.update(fr[1][0], fr[1][1], 1, keypoint_features=feats).tolist() == [2, 3]
    # far apart (IoU < 0.1): Eq. 5 gives 0 whatever G_k says
    tr4 = build_tracker(dict(type='KeypointMatchingTracker'))
    tr4.update(at(layout(0), 100)[None], None, 0)
    assert tr4.update(at(layout(0), 500)[None], None, 1,
                      keypoint_similarity=np.ones((1, 1, 17))).tolist() == [1]


def test_oks_tracker_similarity_gating_is_exact():
    # many people: the gated OKS of the tracker equals the dense OKS where it matters
    from mmpose_track.tracking.trackers.oks_trackers import _oks_dense, oks_fast
    from mmpose_track.tracking._utils import COCO_SIGMAS
    rng = np.random.default_rng(0)
    k = np.stack([at(layout(i), float(rng.uniform(0, 3000)), float(rng.uniform(0, 2000)))
                  for i in range(60)])
    k2 = k + np.concatenate([rng.normal(0, 3, (60, 17, 2)), np.zeros((60, 17, 1))], -1)
    areas = np.full(60, 16000.0)
    inv = 1 / (2 * (2 * COCO_SIGMAS)**2)
    dense = _oks_dense(k, k2, areas, areas, inv, None)
    gated = oks_fast(k, k2, areas, areas, inv, None, thr=0.3)
    above = dense > 0.3
    np.testing.assert_allclose(gated[above], dense[above])
    assert (gated[~above] <= 0.3).all()
    np.testing.assert_allclose(dense, oks_matrix(k, k2, areas, areas), rtol=1e-9)


def test_memory_view_and_feature_checks():
    tr = build_tracker(dict(type='IoUAppearanceTracker', num_frames_retain=2,
                            feature_momentum=0.5))
    k, b = _scene(0)
    tr.update(k, b, 0, embeddings=np.ones((2, 4)))
    tr.update(k, b, 1, embeddings=np.zeros((2, 4)))
    view = tr.tracks
    assert sorted(view) == [0, 1]
    assert view[0]['frame_ids'] == [0, 1] and view[0]['num_hits'] == 2
    np.testing.assert_allclose(view[0]['embeddings'], 0.5)  # momentum 0.5
    with pytest.raises(ValueError, match='rows'):
        tr.update(k, b, 2, embeddings=np.ones((3, 4)))
    tr.pop_invalid_tracks(10)
    assert tr.tracks == {} and tr.num_tracks == 2
