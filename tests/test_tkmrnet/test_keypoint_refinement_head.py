"""KeypointRefinementHead and video refinement (TKMRNet Sec. 3.3, Eq. 2, 6, Fig. 5).

Expected values are worked out by hand (Fig. 5-style cases with hand-set weights, sigmoids of
hand-set classifiers), by torch's own conv2d, or by a per-frame loop reference over the whole
video (path search with direct classifier calls), never by the code under test.
"""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmpose_track.models.heads.keypoint_matching_head import KeypointMatchingHead
from mmpose_track.models.heads.keypoint_refinement_head import (DelayedKeypointRefiner,
                                                                KeypointRefinementHead,
                                                                refine_video)
from mmpose_track.tracking.path_search import temporal_path_search

NEG_INF = float('-inf')


def sig(z):
    return 1.0 / (1.0 + math.exp(-z))


def _ref_head(tau=1, C=2, K=1, w=(1.0, 1.0), b=0.0, **kw):
    """No deconvs: H = the input map; final 1x1 conv set by hand (s = w . H + b)."""
    head = KeypointRefinementHead(in_channels=C, num_keypoints=K, deconv_out_channels=None,
                                  tau=tau, **kw).eval()
    with torch.no_grad():
        head.final_layer.weight.copy_(torch.tensor(w, dtype=torch.float32).reshape(1, C, 1, 1)
                                      .expand(K, C, 1, 1))
        head.final_layer.bias.fill_(b)
    return head


def _fig5_inputs():
    """One person, one joint, two candidates: a (0,0) wrong but stronger, b (3,3) right."""
    x = torch.zeros(1, 2, 4, 4)
    x[0, :, 0, 0] = torch.tensor([1.0, 0.0])  # H(l_a)
    x[0, :, 3, 3] = torch.tensor([0.8, 0.0])  # H(l_b)
    cand = torch.tensor([[[[0, 0], [3, 3]]]])
    cscore = torch.tensor([[[0.9, 0.7]]])
    ctx = torch.zeros(1, 3, 1, 2)
    ctx[0, 0, 0] = ctx[0, 2, 0] = torch.tensor([0.0, 1.0])  # H_{t±1}(l̂)
    ctx[0, 1, 0] = torch.tensor([5.0, 5.0])  # centre slot: must be ignored
    sim = torch.zeros(1, 3, 1, 2)
    sim[0, 0, 0] = sim[0, 2, 0] = torch.tensor([0.1, 0.9])  # W(l_a, .), W(l_b, .)
    return x, cand, cscore, ctx, sim


# ------------------------------------------------------------------------------ the module
def test_forward_matches_heatmap_head_layers():
    # three deconvs of kernel 4 double the map three times (SimpleBaseline); C = last deconv
    head = KeypointRefinementHead(in_channels=6, num_keypoints=3, deconv_out_channels=(4, 4, 5),
                                  deconv_kernel_sizes=(4, 4, 4))
    H = head((torch.zeros(1, 2, 1, 1), torch.randn(2, 6, 3, 2)))
    assert H.shape == (2, 5, 24, 16) and head.feat_channels == 5
    kinds = [type(m).__name__ for m in head.deconv_layers]
    assert kinds == ['ConvTranspose2d', 'BatchNorm2d', 'ReLU'] * 3
    # same state-dict layout as MMPose's HeatmapHead: a stage-1 keypoint head loads into it
    from mmpose.models.heads import HeatmapHead
    kp_head = HeatmapHead(in_channels=6, out_channels=3, deconv_out_channels=(4, 4, 5))
    head.load_state_dict(kp_head.state_dict())
    with pytest.raises(ValueError, match='features must be'):
        head(torch.zeros(1, 7, 3, 2))


def test_no_context_responses_equal_final_conv_at_candidates():
    torch.manual_seed(0)
    head = KeypointRefinementHead(in_channels=3, num_keypoints=2, deconv_out_channels=None,
                                  normalize='valid')
    torch.nn.init.normal_(head.final_layer.weight)
    torch.nn.init.normal_(head.final_layer.bias)
    H = torch.randn(2, 3, 5, 4)
    cand = torch.randint(0, 4, (2, 2, 3, 2))
    resp = head.candidate_responses(head.candidate_features(H, cand))
    conv = F.conv2d(H, head.final_layer.weight, head.final_layer.bias)  # (B, K, h, w)
    for b in range(2):
        for k in range(2):
            for i in range(3):
                x, y = cand[b, k, i].tolist()
                assert resp[b, k, i].item() == pytest.approx(conv[b, k, y, x].item(), abs=1e-5)
    assert torch.allclose(head.heatmaps(H), conv)


