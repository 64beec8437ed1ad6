import os.path as osp

import numpy as np
import pytest

from mmpose_track.tracking import (BaseSimilarity, DetectionFrame, PoseTracker, build_tracker,
                                   filter_low_score_joints, oks_matrix, oks_matrix_prepared)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG_DIR = osp.join(ROOT, 'configs', 'trackers')
CONFIGS = ['oks_hungarian', 'oks_greedy', 'iou_hungarian', 'iou_appearance', 'st_embed',
           'keypoint_matching']
#: PoseTrack18 / COCO OKS sigmas, as printed in cocoapi
SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87,
                   .89, .89]) / 10.0


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


def _identity_embeddings(people):
    """One-hot appearance embeddings by identity (for trackers that read ``embeddings``)."""
    return np.eye(8)[people]


# Every config tracks the same hand-derived story (``_story_frame``: A walks right 2 px/frame,
# C stands at x=600, D stands far away at x=1500; boxes 80 x 200):
#   frames 0-2: A, C            -> [0, 1] each frame (A_t vs A_t-1: IoU 0.95, OKS ~0.98; A and C
#                                  are 500 px apart: IoU 0, OKS ~0)
#   frame 3:    C, D (A hidden) -> [1, 2] (C continues; D is far from every track: new id 2)
#   frame 4:    A, C, D         -> A is back after one missing frame (gap 2): configs that
#                                  retain tracks >= 2 frames and re-activate them give A its id 0;
#                                  the others (num_frames_retain=1) give A a new id 3.
RETAIN_AND_REACTIVATE = {'oks_hungarian': True, 'iou_hungarian': True, 'iou_appearance': True,
                         'oks_greedy': False, 'st_embed': False, 'keypoint_matching': False}


def _story_frame(t):
    A, C, D = layout(0), layout(2), layout(3)
    who = {0: 'AC', 1: 'AC', 2: 'AC', 3: 'CD', 4: 'ACD'}[t]
    pos = {'A': 100 + 2.0 * t, 'C': 600.0, 'D': 1500.0}
    pose = {'A': A, 'C': C, 'D': D}
    k = np.stack([at(pose[p], pos[p]) for p in who])
    b = np.stack([box(pos[p]) for p in who])
    return k, b, ['ACD'.index(p) for p in who]


@pytest.mark.parametrize('name', CONFIGS)
def test_every_config_tracks_the_hand_derived_story(name):
    tracker = build_tracker(osp.join(CFG_DIR, name + '.py'))
    assert isinstance(tracker, PoseTracker)
    back = [0, 1, 2] if RETAIN_AND_REACTIVATE[name] else [3, 1, 2]
    expected = [[0, 1], [0, 1], [0, 1], [1, 2], back]
    got = []
    for t in range(5):
        k, b, people = _story_frame(t)
        feats = {'embeddings': _identity_embeddings(people)} \
            if 'embeddings' in tracker.feature_keys else {}
        ids = tracker.update(k, b, t, **feats)
        assert ids.dtype == np.int64
        got.append(ids.tolist())
    assert got == expected


def test_feature_keys_are_declared():
    declared = {
        'oks_hungarian': (), 'oks_greedy': (), 'iou_hungarian': (),
        'iou_appearance': ('embeddings', ),
        'st_embed': ('embeddings', 'tie', 'sie', 'tie_backward'),
        'keypoint_matching': ('keypoint_features', 'keypoint_similarity',
                              'keypoint_pair_similarity'),
    }
    for name in CONFIGS:
        assert build_tracker(osp.join(CFG_DIR, name + '.py')).feature_keys == declared[name]
    # undeclared features are ignored (not checked, not remembered)
    tr = build_tracker(dict(type='OKSHungarianTracker'))
    k, b, _ = _story_frame(0)
    tr.update(k, b, 0, embeddings=np.ones((5, 3)), labels=['x'])
    assert tr.memory.feats == {}


def test_configs_equal_their_preset_names():
    """The composed configs and the registered preset names build the same tracker."""
    presets = {
        'oks_hungarian': dict(type='OKSHungarianTracker', num_frames_retain=5),
        'oks_greedy': dict(type='OKSGreedyTracker'),
        'iou_hungarian': dict(type='IoUHungarianTracker', num_frames_retain=5),
        'iou_appearance': dict(type='IoUAppearanceTracker', num_frames_retain=10,
                               feature_momentum=0.5),
        'st_embed': dict(type='EmbeddingTracker'),
        'keypoint_matching': dict(type='KeypointMatchingTracker'),
    }
    for name, preset in presets.items():
        a, b = build_tracker(osp.join(CFG_DIR, name + '.py')), build_tracker(preset)
        assert repr(a.similarity) == repr(b.similarity), name
        assert repr(a.assigner) == repr(b.assigner), name
        assert repr(a.memory) == repr(b.memory), name
        assert (a.reactivate, a.cascade) == (b.reactivate, b.cascade), name


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


