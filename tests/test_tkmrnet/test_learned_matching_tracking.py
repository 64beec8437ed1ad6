"""TKMRNet tracking with the learned keypoint similarity (Zhou et al. 2020, Sec. 3.2, Eq. 5),
through the path the tracking loop uses: frame-level ``PoseDataSample`` -> ``VideoTrackingStream``
(optionally with a pose NMS that drops a duplicate person) -> ``KeypointMatchingTracker``.

The head's classifiers are set by hand so that ``G_k`` has a closed form::

    fc1: [a; b] -> [relu(a - b), relu(b - a)]     (so the hidden layer holds |a - b|)
    fc2: identity
    fc3: logits = (s_k * ||a - b||_1, beta_k)     ->  G_k = 1 / (1 + exp(s_k ||a - b||_1 - beta_k))

and Eq. 5's score ``I(IoU >= 0.1) * sum_k G_k`` is recomputed here from that formula and from the
IoU of two 80 x 200 boxes on one row (``overlap / (160 - overlap)``), independently of the
tracker's and head's code.

Scene: A and B (same pose layout, 50 px apart, overlapping boxes) swap places between frame 0 and
frame 1, so the pose geometry (OKS) says "swap" while their keypoint features say "same person";
C (far away) has A's feature code, so only the IoU gate keeps it from matching A.
"""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from mmpose_track.models.heads.keypoint_matching_head import KeypointMatchingHead
from mmpose_track.tracking import VideoTrackingStream

K, C = 17, 4
S = 1.0 + 0.1 * np.arange(K)       # per-joint scale of ||a - b||_1 (own classifier per joint)
BETA = 2.0 + 0.05 * np.arange(K)   # per-joint bias of "same person"
NMS = [dict(type='oks', thr=0.9)]
CODES = dict(A=np.array([2.0, 0, 0, 0]), B=np.array([0, 2.0, 0, 0]), C=np.array([2.0, 0, 0, 0]),
             D=np.array([0, 0, 2.0, 0]), E=np.array([0, 0, 0, 2.0]), F=np.array([0, 0, 2.0, 2.0]))
# centre x per frame; y = 300 for everybody; a duplicate of A (frame 0) / of B (frame 1) when nms.
# E and F stand alone, so that most pairs fail the IoU gate (7 of 25 pass).
CENTRES = [dict(A=100.0, B=150.0, C=600.0, E=900.0, F=1200.0),
           dict(A=150.0, B=100.0, C=600.0, E=900.0, F=1200.0)]
IDS = dict(A=0, B=1, C=2, E=3, F=4)
LAYOUT = np.random.default_rng(0).uniform(-1, 1, (K, 2)) * [35, 90]


def _hand_head() -> KeypointMatchingHead:
    head = KeypointMatchingHead(in_channels=4, num_keypoints=K, feat_channels=C, num_blocks=1,
                                num_convs=1, num_deconvs=0, hidden_channels=2 * C).eval()
    eye = torch.eye(C)
    w1 = torch.zeros(K, 2 * C, 2 * C)
    w1[:, :C, :C], w1[:, C:, :C], w1[:, :C, C:], w1[:, C:, C:] = eye, -eye, -eye, eye
    w3 = torch.zeros(K, 2 * C, 2)
    w3[..., 0] = torch.as_tensor(S, dtype=torch.float32)[:, None]
    b3 = torch.zeros(K, 2)
    b3[:, 1] = torch.as_tensor(BETA, dtype=torch.float32)
    with torch.no_grad():
        for fc, w, b in ((head.fc1, w1, torch.zeros(K, 2 * C)),
                         (head.fc2, torch.eye(2 * C).repeat(K, 1, 1), torch.zeros(K, 2 * C)),
                         (head.fc3, w3, b3)):
            fc.weight.copy_(w)
            fc.bias.copy_(b)
    return head


def _g_hand(fa: np.ndarray, fb: np.ndarray) -> np.ndarray:
    """``G_k`` of two ``(K, C)`` feature sets by the closed form, ``(K,)``."""
    return 1.0 / (1.0 + np.exp(S * np.abs(fa - fb).sum(-1) - BETA))


def _iou_hand(xa: float, xb: float) -> float:
    """IoU of two 80 x 200 boxes centred on the same row at ``xa`` and ``xb``."""
    ov = max(0.0, 80.0 - abs(xa - xb))
    return ov / (160.0 - ov)


def _scene(with_duplicate: bool):
    """Per frame: person names in detection order and their keypoints, boxes, box scores and
    ``(K, C)`` features (each name's code plus fixed per-frame noise)."""
    rng = np.random.default_rng(1)
    frames = []
    for t, centres in enumerate(CENTRES):
        names = ['F', 'B', 'C', 'A', 'E'] if t else ['A', 'B', 'C', 'E', 'F']  # order changes
        people = {n: dict(x=x, feat=CODES[n] + rng.normal(0, 0.05, (K, C)), score=0.95)
                  for n, x in centres.items()}
        if with_duplicate:  # a duplicate of A (frame 0) / B (frame 1), lower box score, code D
            src = 'B' if t else 'A'
            people['dup'] = dict(x=centres[src] + 0.5, feat=np.tile(CODES['D'], (K, 1)), score=0.5)
            names.insert(1, 'dup')
        frames.append((names, people))
    return frames


