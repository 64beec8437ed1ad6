"""KeypointMatchingHead (TKMRNet Sec. 3.2, Eq. 5; TBM of Table 3 M4): values checked against
hand-computed softmaxes, loops over separate ``nn.Linear`` classifiers, direct indexing and
torch's cross-entropy."""
import math

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpose_track.models.heads.keypoint_matching_head import GroupedLinear, KeypointMatchingHead


def _head(**kw):
    cfg = dict(in_channels=4, num_keypoints=3, feat_channels=5, num_blocks=1, num_convs=1,
               num_deconvs=0, hidden_channels=7)
    cfg.update(kw)
    torch.manual_seed(0)
    return KeypointMatchingHead(**cfg).eval()


def _loop_classifiers(head):
    """The ``G`` classifiers as separate ``nn.Linear`` stacks with the head's weights."""
    seqs = []
    for g in range(head.num_groups):
        layers = []
        for fc in (head.fc1, head.fc2, head.fc3):
            lin = nn.Linear(fc.in_features, fc.out_features).double()
            with torch.no_grad():
                lin.weight.copy_(fc.weight[g].t())
                lin.bias.copy_(fc.bias[g])
            layers += [lin, nn.ReLU()]
        seqs.append(nn.Sequential(*layers[:-1]))
    return seqs


def _set_hand_weights(head, w1, b1, w2, b2, w3, b3):
    with torch.no_grad():
        for fc, w, b in ((head.fc1, w1, b1), (head.fc2, w2, b2), (head.fc3, w3, b3)):
            fc.weight.copy_(torch.as_tensor(w, dtype=fc.weight.dtype))
            fc.bias.copy_(torch.as_tensor(b, dtype=fc.bias.dtype))