def test_refine_moves_keypoint_to_candidate_supported_by_neighbours():
    head = _ref_head(tau=1)
    x, cand, cscore, ctx, sim = _fig5_inputs()
    H = head((x, ))  # through the module (no deconvs: H = x)
    # single frame (M6): the stronger, wrong candidate a; s = w . H(l)
    single = head.refine(H, cand, cscore)
    assert single.keypoints.tolist() == [[[0, 0]]]
    assert single.candidate_scores[0, 0].tolist() == pytest.approx([1.0, 0.8])
    # with its neighbours t-1, t+1 (Eq. 6, D = 2 tau + 1 = 3):
    #   H̄(a) = ([1, 0] + 2 * 0.1 * [0, 1]) / 3 -> s = 1.2 / 3
    #   H̄(b) = ([0.8, 0] + 2 * 0.9 * [0, 1]) / 3 -> s = 2.6 / 3
    out = head.refine(H, cand, cscore, ctx, torch.ones(1, 3, dtype=torch.bool), sim)
    assert out.keypoints.tolist() == [[[3, 3]]]
    assert out.keypoint_scores.item() == pytest.approx(2.6 / 3, abs=1e-6)
    assert out.candidate_scores[0, 0].tolist() == pytest.approx([1.2 / 3, 2.6 / 3], abs=1e-6)


def test_refine_without_valid_neighbours_is_the_single_frame_choice():
    head = _ref_head(tau=1, b=0.25)
    x, cand, cscore, ctx, sim = _fig5_inputs()
    none_valid = torch.zeros(1, 3, dtype=torch.bool)  # video start and end: no member
    out = head.refine(x, cand, cscore, ctx, none_valid, sim)
    assert out.keypoints.tolist() == [[[0, 0]]]  # the single-frame choice
    # 'window' keeps D = 3: s = w . H / 3 + b
    assert out.candidate_scores[0, 0].tolist() == pytest.approx([1 / 3 + 0.25, 0.8 / 3 + 0.25])
    head_v = _ref_head(tau=1, b=0.25, normalize='valid')  # D = 1 + 0: the M6 responses
    out_v = head_v.refine(x, cand, cscore, ctx, none_valid, sim)
    assert out_v.candidate_scores[0, 0].tolist() == pytest.approx([1.25, 1.05])


def test_refine_padded_candidates_and_joint_without_candidates():
    head = _ref_head(tau=0, K=2)
    x = torch.zeros(1, 2, 4, 4)
    x[0, :, 1, 2] = torch.tensor([0.5, 0.0])
    cand = torch.tensor([[[[2, 1], [-1, -1]], [[-1, -1], [-1, -1]]]])
    cscore = torch.tensor([[[0.3, NEG_INF], [NEG_INF, NEG_INF]]])
    out = head.refine(x, cand, cscore)
    assert out.keypoints.tolist() == [[[2, 1], [-1, -1]]]
    assert out.keypoint_scores[0, 0].item() == pytest.approx(0.5)
    assert out.keypoint_scores[0, 1].item() == NEG_INF
    assert out.candidate_scores[0, 0, 1].item() == NEG_INF
    assert not torch.isnan(out.candidate_scores).any()


# ---------------------------------------------------------------------------------- loss
def test_loss_equals_hand_value_on_candidates_only():
    head = _ref_head(tau=0, K=2)
    cand = torch.tensor([[[[0, 0], [3, 0], [-1, -1]], [[1, 1], [2, 2], [0, 0]]]])
    gt = torch.tensor([[[0.0, 0.0, 1.0], [1.0, 1.0, 0.0]]])  # joint 1 not labelled
    resp = torch.tensor([[[0.5, 0.2, 7.0], [0.3, 0.1, 9.0]]], requires_grad=True)
    out = head.loss(resp, cand, gt)
    assert set(out) == {'loss_refine', 'acc_refine'}
    # Eq. 2 at the candidates, sigma 3: targets 1 and exp(-9/9); padded and v=0 skipped; /(B K)
    want = ((0.5 - 1.0)**2 + (0.2 - math.exp(-1.0))**2) / (1 * 2)
    assert out['loss_refine'].item() == pytest.approx(want, rel=1e-6)
    assert out['acc_refine'].item() == 1.0  # best response at the GT candidate
    out['loss_refine'].backward()
    g = resp.grad[0].tolist()
    assert g[0][:2] == pytest.approx([2 * (0.5 - 1.0) / 2, 2 * (0.2 - math.exp(-1.0)) / 2])
    assert g[0][2] == 0.0 and g[1] == [0.0, 0.0, 0.0]