def _oks_loop(ka, kb, area_a, area_b, sigmas):
    """OKS by explicit loops (cocoapi's formula)."""
    out = np.zeros((len(ka), len(kb)))
    for i in range(len(ka)):
        for j in range(len(kb)):
            terms = []
            for k in range(ka.shape[1]):
                d2 = (ka[i, k, 0] - kb[j, k, 0])**2 + (ka[i, k, 1] - kb[j, k, 1])**2
                s2 = (area_a[i] + area_b[j]) / 2
                terms.append(np.exp(-d2 / (2 * s2 * (2 * sigmas[k])**2)))
            out[i, j] = np.mean(terms)
    return out


def test_oks_tracker_similarity_gating_is_exact():
    # many people (N·M >= 256): the gated OKS of the trackers equals a loop-based OKS wherever it
    # is above the threshold, and is <= the threshold elsewhere
    from mmpose_track.tracking import oks_inv_two_var
    rng = np.random.default_rng(0)
    k = np.stack([at(layout(i), float(rng.uniform(0, 3000)), float(rng.uniform(0, 2000)))
                  for i in range(60)])
    k2 = k + np.concatenate([rng.normal(0, 3, (60, 17, 2)), np.zeros((60, 17, 1))], -1)
    areas = np.full(60, 16000.0)
    ref = _oks_loop(k, k2, areas, areas, SIGMAS)
    inv = oks_inv_two_var(None, 17)
    gated = oks_matrix_prepared(k, k2, areas, areas, inv, None, min_oks=0.3)
    above = ref > 0.3
    assert above.sum() >= 60  # every person matches itself
    np.testing.assert_allclose(gated[above], ref[above], rtol=1e-12)
    assert (gated[~above] <= 0.3).all()
    np.testing.assert_allclose(oks_matrix_prepared(k, k2, areas, areas, inv), ref, rtol=1e-12)
    np.testing.assert_allclose(oks_matrix(k, k2, areas, areas), ref, rtol=1e-12)


class TableSimilarity(BaseSimilarity):
    """A similarity given per frame as a table ``(N, max_id + 1)`` by track id (test part)."""
    pairwise_keys = ('table', )

    def __call__(self, det, memory, det_idx, trk_idx, min_sim=None):
        ids = memory.ids if trk_idx is None else memory.ids[trk_idx]
        table = det.feats['table']
        rows = table if det_idx is None else table[det_idx]
        return rows[:, ids]


@pytest.mark.parametrize('assigner,expected', [
    # frame 1, S = [[.5, .6], [.1, .9]] over ids (0, 1):
    #   row greedy: det 0 takes id 1 (.6), det 1 has only id 0 left (.1 <= .3): new id 2
    #   global greedy: .9 (det 1, id 1) first, then (det 0, id 0) = .5: [0, 1]; Hungarian alike
    # frame 2 (ids 0 and 2 lost/popped per assigner), S = [[.9, .8, .2], [.8, .1, .7]]:
    #   row (live ids 1, 2): det 0 takes id 1 (.8), det 1 takes id 2 (.7): [1, 2]
    #   global (live ids 0, 1): .9 (det 0, id 0), then (det 1, id 1) = .1: new id 2 -> [0, 2]
    #   Hungarian (live ids 0, 1): .8 + .8 > .9 + .1 -> [1, 0]
    (dict(type='GreedyAssigner', match_thr=0.3, order='row'), [[0, 1], [1, 2], [1, 2]]),
    (dict(type='GreedyAssigner', match_thr=0.3, order='global'), [[0, 1], [0, 1], [0, 2]]),
    (dict(type='HungarianAssigner', match_thr=0.3), [[0, 1], [0, 1], [1, 0]]),
])
def test_assigners_through_a_tracker_with_a_new_similarity(assigner, expected):
    tr = build_tracker(dict(type='PoseTracker', similarity=dict(type=TableSimilarity),
                            assigner=assigner))
    assert tr.feature_keys == ('table', )
    k = np.stack([at(layout(0), 100), at(layout(1), 300)])
    tables = [None, np.array([[.5, .6], [.1, .9]]), np.array([[.9, .8, .2], [.8, .1, .7]])]
    got = [tr.update(k, None, t, table=tables[t]).tolist() for t in range(3)]
    assert got == expected