# ------------------------------------------------------------------------- feature branch
@pytest.mark.parametrize('num_deconvs,kernel', [(0, 4), (1, 4), (3, 4), (2, 3), (2, 2)])
def test_blocks_reach_heatmap_resolution(num_deconvs, kernel):
    # ResNet C5 of a 256 x 192 crop is 8 x 6 (stride 32): 3 deconvs reach the 64 x 48 heatmaps
    head = _head(in_channels=6, feat_channels=4, num_blocks=3, num_convs=2,
                 num_deconvs=num_deconvs, deconv_kernel_size=kernel)
    out = head((torch.zeros(1, 3, 1, 1), torch.randn(2, 6, 8, 6)))  # feats[-1] is used
    assert out.shape == (2, 4, 8 * 2**num_deconvs, 6 * 2**num_deconvs)
    kinds = [type(m).__name__ for m in head.blocks.modules()
             if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    # 2 convs per block; the deconvs close the LAST num_deconvs blocks
    expect = []
    for b in range(3):
        expect += ['Conv2d', 'Conv2d'] + (['ConvTranspose2d'] if b >= 3 - num_deconvs else [])
    assert kinds == expect


def test_paper_default_blocks():
    head = KeypointMatchingHead(in_channels=8, num_keypoints=2)
    convs = [m for m in head.blocks.modules() if type(m) is nn.Conv2d]
    deconvs = [m for m in head.blocks.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert len(convs) == 12 and len(deconvs) == 4  # four blocks of three convs and one deconv
    assert all(m.out_channels == 256 and m.kernel_size == (3, 3) for m in convs)
    assert [tuple(m.weight.shape) for m in (head.fc1, head.fc2, head.fc3)] == \
        [(2, 512, 256), (2, 256, 256), (2, 256, 2)]  # 256-256-2 on the concatenation
    assert head.eval()(torch.randn(1, 8, 2, 3)).shape == (1, 256, 32, 48)


# --------------------------------------------------------------------------- classifiers
def test_hand_set_classifier_equals_hand_softmax():
    # C = 1, hidden = 1. Joint 0: h = relu(a - b), logits (0.5, 2 h - 0.5);
    # joint 1: h = relu(b - a + 1), logits (h, 0).
    head = _head(num_keypoints=2, feat_channels=1, hidden_channels=1)
    _set_hand_weights(head,
                      w1=[[[1.0], [-1.0]], [[-1.0], [1.0]]], b1=[[0.0], [1.0]],
                      w2=[[[1.0]], [[1.0]]], b2=[[0.0], [0.0]],
                      w3=[[[0.0, 2.0]], [[1.0, 0.0]]], b3=[[0.5, -0.5], [0.0, 0.0]])
    a = torch.tensor([[[3.0], [3.0]], [[1.0], [1.0]]])  # (2 pairs, K=2, C=1)
    b = torch.tensor([[[1.0], [1.0]], [[3.0], [3.0]]])
    # pair 0: joint 0 h = 2 -> logits (0.5, 3.5); joint 1 h = relu(-1) = 0 -> (0, 0)
    # pair 1: joint 0 h = 0 -> (0.5, -0.5);     joint 1 h = 3 -> (3, 0)
    expect_logits = torch.tensor([[[0.5, 3.5], [0.0, 0.0]], [[0.5, -0.5], [3.0, 0.0]]])
    torch.testing.assert_close(head.logits(a, b), expect_logits)
    expect = torch.tensor([[1 / (1 + math.exp(-3.0)), 0.5],
                           [1 / (1 + math.exp(1.0)), 1 / (1 + math.exp(3.0))]])
    torch.testing.assert_close(head.similarity(a, b), expect)
    # the order matters (current frame first, Eq. 5): swapping the sides swaps pairs 0 and 1
    torch.testing.assert_close(head.similarity(b, a), expect.flip(0))


def test_vectorised_classifiers_equal_loop_over_linear_layers():
    head = _head().double()
    ref = _loop_classifiers(head)
    g = torch.Generator().manual_seed(1)
    fa = torch.randn(4, 3, 5, generator=g, dtype=torch.float64)
    fb = torch.randn(4, 3, 5, generator=g, dtype=torch.float64)
    loop = torch.stack([torch.stack([ref[k](torch.cat([fa[i, k], fb[i, k]]))
                                     for k in range(3)]) for i in range(4)])
    torch.testing.assert_close(head.logits(fa, fb), loop)
    torch.testing.assert_close(head.similarity(fa, fb), loop.softmax(-1)[..., 1])
    # all pairs (the tracker's callable), numpy in, (N, M, K) out
    pw = head.pairwise_similarity(fa[:3].numpy(), fb.numpy())
    assert pw.shape == (3, 4, 3)
    with torch.no_grad():
        loop_pw = torch.tensor([[[ref[k](torch.cat([fa[i, k], fb[j, k]])).softmax(-1)[1]
                                  for k in range(3)] for j in range(4)] for i in range(3)],
                               dtype=torch.float64)
    torch.testing.assert_close(pw, loop_pw)


def test_grouped_linear_equals_separate_linears():
    torch.manual_seed(2)
    gl = GroupedLinear(3, 4, 2).double()
    x = torch.randn(5, 3, 4, dtype=torch.float64)
    loop = torch.stack([x[:, g] @ gl.weight[g] + gl.bias[g] for g in range(3)], 1)
    torch.testing.assert_close(gl(x), loop)
    bound = 1 / math.sqrt(4)  # nn.Linear's init range
    assert float(gl.weight.detach().abs().max()) <= bound
    assert float(gl.bias.detach().abs().max()) <= bound


def test_pair_logits_use_each_pairs_own_classifier():
    head = _head(num_keypoints=4).double()
    ref = _loop_classifiers(head)
    rng = np.random.default_rng(3)
    joint = np.array([2, 0, 2, 3, 2, 0, 3])  # joint 1 has no pair
    fa = torch.as_tensor(rng.normal(size=(7, 5)))
    fb = torch.as_tensor(rng.normal(size=(7, 5)))
    loop = torch.stack([ref[j](torch.cat([fa[m], fb[m]])) for m, j in enumerate(joint)])
    torch.testing.assert_close(head.pair_logits(fa, fb, joint), loop)
    assert head.pair_logits(fa[:0], fb[:0], joint[:0]).shape == (0, 2)
    with pytest.raises(ValueError, match='joint must lie'):
        head.pair_logits(fa, fb, joint + 1)


def test_context_similarity_keeps_training_order():
    head = _head().double()
    ref = _loop_classifiers(head)
    torch.manual_seed(4)
    B, K, n, T, C = 2, 3, 4, 5, 5
    cand = torch.randn(B, K, n, C, dtype=torch.float64)
    ctx = torch.randn(B, T, K, C, dtype=torch.float64)
    out = head.context_similarity(cand, ctx)
    loop = torch.zeros(B, T, K, n, dtype=torch.float64)
    for b in range(B):
        for t in range(T):
            for k in range(K):
                for l in range(n):
                    pair = (cand[b, k, l], ctx[b, t, k]) if t <= T // 2 else \
                        (ctx[b, t, k], cand[b, k, l])  # later frame first
                    loop[b, t, k, l] = ref[k](torch.cat(pair)).softmax(-1)[1]
    torch.testing.assert_close(out, loop)


# ------------------------------------------------------------------------------ features
def test_keypoint_features_equal_direct_indexing():
    torch.manual_seed(5)
    fm = torch.randn(2, 4, 5, 6)
    loc = torch.tensor([[[0, 0], [5, 4], [2, 3]], [[1, 2], [3, 1], [4, 4]]])  # (B, K, 2) x, y
    out = KeypointMatchingHead.keypoint_features(fm, loc)
    direct = torch.stack([torch.stack([fm[b, :, y, x] for x, y in loc[b].tolist()])
                          for b in range(2)])
    torch.testing.assert_close(out, direct)
    # float locations round to the nearest pixel; candidates (B, K, n, 2); numpy accepted
    fl = np.array([[[[2.4, 0.6], [4.5, 3.49]]], [[[0.2, 1.7], [5.0, 4.0]]]])  # (2, 1, 2, 2)
    out = KeypointMatchingHead.keypoint_features(fm, fl)
    assert out.shape == (2, 1, 2, 4)
    torch.testing.assert_close(out[0, 0, 0], fm[0, :, 1, 2])
    torch.testing.assert_close(out[0, 0, 1], fm[0, :, 3, 5])
    torch.testing.assert_close(out[1, 0, 0], fm[1, :, 2, 0])
    torch.testing.assert_close(out[1, 0, 1], fm[1, :, 4, 5])
    # a padded candidate (-1, -1) gives a zero vector
    pad = KeypointMatchingHead.keypoint_features(fm, torch.tensor([[[-1, -1]], [[1, 1]]]))
    torch.testing.assert_close(pad[0, 0], torch.zeros(4))


def test_instance_features_tkm_and_tbm():
    torch.manual_seed(6)
    fm = torch.randn(2, 5, 3, 4)
    kp = torch.tensor([[[0.0, 0.0, 1.0], [3.0, 2.0, 1.0], [1.0, 1.0, 0.5]]]).repeat(2, 1, 1)
    tkm = _head()
    f = tkm.instance_features(fm, kp[..., :2])
    torch.testing.assert_close(f[1, 1], fm[1, :, 2, 3])
    tbm = _head(mode='body')
    assert tbm.num_groups == 1 and tbm.fc1.weight.shape == (1, 10, 7)
    fb = tbm.instance_features(fm)  # keypoints not needed
    hand_mean = torch.stack([sum(fm[b, :, y, x] for y in range(3) for x in range(4)) / 12
                             for b in range(2)])
    mu = hand_mean.mean(1, keepdim=True)
    var = ((hand_mean - mu)**2).mean(1, keepdim=True)  # biased, as layer norm
    torch.testing.assert_close(fb, ((hand_mean - mu) / torch.sqrt(var + 1e-5))[:, None])
    with pytest.raises(ValueError, match='needs keypoints'):
        tkm.instance_features(fm)


def test_tbm_small_case_by_hand():
    # TBM: one classifier on the standardised global average of F; C = 2, hidden = 2: a crop
    # mean (1, 0) standardises to (1, -1), (0, 1) to (-1, 1) (up to layer norm's eps).
    # h = relu([a0 + b0 - 1, a1 + b1 - 1]); logits (0, 10 (h0 + h1) - 5)
    head = _head(mode='body', in_channels=2, feat_channels=2, hidden_channels=2)
    _set_hand_weights(head,
                      w1=[[[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]], b1=[[-1.0, -1.0]],
                      w2=[[[1.0, 0.0], [0.0, 1.0]]], b2=[[0.0, 0.0]],
                      w3=[[[0.0, 10.0], [0.0, 10.0]]], b3=[[0.0, -5.0]])
    maps = torch.zeros(3, 2, 4, 4)
    maps[0, 0] = 1.0  # person A (crop mean (1, 0))
    maps[1, 1, :2] = 2.0  # person B (crop mean (0, 1))
    maps[2, 0, :, :2] = 2.0  # person A again
    f = head.body_features(maps)
    torch.testing.assert_close(f[:, 0], torch.tensor([[1.0, -1.0], [-1.0, 1.0], [1.0, -1.0]]),
                               atol=1e-4, rtol=0)
    sim = head.pairwise_similarity(f, f)
    assert sim.shape == (3, 3, 1)
    hi, lo = 1 / (1 + math.exp(-5.0)), 1 / (1 + math.exp(5.0))
    expect = torch.tensor([[hi, lo, hi], [lo, hi, lo], [hi, lo, hi]])[..., None]
    torch.testing.assert_close(sim, expect)


def test_tbm_training_pairs_and_loss():
    """TBM pairs from the keypoint sampler with one pseudo-joint and no candidates: label is
    "same track id", 1 : 4, and the loss is torch's cross-entropy on the body logits."""
    from mmpose_track.models.utils import sample_keypoint_pairs
    frame_ids = np.repeat(np.arange(4), 3)
    track_ids = np.tile([0, 1, 2], 4)
    centre = np.tile([[[4.0, 6.0, 1.0]]], (12, 1, 1))
    pairs = sample_keypoint_pairs(frame_ids, track_ids, centre, np.zeros((12, 1, 0, 2), int),
                                  (8, 12), np.random.default_rng(0), tau=5)
    same = track_ids[pairs.person_a] == track_ids[pairs.person_b]
    np.testing.assert_array_equal(pairs.label, same.astype(int))
    assert pairs.label.sum() * 4 == (pairs.label == 0).sum() > 0
    head = _head(mode='body')
    torch.manual_seed(8)
    body = head.body_features(torch.randn(12, 5, 3, 2))[:, 0]  # (P, C)
    logits = head.pair_logits(body[pairs.person_a], body[pairs.person_b])
    torch.testing.assert_close(logits[:, None], head.logits(body[pairs.person_a, None],
                                                            body[pairs.person_b, None]))
    torch.testing.assert_close(head.loss(logits, pairs.label)['loss_match'],
                               F.cross_entropy(logits, torch.as_tensor(pairs.label)))


# -------------------------------------------------------------------------------- loss
def test_loss_equals_torch_cross_entropy():
    head = _head()
    torch.manual_seed(7)
    logits = torch.randn(6, 3, 2, requires_grad=True)
    labels = torch.randint(0, 2, (6, 3))
    labels[0, 1] = -1  # ignored
    out = head.loss(logits, labels)
    keep = labels >= 0
    ref = F.cross_entropy(logits[keep], labels[keep])
    torch.testing.assert_close(out['loss_match'], ref)
    acc = (logits[keep].argmax(-1) == labels[keep]).float().mean()
    torch.testing.assert_close(out['acc_match'], acc)
    out['loss_match'].backward()
    assert logits.grad[0, 1].abs().sum() == 0 and logits.grad[1].abs().sum() > 0
    # per-pair weights: a weighted mean
    w = torch.rand(6, 3)
    lw = head.loss(logits.detach(), labels, w)['loss_match']
    ce = F.cross_entropy(logits.detach().reshape(-1, 2), labels.clamp(min=0).reshape(-1),
                         reduction='none')
    wk = (w * keep).reshape(-1)
    torch.testing.assert_close(lw, (ce * wk).sum() / wk.sum())
    # flat (M, 2) pairs as from pair_logits; nothing to learn from -> 0 with a graph
    torch.testing.assert_close(head.loss(logits[:, 1], labels[:, 1])['loss_match'],
                               F.cross_entropy(logits[1:, 1], labels[1:, 1]))  # row 0 ignored
    empty = head.loss(logits[:1, 1], labels[:1, 1])['loss_match']
    assert float(empty.detach()) == 0.0 and empty.requires_grad


def test_built_from_registry_and_bad_input():
    from mmpose.registry import MODELS
    head = MODELS.build(dict(type='KeypointMatchingHead', in_channels=4, num_keypoints=3,
                             feat_channels=5, num_blocks=1, num_convs=1, num_deconvs=0,
                             hidden_channels=7))
    assert isinstance(head, KeypointMatchingHead)
    with pytest.raises(ValueError, match='mode must be'):
        _head(mode='pose')
    with pytest.raises(ValueError, match='num_deconvs must be'):
        _head(num_deconvs=2)
    with pytest.raises(ValueError, match=r'features must be \(B, 4'):
        head(torch.zeros(1, 3, 2, 2))
    with pytest.raises(ValueError, match=r'feat_a must be \(\.\.\., 3, 5\)'):
        head.similarity(torch.zeros(2, 17, 5), torch.zeros(2, 17, 5))
    with pytest.raises(ValueError, match='labels must be 0, 1'):
        head.loss(torch.zeros(2, 2), torch.tensor([0, 2]))


# ----------------------------------------------------------------------- Eq. 5 in tracker
def test_learned_similarity_in_keypoint_matching_tracker():
    """Two people with the same pose cross; only the features tell them apart. Eq. 5 by hand:
    ``sum_k G_k`` = 17 sigmoid(5) for the same person, 17 sigmoid(-5) otherwise."""
    from mmpose_track.tracking import build_tracker
    K = 17
    head = _head(num_keypoints=K, in_channels=2, feat_channels=2, hidden_channels=2)
    w1 = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]).repeat(K, 1, 1)
    _set_hand_weights(head, w1, [[-1.0, -1.0]] * K, torch.eye(2).repeat(K, 1, 1),
                      [[0.0, 0.0]] * K, torch.tensor([[0.0, 10.0], [0.0, 10.0]]).repeat(K, 1, 1),
                      [[0.0, -5.0]] * K)
    fa = np.tile([1.0, 0.0], (K, 1))  # person A's keypoint features
    fb = np.tile([0.0, 1.0], (K, 1))
    feats = np.stack([fa, fb])
    eq5 = head.pairwise_similarity(feats, feats).sum(-1)
    hi, lo = K / (1 + math.exp(-5.0)), K / (1 + math.exp(5.0))
    torch.testing.assert_close(eq5, torch.tensor([[hi, lo], [lo, hi]]))

    pose = np.concatenate([np.random.default_rng(0).uniform(-1, 1, (K, 2)) * [40, 100],
                           np.ones((K, 1))], 1)
    tr = build_tracker(dict(type='KeypointMatchingTracker',
                            keypoint_similarity=head.pairwise_similarity))
    oks = build_tracker(dict(type='KeypointMatchingTracker'))  # default G_k: per-keypoint OKS
    oks_ids = []
    for t in range(6):
        xa, xb = 100 + 10 * t, 150 - 10 * t  # they swap places between frames 2 and 3
        kp = np.stack([pose + [xa, 300, 0], pose + [xb, 300, 0]])
        boxes = np.array([[x - 40, 200, x + 40, 400] for x in (xa, xb)], float)
        order = [0, 1] if t % 2 == 0 else [1, 0]  # detections in either order
        ids = tr.update(kp[order], boxes[order], t, keypoint_features=feats[order])
        assert ids.tolist() == order  # A keeps id 0 and B id 1
        oks_ids.append(oks.update(kp[order], boxes[order], t).tolist())
    assert oks_ids[3] == [0, 1]  # the geometric matcher swaps them at the crossing (A got 1)