def test_loss_without_labelled_joint_is_zero_and_connected():
    head = _ref_head(tau=0, K=2)
    cand = torch.zeros(1, 2, 2, 2, dtype=torch.long)
    resp = torch.ones(1, 2, 2, requires_grad=True)
    out = head.loss(resp, cand, torch.zeros(1, 2, 3))  # person with no visible keypoint
    assert set(out) == {'loss_refine', 'acc_refine'}
    assert out['loss_refine'].item() == 0.0 and out['acc_refine'].item() == 0.0
    out['loss_refine'].backward()
    assert resp.grad.abs().sum().item() == 0.0


# ------------------------------------------------------------------------ video refinement
def _hand_matching_head():
    """Two-channel matching features, one hidden unit per channel:
    h_c = relu(a_c + b_c - 1), logit(same) = 4 (h_0 + h_1) - 2, G = sigmoid(logit).
    A = [1, 0], B = [0, 1]: G(A, A) = G(B, B) = sig(2); G(A, B) = sig(-2); G(0, .) = sig(-2)."""
    head = KeypointMatchingHead(in_channels=2, num_keypoints=2, feat_channels=2, num_blocks=0,
                                num_convs=0, num_deconvs=0, hidden_channels=2).eval()
    w1 = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    with torch.no_grad():
        head.fc1.weight.copy_(w1.expand(2, 4, 2))
        head.fc1.bias.fill_(-1.0)
        head.fc2.weight.copy_(torch.eye(2).expand(2, 2, 2))
        head.fc2.bias.zero_()
        head.fc3.weight.copy_(torch.tensor([[0.0, 4.0], [0.0, 4.0]]).expand(2, 2, 2))
        head.fc3.bias.copy_(torch.tensor([0.0, -2.0]).expand(2, 2))
    return head


A, B, Z = [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]


def _person(ident, occluded=False):
    """K = 2 joints, n = 2 candidates at (1,1) [arg-max] and (3,3). Joint 0 carries the
    identity; joint 1 of an ``occluded`` person has its arg-max on a wrong location whose
    matching feature matches nobody and whose refinement feature is stronger."""
    other = B if ident == A else A
    cand = [[[1, 1], [3, 3]], [[1, 1], [3, 3]]]
    score = [[0.9, 0.7], [0.9, 0.7]]
    ref = [[B, Z], [B, Z]]  # H(l̂) = [0, 1]: the context each person gives
    mat = [[ident, other], [ident, Z]]
    if occluded:
        ref[1] = [[1.0, 0.0], [0.8, 0.0]]
        mat[1] = [Z, ident]
    return cand, score, ref, mat


def _frame(people, box=(0.0, 0.0, 10.0, 10.0)):
    parts = [_person(*p) for p in people]
    N = len(parts)
    return dict(keypoints=np.full((N, 2, 3), 5.0), bboxes=np.tile(box, (N, 1)),
                candidates=np.array([p[0] for p in parts], dtype=np.int64).reshape(N, 2, 2, 2),
                candidate_scores=np.array([p[1] for p in parts]).reshape(N, 2, 2),
                refine_features=torch.tensor([p[2] for p in parts]).reshape(N, 2, 2, 2),
                match_features=torch.tensor([p[3] for p in parts]).reshape(N, 2, 2, 2))


def _crossing_video():
    # frame 1 lists the people in the other order; A's joint 1 is occluded in frame 1
    return [_frame([(A, ), (B, )]), _frame([(B, ), (A, True)]), _frame([(A, ), (B, )])]