def _sample(t: int, names, people, as_tensor: bool, pairwise: dict):
    xs = np.array([people[n]['x'] for n in names])
    kpts = np.stack([LAYOUT + [x, 300.0] for x in xs])
    feats = np.stack([people[n]['feat'] for n in names])
    inst = InstanceData(
        keypoints=kpts.astype(np.float32), keypoint_scores=np.full((len(names), K), 0.9,
                                                                   np.float32),
        bboxes=np.stack([[x - 40, 200, x + 40, 400] for x in xs]).astype(np.float32),
        bbox_scores=np.array([people[n]['score'] for n in names], np.float32),
        keypoint_features=torch.as_tensor(feats, dtype=torch.float32) if as_tensor else feats,
        person=np.array([ord(n[0]) if n != 'dup' else ord('d') for n in names]))
    ds = PoseDataSample(metainfo=dict(video_id=7, frame_idx=t, img_path=f'v7/{t:06d}.jpg'))
    ds.pred_instances = inst
    if pairwise:
        ds.pred_pairwise = pairwise
    return ds


class _SpySimilarity:
    """Delegates to the tracker's similarity and records each Eq. 5 matrix with the ids of its
    columns (memory rows)."""

    def __init__(self, sim, memory):
        self.sim, self.memory, self.calls = sim, memory, []
        self.feature_keys, self.pairwise_keys = sim.feature_keys, sim.pairwise_keys

    def __call__(self, det, memory, det_idx, trk_idx, min_sim=None):
        out = self.sim(det, memory, det_idx, trk_idx, min_sim)
        ids = memory.ids if trk_idx is None else memory.ids[trk_idx]
        self.calls.append((np.asarray(out).copy(), ids.copy(), det_idx))
        return out


def _track(head, nms, with_duplicate, as_tensor=False, mode='callable'):
    """Run the scene through the stream (``mode``: ``'callable'``, ``'array'``, ``'pair'`` or
    ``'none'``, the OKS stand-in); returns the tracked frames, the Eq. 5 spy and (copies of) the
    arguments the callable(s) received."""
    seen, seen_pairs = [], []

    @torch.no_grad()
    def pair_fn(fa, fb):
        seen_pairs.append((len(fa), len(fb)))
        return head.similarity(torch.as_tensor(fa, dtype=torch.float32),
                               torch.as_tensor(fb, dtype=torch.float32))

    def fn(fa, fb):  # copies: the tracker's memory is updated in place after the call
        seen.append(tuple(f.clone() if torch.is_tensor(f) else f.copy() for f in (fa, fb)))
        return head.pairwise_similarity(fa, fb)

    stream = VideoTrackingStream(dict(type='KeypointMatchingTracker'), nms=nms, num_keypoints=K)
    spy = _SpySimilarity(stream.tracker.similarity, stream.tracker.memory)
    stream.tracker.similarity = spy
    out, prev = [], None
    for t, (names, people) in enumerate(_scene(with_duplicate)):
        feats = torch.as_tensor(np.stack([people[n]['feat'] for n in names]), dtype=torch.float32)
        pairwise = {}
        if mode == 'callable':
            pairwise = dict(keypoint_similarity=fn)
        elif mode == 'pair':  # the dense callable and an aligned-pairs one (P, K, D) -> (P, K)
            pairwise = dict(keypoint_similarity=fn, keypoint_pair_similarity=pair_fn)
        elif mode == 'array' and prev is not None:
            # the model's (N, N_prev, K) against the previous frame's *predicted* people
            pairwise = dict(keypoint_similarity=head.pairwise_similarity(feats, prev).numpy())
        out += stream.push([_sample(t, names, people, as_tensor, pairwise)])
        prev = feats
    out += stream.flush()
    if mode == 'pair':
        return out, spy, (seen, seen_pairs)
    return out, spy, seen


def _ids_by_person(frames):
    return [{chr(p): int(i) for p, i in zip(f.pred_instances.person, f.pred_instances.track_ids)}
            for f in frames]


def _expected_eq5(frames, spy):
    """The frame-1 Eq. 5 matrix by hand, rows in the tracked frame's order, columns in the spy's
    track order."""
    (_, p0), (_, p1) = _scene(with_duplicate=False)
    id2name = {v: k for k, v in _ids_by_person(frames)[0].items()}
    rows = [chr(p) for p in frames[1].pred_instances.person]
    cols = [id2name[i] for i in spy.calls[-1][1]]
    hand = np.zeros((len(rows), len(cols)))
    for i, a in enumerate(rows):
        for j, b in enumerate(cols):
            gate = _iou_hand(p1[a]['x'], p0[b]['x']) >= 0.1
            hand[i, j] = gate * _g_hand(p1[a]['feat'], p0[b]['feat']).sum()
    return hand