def test_greedy_global_preset_key():
    # the flat key of the presets builds the same assigner
    tr = build_tracker(dict(type='OKSHungarianTracker', assigner='greedy_global'))
    assert (type(tr.assigner).__name__, tr.assigner.order) == ('GreedyAssigner', 'global')
    with pytest.raises(ValueError, match='greedy_global'):
        build_tracker(dict(type='OKSHungarianTracker', assigner='nearest'))


def _frame(tr, k, b, **feats):
    return DetectionFrame.prepare(k, b, 0, feats, tr.memory.num_kpts, tr._person_keys,
                                  tr._pairwise_keys)


def test_iou_appearance_min_iou_gate():
    # the track: box at x=100 with embedding e; the detection: same embedding, box shifted 60 px:
    # IoU = (20 * 200) / (2 * 16000 - 20 * 200) = 1/7; a = 1 - 0/2 = 1
    # w = 0.5 * 1/7 + 0.5 * 1 = 0.571 > 0.3: matched, unless min_iou = 0.2 > 1/7 makes it -inf
    A = layout(0)
    e = np.array([[1., 2., 3.]])
    for min_iou, sim, ids in ((0.0, 0.5 / 7 + 0.5, [0]), (0.2, -np.inf, [1])):
        tr = build_tracker(dict(type='IoUAppearanceTracker', min_iou=min_iou))
        tr.update(at(A, 100)[None], box(100)[None], 0, embeddings=e)
        det = _frame(tr, at(A, 160)[None], box(160)[None], embeddings=e)
        np.testing.assert_allclose(tr.similarity(det, tr.memory, None, None), [[sim]])
        assert tr.update(at(A, 160)[None], box(160)[None], 1, embeddings=e).tolist() == ids


def test_iou_appearance_raw_distances_when_not_normalized():
    # tracks (same box as the detection, IoU 1) with embeddings [1, 0] and [10, 0]; the
    # detection's is [9, 0]:
    #   normalize=True:  all three point the same way: d = 0, a = 1 -> w = [1, 1] (a tie)
    #   normalize=False: d = [8, 1], a = exp(-d / 2) -> w = 0.5 + 0.5 * exp([-4, -0.5])
    A, B = layout(0), layout(1)
    k0 = np.stack([at(A, 100), at(B, 100)])
    b0 = np.stack([box(100), box(100)])
    emb0 = np.array([[1., 0.], [10., 0.]])
    det_k, det_b, det_e = at(B, 100)[None], box(100)[None], np.array([[9., 0.]])
    expect = {True: [[1.0, 1.0]], False: [[0.5 + 0.5 * np.exp(-4), 0.5 + 0.5 * np.exp(-0.5)]]}
    for normalize in (True, False):
        tr = build_tracker(dict(type='IoUAppearanceTracker', normalize=normalize,
                                appearance_scale=2.0))
        tr.update(k0, b0, 0, embeddings=emb0)
        sim = tr.similarity(_frame(tr, det_k, det_b, embeddings=det_e), tr.memory, None, None)
        np.testing.assert_allclose(sim, expect[normalize], rtol=1e-12)
    assert tr.update(det_k, det_b, 1, embeddings=det_e).tolist() == [1]