@pytest.mark.parametrize('tau', [1, 5])
def test_refine_video_moves_occluded_joint_to_supported_candidate(tau):
    mh, rh = _hand_matching_head(), _ref_head(tau=tau, K=2)
    res = refine_video(_crossing_video(), mh, rh)
    assert len(res) == 3
    T = 2 * tau + 1
    pad = [-1] * (tau - 1)
    # paths follow the identities (joint 0 decides: sig(2) + sig(-2) > 2 sig(-2))
    assert res[1]['paths'].tolist() == [pad + [1, 0, 1] + pad, pad + [0, 1, 0] + pad]
    fwd = [[0, 1, 0], [1, 0, 1]]  # frame 0's people forward to frames 1 (and 2 when tau >= 2)
    assert res[0]['paths'].tolist() == [[-1] * tau + p[:min(tau, 2) + 1] + [-1] * (tau - 2)
                                        for p in fwd]
    # A in frame 1, joint 1: the arg-max (1,1) is replaced by (3,3), supported by both neighbours
    assert res[1]['keypoints'][1].tolist() == [[1, 1], [3, 3]]
    want = (0.8 + 2 * sig(2) * 1.0) / T  # Eq. 6 with W = G(A, A), H(l̂) = [0, 1], w = [1, 1]
    assert res[1]['keypoint_scores'][1, 1] == pytest.approx(want, rel=1e-5)
    # everyone else keeps the arg-max
    for f in range(3):
        for i in range(2):
            if (f, i) != (1, 1):
                assert res[f]['keypoints'][i].tolist() == [[1, 1], [1, 1]]
    # B in frame 0 (fewer than tau neighbours: min(tau, 2) future ones, none in the past):
    # joint 1, own [0, 1] + G(B, B) [0, 1] per neighbour, still divided by 2 tau + 1
    nb = min(tau, 2)
    assert res[0]['keypoint_scores'][1, 1] == pytest.approx((1 + nb * sig(2)) / T, rel=1e-5)


def test_refine_video_one_frame_is_single_frame_choice():
    mh, rh = _hand_matching_head(), _ref_head(tau=5, K=2)
    frame = _crossing_video()[1]  # contains the occluded person
    res = refine_video([frame], mh, rh)
    assert res[0]['keypoints'][1].tolist() == [[1, 1], [1, 1]]  # no context: not corrected
    assert res[0]['paths'].tolist() == [[-1] * 5 + [0] + [-1] * 5, [-1] * 5 + [1] + [-1] * 5]
    # same choice as the single-frame module (no context) on the same features
    resp = rh.candidate_responses(frame['refine_features'].float())  # s = w . H(l)
    best = resp.argmax(-1)
    assert best.tolist() == [[0, 0], [0, 0]]
    assert res[0]['keypoints'].tolist() == frame['candidates'][:, :, 0].tolist()
    # 'window': D = 2 tau + 1 = 11 also without neighbours: w . H(l̂) / 11 = 1 / 11
    np.testing.assert_allclose(res[0]['keypoint_scores'], np.full((2, 2), 1 / 11), rtol=1e-5)


def test_person_without_visible_keypoint_and_empty_frame():
    mh, rh = _hand_matching_head(), _ref_head(tau=1, K=2)
    f0 = _frame([(A, ), (B, )])
    f0['keypoints'] = np.array([[[0.0, 0.0, 1.0], [10.0, 10.0, 1.0]],
                                [[np.nan, np.nan, 0.0], [np.nan, np.nan, 0.0]]])
    del f0['bboxes']  # boxes from the keypoints: the NaN person has a zero box
    f0['candidate_scores'][1, 1] = NEG_INF  # its joint 1 has no candidate at all
    f0['candidates'][1, 1] = -1
    f1 = _frame([(A, )])
    f1['keypoints'] = f0['keypoints'][:1].copy()
    del f1['bboxes']
    empty = dict(keypoints=np.zeros((0, 2, 3)), candidates=np.zeros((0, 2, 2, 2), np.int64),
                 candidate_scores=np.zeros((0, 2, 2)), refine_features=torch.zeros(0, 2, 2, 2),
                 match_features=torch.zeros(0, 2, 2, 2))
    res = refine_video([f0, f1, empty, f1], mh, rh)
    # the person without a visible keypoint: no neighbour passes the IoU gate
    assert res[0]['paths'][1].tolist() == [-1, 1, -1]
    assert res[0]['keypoints'][1].tolist() == [[1, 1], [-1, -1]]
    assert res[0]['keypoint_scores'][1, 1] == NEG_INF
    assert np.isfinite(res[0]['keypoint_scores'][1, 0])
    # A in frame 1 links back to A (not the NaN person); the empty frame stops the forward path
    assert res[1]['paths'].tolist() == [[0, 0, -1]]
    assert res[2]['keypoints'].shape == (0, 2, 2) and res[2]['paths'].shape == (0, 3)
    assert res[3]['paths'].tolist() == [[-1, 0, -1]]


def test_delayed_refiner_is_tau_frames_behind():
    mh, rh = _hand_matching_head(), _ref_head(tau=1, K=2)
    video = _crossing_video()
    r = DelayedKeypointRefiner(mh, rh)
    assert [t for t, _ in r.push(video[0])] == []
    assert [t for t, _ in r.push(video[1])] == [0]
    assert [t for t, _ in r.push(video[2])] == [1]
    assert [t for t, _ in r.flush()] == [2]
    with pytest.raises(ValueError, match='frame 0: missing field'):
        r.push({k: v for k, v in video[0].items() if k != 'match_features'})