@pytest.mark.parametrize('nms,dup', [(None, False), (NMS, True)], ids=['no_nms', 'nms_drops_dup'])
@pytest.mark.parametrize('as_tensor', [False, True], ids=['numpy', 'tensor'])
def test_learned_similarity_keeps_ids_where_oks_swaps(nms, dup, as_tensor):
    head = _hand_head()
    frames, spy, seen = _track(head, nms, dup, as_tensor)
    ids = _ids_by_person(frames)
    assert [sorted(d) for d in ids] == [sorted(IDS)] * 2  # the duplicate was dropped
    assert ids[0] == IDS
    assert ids[1] == ids[0]  # learned G_k: A and B keep their ids across the crossing
    assert len(seen) == 1 and len(spy.calls) == 1  # the callable reached the tracker, once
    # Eq. 5 by hand: every cross pair of {A, B} passes the gate (IoU 1 or 3/13), C only with C
    sim = spy.calls[-1][0]
    hand = _expected_eq5(frames, spy)
    np.testing.assert_allclose(sim, hand, rtol=1e-5, atol=1e-6)
    assert hand.max() > 5.0 and np.sort(hand, axis=None)[-6] < 5.0  # 5 matches above match_thr

    # the OKS stand-in on the same poses swaps A and B (their layouts coincide after the swap)
    oks_frames, _, _ = _track(head, nms, dup, as_tensor, mode='none')
    oks_ids = _ids_by_person(oks_frames)
    assert oks_ids[0] == IDS
    assert oks_ids[1] == dict(IDS, A=1, B=0)


def test_gate_zeroes_a_learned_match_without_overlap():
    # C has A's code: G_k(C, A) is high, but their boxes do not overlap -> Eq. 5 gives 0
    (_, p0), (_, p1) = _scene(with_duplicate=False)
    g = _g_hand(p1['C']['feat'], p0['A']['feat']).sum()
    assert g > 5.0 and _iou_hand(p1['C']['x'], p0['A']['x']) == 0.0
    frames, spy, _ = _track(_hand_head(), None, False)
    sim, cols, _ = spy.calls[-1]
    rows = [chr(p) for p in frames[1].pred_instances.person]
    assert sim[rows.index('C'), list(cols).index(0)] == 0.0  # track 0 is A


def test_precomputed_array_without_nms_matches_callable():
    # the (N, N_prev, K) array form of the same classifier outputs gives the same Eq. 5 matrix
    head = _hand_head()
    f_call, s_call, _ = _track(head, None, False)
    f_arr, s_arr, _ = _track(head, None, False, mode='array')
    assert _ids_by_person(f_arr) == _ids_by_person(f_call)
    np.testing.assert_allclose(s_arr.calls[-1][0], _expected_eq5(f_arr, s_arr), rtol=1e-5,
                               atol=1e-6)


def test_precomputed_array_with_nms_follows_suppression():
    head = _hand_head()
    frames, spy, _ = _track(head, NMS, True, mode='array')
    assert _ids_by_person(frames)[1] == IDS
    np.testing.assert_allclose(spy.calls[-1][0], _expected_eq5(frames, spy), rtol=1e-5,
                               atol=1e-6)


def test_tensor_features_reach_the_classifier_as_tensors():
    head = _hand_head()
    frames, _, seen = _track(head, NMS, True, as_tensor=True)
    fa, fb = seen[-1]
    assert torch.is_tensor(fa) and torch.is_tensor(fb)
    assert fa.dtype == fb.dtype == torch.float32
    assert fa.device == fb.device == head.fc1.weight.device
    # detections in the tracked frame's order; tracks = frame 0's kept people (A, B, C)
    np.testing.assert_array_equal(fa.numpy(), frames[1].pred_instances.keypoint_features.numpy())
    np.testing.assert_array_equal(fb.numpy(), frames[0].pred_instances.keypoint_features.numpy())


def test_aligned_pair_callable_scores_only_the_gated_pairs():
    # the per-frame `keypoint_pair_similarity` (P, K, D) x (P, K, D) -> (P, K) lets the tracker
    # run the classifiers on the 7 pairs that pass the IoU gate instead of all 25
    frames, spy, (seen, seen_pairs) = _track(_hand_head(), NMS, True, mode='pair')
    assert _ids_by_person(frames)[1] == IDS
    assert seen == [] and seen_pairs == [(7, 7)]
    np.testing.assert_allclose(spy.calls[-1][0], _expected_eq5(frames, spy), rtol=1e-5,
                               atol=1e-6)