def test_st_embed_backward_tie_term():
    """Eq. 9 with the backward term, one joint (J = 1), no HE term, raw Psi (no area division).

    Frame 0: P (id 0) and Q (id 1) with SIE S^{t-1} = [0, 0] and [10, 0]. Frame 1: two people
    listed Q-like first; forward TIE T = [5, 0] for both (equidistant from P and Q: every forward
    term is 25, ambiguous); SIE S^t = [10, 0] (Q-like), [0, 0] (P-like); backward TIE T' at the
    previous people's joints (previous call's order P, Q) = [1, 0], [9, 0]. Hand-derived
    Psi(k, k') = (||T(k) - S^{t-1}(k')||^2 + ||T'(k') - S^t(k)||^2) / 2:
        Q-like: P (25 + 81) / 2 = 53, Q (25 + 1) / 2 = 13
        P-like: P (25 + 1) / 2 = 13,  Q (25 + 81) / 2 = 53
    so the backward term resolves the ambiguity: ids [1, 0].
    """
    tr = build_tracker(dict(type='EmbeddingTracker', lambda_he=0.0, tie_normalize=False,
                            max_cost=1000.0))
    k0 = np.array([[[0., 0., 1.]], [[10., 0., 1.]]])
    b0 = np.array([[-5., -5., 5., 5.], [5., -5., 15., 5.]])
    assert tr.update(k0, b0, 0, sie=np.array([[[0., 0.]], [[10., 0.]]])).tolist() == [0, 1]
    k1 = k0[::-1].copy()
    b1 = b0[::-1].copy()
    feats = dict(tie=np.array([[[5., 0.]], [[5., 0.]]]), sie=np.array([[[10., 0.]], [[0., 0.]]]),
                 tie_backward=np.array([[[1., 0.]], [[9., 0.]]]))
    fwd_only = {k: v for k, v in feats.items() if k != 'tie_backward'}
    cost = tr.similarity.cost(_frame(tr, k1, b1, **fwd_only), tr.memory, None, None)
    np.testing.assert_allclose(cost, [[25., 25.], [25., 25.]])
    cost = tr.similarity.cost(_frame(tr, k1, b1, **feats), tr.memory, None, None)
    np.testing.assert_allclose(cost, [[53., 13.], [13., 53.]])
    assert tr.update(k1, b1, 1, **feats).tolist() == [1, 0]


def test_new_similarity_is_one_registered_class():
    from mmpose_track.registry import TRACKING_PARTS

    @TRACKING_PARTS.register_module(name='_TestCentreSimilarity', force=True)
    class CentreSimilarity(BaseSimilarity):
        def __call__(self, det, memory, det_idx, trk_idx, min_sim=None):
            cd = det.boxes if det_idx is None else det.boxes[det_idx]
            ct = memory.boxes if trk_idx is None else memory.boxes[trk_idx]
            cd = 0.5 * (cd[:, :2] + cd[:, 2:])
            ct = 0.5 * (ct[:, :2] + ct[:, 2:])
            return -np.linalg.norm(cd[:, None] - ct[None], axis=-1)

    try:
        tr = build_tracker(dict(type='PoseTracker', similarity=dict(type='_TestCentreSimilarity'),
                                assigner=dict(type='HungarianAssigner', match_thr=-50.0)))
        for t in range(3):  # A moves 2 px/frame, C stays: centre distances 2 and 0 < 50
            k, b, _ = _story_frame(t)
            assert tr.update(k, b, t).tolist() == [0, 1]
        k, b, _ = _story_frame(3)  # C stays (0 px); D is 900 px from C: new
        assert tr.update(k, b, 3).tolist() == [1, 2]
    finally:
        TRACKING_PARTS.module_dict.pop('_TestCentreSimilarity', None)


def test_part_config_errors_name_the_part():
    with pytest.raises(KeyError, match='tracker similarity type'):
        build_tracker(dict(type='PoseTracker', similarity=dict(type='NoSuchSimilarity')))
    with pytest.raises(TypeError, match='OKSSimilarity'):
        build_tracker(dict(type='PoseTracker', similarity=dict(type='OKSSimilarity', thr=1)))
    with pytest.raises(TypeError, match='assigner must provide'):
        build_tracker(dict(type='PoseTracker', similarity=dict(type='IoUSimilarity'),
                           assigner=0.3))


def test_sigmas_from_config_dataset_meta_or_default():
    # 5 keypoints: the default (17 PoseTrack18 sigmas) cannot apply; the dataset's sigmas do
    k = np.random.default_rng(0).uniform(0, 50, (2, 5, 3))
    k[..., 2] = 1
    tr = build_tracker(dict(type='OKSHungarianTracker'))
    tr.update(k, None, 0)
    with pytest.raises(ValueError, match='OKSSimilarity.*sigmas'):
        tr.update(k + 1, None, 1)
    sig = [0.05, 0.1, 0.1, 0.2, 0.2]
    tr = build_tracker(dict(type='OKSHungarianTracker'), dataset_meta=dict(sigmas=sig))
    tr.update(k, None, 0)
    assert tr.update(k + 1, None, 1).tolist() == [0, 1]
    np.testing.assert_allclose(tr.similarity.inv_two_var(5), 1 / (2 * (2 * np.array(sig))**2))
    # sigmas given in the config win over the dataset's
    own = [0.3] * 5
    tr = build_tracker(dict(type='OKSHungarianTracker', sigmas=own),
                       dataset_meta=dict(sigmas=sig))
    np.testing.assert_allclose(tr.similarity.inv_two_var(5), 1 / (2 * (2 * np.array(own))**2))


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