def test_refine_video_matches_whole_video_loop_reference():
    """Random features, 9 frames, 0-3 people, tau = 2: the buffered, trimmed, batched refiner
    equals a per-person loop over the whole video with direct classifier calls."""
    g = torch.Generator().manual_seed(3)
    K, n, C, Cm, tau = 2, 3, 4, 3, 2
    mh = KeypointMatchingHead(in_channels=Cm, num_keypoints=K, feat_channels=Cm, num_blocks=0,
                              num_convs=0, num_deconvs=0, hidden_channels=5).eval()
    rh = KeypointRefinementHead(in_channels=C, num_keypoints=K, deconv_out_channels=None,
                                tau=tau).eval()
    torch.nn.init.normal_(rh.final_layer.weight, generator=g)
    for fc in (mh.fc1, mh.fc2, mh.fc3):  # sharp similarities, so that the context matters
        torch.nn.init.normal_(fc.weight, std=2.0, generator=g)
    rng = np.random.default_rng(0)
    video = []
    for N in [2, 3, 2, 0, 2, 1, 3, 2, 2]:
        kp = rng.uniform(0, 4, (N, K, 3))
        kp[:, 1, :2] += 16  # boxes about [2, 2, 18, 18]: people of one cluster overlap
        kp[..., :2] += 30 * rng.integers(0, 2, (N, 1, 1))  # two clusters: some gates close
        kp[..., 2] = 1
        cs = np.sort(rng.uniform(0, 1, (N, K, n)), -1)[..., ::-1].copy()
        video.append(dict(keypoints=kp, candidates=rng.integers(0, 8, (N, K, n, 2)),
                          candidate_scores=cs,
                          refine_features=torch.randn(N, K, n, C, generator=g),
                          match_features=torch.randn(N, K, n, Cm, generator=g)))
    res = refine_video(video, mh, rh, batch_size=2)
    # the case is not trivial: paths reach tau frames and the context changes some choices
    assert max((p >= 0).sum() for r in res for p in r['paths']) == 2 * tau + 1
    changed = 0
    for t, v in enumerate(video):
        if len(v['keypoints']):
            with torch.no_grad():
                alone = rh.candidate_responses(v['refine_features']).argmax(-1)
            changed += int((torch.as_tensor(res[t]['keypoints']) != torch.gather(
                torch.as_tensor(v['candidates']), 2,
                alone[..., None, None].expand(-1, -1, 1, 2))[:, :, 0]).any(-1).sum())
    assert changed > 0

    kps = [v['keypoints'] for v in video]

    def sim_fn(fa, i, fb):
        a = video[fa]['match_features'][i:i + 1, :, 0]
        b = video[fb]['match_features'][:, :, 0]
        with torch.no_grad():  # later frame first
            s = mh.similarity(a, b) if fb < fa else mh.similarity(b, a)
        return s.double().numpy()

    for t, v in enumerate(video):
        for i in range(len(v['keypoints'])):
            path = temporal_path_search(kps, t, i, tau, keypoint_similarity=sim_fn)
            assert res[t]['paths'][i].tolist() == path.tolist()
            for k in range(K):
                s = v['refine_features'][i, k].double().clone()  # (n, C)
                for slot, j in enumerate(path):
                    f = t - tau + slot
                    if slot == tau or j < 0:
                        continue
                    h_ctx = video[f]['refine_features'][j, k, 0].double()
                    f_ctx = video[f]['match_features'][j, k, 0]
                    for c in range(n):
                        fc = v['match_features'][i, k, c]
                        pair = (fc, f_ctx) if f <= t else (f_ctx, fc)  # later frame first
                        xa, xb = torch.zeros(1, K, Cm), torch.zeros(1, K, Cm)
                        xa[0, k], xb[0, k] = pair
                        with torch.no_grad():
                            logit = mh.logits(xa, xb)[0, k]
                        w = torch.softmax(logit, -1)[1].double()
                        s[c] += w * h_ctx
                s = s / (2 * tau + 1)
                with torch.no_grad():
                    resp = s @ rh.final_layer.weight[k, :, 0, 0].double() + \
                        rh.final_layer.bias[k].double()
                best = int(resp.argmax())
                assert res[t]['keypoints'][i, k].tolist() == v['candidates'][i, k, best].tolist()
                assert res[t]['keypoint_scores'][i, k] == pytest.approx(float(resp[best]),
                                                                        rel=1e-4, abs=1e-5)
