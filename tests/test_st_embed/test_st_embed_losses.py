"""ST-Embed losses (Eq. 2-5, 7, PGG grouping loss) against hand values and loop references."""
import math

import pytest
import torch
from mmpose.registry import MODELS

from mmpose_track.models.losses.st_embed_loss import (GroupingLoss, KeypointEmbeddingLoss,
                                                      KeypointVectorFieldLoss,
                                                      OrdinalEmbeddingLoss, embedding_pull_push,
                                                      ordinal_loss, sample_at_indices)
from mmpose_track.models.utils import masked_column_index, pose_guided_grouping


def softplus(x):
    return math.log1p(math.exp(x))


def pull_push_loop(emb, valid):
    """Eq. 2-3 written with Python loops over images, people and joints."""
    pulls, pushes = [], []
    for b in range(emb.shape[0]):
        means, person_pulls = [], []
        for n in range(emb.shape[1]):
            js = [emb[b, n, k] for k in range(emb.shape[2]) if valid[b, n, k]]
            if not js:
                continue
            m = sum(js) / len(js)
            means.append(m)
            person_pulls.append(sum(((j - m) ** 2).sum() for j in js) / len(js))
        P = len(means)
        pulls.append(sum(person_pulls) / P if P else torch.tensor(0.0))
        push = sum(torch.exp(-0.5 * ((means[i] - means[j]) ** 2).sum())
                   for i in range(P) for j in range(P) if i != j)
        pushes.append(push / P ** 2 if P > 1 else torch.tensor(0.0))
    return sum(pulls) / len(pulls), sum(pushes) / len(pushes)


def test_pull_push_hand_values():
    # image 0: person 0 joints 1, 3 -> mean 2, pull ((1-2)^2 + (3-2)^2) / 2 = 1
    #          person 1 joint 4 (second joint invalid, value 100 ignored) -> mean 4, pull 0
    #          pull = (1 + 0) / 2 = 0.5; push = 1/2^2 * 2 * exp(-1/2 * (2-4)^2) = 0.5 e^-2
    # image 1: one person, joints 5, 7 -> pull 1, push 0 (fewer than two people);
    #          a padded row with no valid joint is ignored
    # mean over the two images: pull (0.5 + 1) / 2 = 0.75, push (0.5 e^-2 + 0) / 2 = 0.25 e^-2
    emb = torch.tensor([[[1.0, 3.0], [4.0, 100.0]], [[5.0, 7.0], [9.0, 9.0]]])[..., None]
    valid = torch.tensor([[[True, True], [True, False]], [[True, True], [False, False]]])
    pull, push = embedding_pull_push(emb, valid)
    assert pull.item() == pytest.approx(0.75)
    assert push.item() == pytest.approx(0.25 * math.exp(-2))
    # D = 2: means (0, 0) and (1, 1), ||d||^2 = 2 -> push = 2 exp(-1) / 4
    emb2 = torch.tensor([[[[0.0, 0.0]], [[1.0, 1.0]]]])
    _, push2 = embedding_pull_push(emb2, torch.ones(1, 2, 1, dtype=torch.bool))
    assert push2.item() == pytest.approx(0.5 * math.exp(-1))


def test_pull_push_matches_loop_and_gradients():
    g = torch.Generator().manual_seed(0)
    emb = torch.randn(3, 5, 4, 2, generator=g, dtype=torch.float64, requires_grad=True)
    valid = torch.rand(3, 5, 4, generator=g) > 0.4
    valid[2] = False  # an image with nobody
    pull, push = embedding_pull_push(emb, valid)
    rpull, rpush = pull_push_loop(emb, valid)
    assert pull.item() == pytest.approx(rpull.item(), abs=1e-12)
    assert push.item() == pytest.approx(rpush.item(), abs=1e-12)
    g1 = torch.autograd.grad(pull + push, emb)[0]
    g2 = torch.autograd.grad(rpull + rpush, emb)[0]
    torch.testing.assert_close(g1, g2)
    assert (g1[~valid] == 0).all()


def test_ordinal_hand_values():
    # mbar = [0, 1, 3], keys = [10, 30, 20], ascending (smaller key first, Ord = +1 for k first):
    # (0,1),(1,0): log(1 + e^(0-1)) each; (0,2),(2,0): log(1 + e^(0-3)); (1,2),(2,1): person 2
    # (key 20) comes first, so Ord(1,2) = -1: log(1 + e^(-(1-3))) = log(1 + e^2)
    # sum = 2 (0.313262 + 0.048587 + 2.126928) = 4.977554, / 3^2 = 0.553062
    # person 3 has an invalid key (skipped; P stays 3). Image 1: two people with equal keys ->
    # no pair counts -> 0. Mean over images: 0.553062 / 2.
    mbar = torch.tensor([[0.0, 1.0, 3.0, 50.0], [1.0, 2.0, 0.0, 0.0]])
    keys = torch.tensor([[10.0, 30.0, 20.0, 0.0], [5.0, 5.0, 0.0, 0.0]])
    kv = torch.tensor([[True, True, True, False], [True, True, False, False]])
    asc = 2 * (softplus(-1) + softplus(-3) + softplus(2)) / 9
    assert asc == pytest.approx(0.553062, abs=1e-6)
    assert ordinal_loss(mbar, keys, kv, True).item() == pytest.approx(asc / 2, abs=1e-6)
    # descending flips every Ord: softplus(1), softplus(3), softplus(-2)
    desc = 2 * (softplus(1) + softplus(3) + softplus(-2)) / 9
    assert desc == pytest.approx(0.997506, abs=1e-6)
    assert ordinal_loss(mbar, keys, kv, False).item() == pytest.approx(desc / 2, abs=1e-6)


def test_sample_at_indices():
    maps = torch.arange(2 * 3 * 2 * 4, dtype=torch.float32).reshape(2, 3, 2, 4)
    idx = torch.tensor([[[0, 5]], [[7, 2]]])  # flat y * 4 + x
    out = sample_at_indices(maps, idx)
    assert out.shape == (2, 1, 2, 3)
    # maps[b, c, y, x] = b * 24 + c * 8 + y * 4 + x
    assert out[0, 0, 1].tolist() == [5.0, 13.0, 21.0]  # idx 5 = (y 1, x 1)
    assert out[1, 0, 0].tolist() == [31.0, 39.0, 47.0]  # 24 + c * 8 + 7


def _ke_inputs():
    # L = 2, K = 2 on a 2 x 3 map; AE layout channel l * K + j
    tags = torch.zeros(1, 4, 2, 3)
    t = tags.view(1, 2, 2, 6)  # (B, L, K, HW)
    # person 0: joint 0 at idx 1 = (1, 0), joint 1 at idx 5 = (3, 0); person 1: joint 0 at idx 3
    t[0, :, 0, 1] = torch.tensor([1.0, 0.0])
    t[0, :, 1, 5] = torch.tensor([3.0, 0.0])
    t[0, :, 0, 3] = torch.tensor([4.0, 2.0])
    t[0, :, 1, 1] = 100.0  # joint 1's map at joint 0's pixel: must not be read
    t[0, :, 0, 5] = 100.0
    kpt = torch.tensor([[[[1, 1], [5, 1]], [[3, 1], [0, 0]]]])
    return tags, kpt


def test_keypoint_embedding_loss_hand_values():
    # person 0: tags (1, 0), (3, 0) -> mean (2, 0), pull (1 + 1) / 2 = 1; person 1: (4, 2), pull 0
    # pull = 0.5; push = 2 exp(-1/2 ||(2,0) - (4,2)||^2) / 4 = 0.5 exp(-4)
    # loss_weight 2, push_weight 0.5: pull 1.0, push 0.5 e^-4
    tags, kpt = _ke_inputs()
    loss = MODELS.build(dict(type='KeypointEmbeddingLoss', loss_weight=2.0, push_weight=0.5))
    pull, push = loss(tags, kpt)
    assert pull.item() == pytest.approx(1.0)
    assert push.item() == pytest.approx(0.5 * math.exp(-4))
    # a list of per-image (N_i, K, 2) tensors is padded to the same result
    tags2 = torch.cat([tags, tags], 0)
    pull2, push2 = loss(tags2, [kpt[0], kpt[0, :1]])
    # image 1 has only person 0: pull 1, push 0; mean over images, times the weights:
    # pull (0.5 + 1) / 2 * 2 = 1.5, push (0.5 e^-4 + 0) / 2 * 2 * 0.5 = 0.25 e^-4
    assert pull2.item() == pytest.approx(1.5)
    assert push2.item() == pytest.approx(0.25 * math.exp(-4))


def test_keypoint_embedding_loss_errors_and_empty():
    tags, kpt = _ke_inputs()
    bad = kpt.clone()
    bad[0, 1, 0, 0] = 6  # visible, but the map has 6 pixels
    with pytest.raises(ValueError, match=r'keypoint_indices\[0, 1, 0\] = 6 is visible'):
        KeypointEmbeddingLoss()(tags, bad)
    with pytest.raises(ValueError, match='multiple of K'):
        KeypointEmbeddingLoss()(tags[:, :3], kpt)
    # nobody in the image: zero losses that still backpropagate
    tags.requires_grad_()
    pull, push = KeypointEmbeddingLoss()(tags, [torch.zeros(0, 2, 2, dtype=torch.long)])
    assert pull.item() == 0.0 and push.item() == 0.0
    (pull + push).backward()
    assert (tags.grad == 0).all()


def test_ordinal_embedding_loss_hand_values():
    # one 1 x 6 map, K = 2; all six ordinal maps hold the same values [0, 2, 5, 5, 0, 0]
    # person A: joints at idx 0, 1 -> values 0, 2, mean 1, pull 1; B: idx 2, 3 -> 5, 5, pull 0
    # pull per map (1 + 0) / 2 = 0.5, six maps -> 3
    # keys A = [x 10, y 50, head 4], B = [x 20, y 40, head 9]; mbar A = 1, B = 5
    # l2r: A first -> 2 softplus(1 - 5) / 2^2 = 0.5 softplus(-4); r2l: B first -> 0.5 softplus(4)
    # t2b: B (y 40) first -> 0.5 softplus(4); b2t -> 0.5 softplus(-4)
    # f2n: far = small head = A first -> 0.5 softplus(-4); n2f -> 0.5 softplus(4)
    # ordinal = 1.5 (softplus(4) + softplus(-4)) = 6.054450; total (3 + 6.054450) * 0.1
    maps = torch.tensor([0.0, 2.0, 5.0, 5.0, 0.0, 0.0]).expand(1, 6, 1, 6).clone()
    kpt = torch.tensor([[[[0, 1], [1, 1]], [[2, 1], [3, 1]]]])
    keys = torch.tensor([[[10.0, 50.0, 4.0], [20.0, 40.0, 9.0]]])
    kw = torch.ones(1, 2, 3)
    loss = OrdinalEmbeddingLoss(loss_weight=0.1)
    ordinal = 1.5 * (softplus(4) + softplus(-4))
    assert ordinal == pytest.approx(6.054450, abs=1e-5)
    assert loss(maps, kpt, keys, kw).item() == pytest.approx((3 + ordinal) * 0.1, abs=1e-6)
    # B's head size undefined: f2n / n2f have one valid person -> 0
    kw[0, 1, 2] = 0
    ordinal = 1.0 * (softplus(4) + softplus(-4))
    assert loss(maps, kpt, keys, kw).item() == pytest.approx((3 + ordinal) * 0.1, abs=1e-6)


def test_ordinal_embedding_loss_matches_loop():
    g = torch.Generator().manual_seed(1)
    B, N, K, H, W = 2, 4, 3, 4, 5
    maps = torch.randn(B, 6, H, W, generator=g, dtype=torch.float64)
    idx = torch.randint(0, H * W, (B, N, K), generator=g)
    vis = (torch.rand(B, N, K, generator=g) > 0.3).long()
    kpt = torch.stack([idx, vis], -1)
    keys = torch.randint(0, 4, (B, N, 3), generator=g).double()  # ties happen
    kw = (torch.rand(B, N, 3, generator=g) > 0.2).double()
    got = OrdinalEmbeddingLoss()(maps, kpt, keys, kw).item()
    ref = 0.0
    for c, (key, asc) in enumerate(zip((0, 0, 1, 1, 2, 2), (1, 0, 1, 0, 1, 0))):
        per_image = []
        for b in range(B):
            means, pulls, people = {}, [], []
            for n in range(N):
                vals = [maps[b, c].reshape(-1)[idx[b, n, k]].item() for k in range(K)
                        if vis[b, n, k]]
                if vals:
                    m = sum(vals) / len(vals)
                    means[n] = m
                    pulls.append(sum((v - m) ** 2 for v in vals) / len(vals))
                    if kw[b, n, key] > 0:
                        people.append(n)
            pull = sum(pulls) / len(pulls) if pulls else 0.0
            term = 0.0
            for i in people:
                for j in people:
                    ki, kj = keys[b, i, key].item(), keys[b, j, key].item()
                    if ki == kj:
                        continue
                    first = (ki < kj) if asc else (ki > kj)
                    term += softplus((1 if first else -1) * (means[i] - means[j]))
            P = len(people)
            per_image.append(pull + (term / P ** 2 if P else 0.0))
        ref += sum(per_image) / B
    assert got == pytest.approx(ref, abs=1e-10)


def test_vector_field_loss_hand_values():
    # K = 2 on a 1 x 4 map, channels [j0 x, j0 y, j1 x, j1 y]
    # person 0 joint 0 at idx 1: pred (2, -1), target (1, 1) -> |1| + |2| = 3, weight 1
    #          joint 1 at idx 2: pred (0.5, 0.5), target (0, 0) -> 1, weight 0.5
    # person 1 joint 0 invisible (target NaN, ignored); loss = (3 * 1 + 1 * 0.5) / 1.5 = 2.333333
    fields = torch.zeros(1, 4, 1, 4)
    fields[0, 0, 0, 1], fields[0, 1, 0, 1] = 2.0, -1.0
    fields[0, 2, 0, 2], fields[0, 3, 0, 2] = 0.5, 0.5
    fields[0, 0, 0, 2] = 50.0  # joint 0's channel at joint 1's pixel: not read
    fields.requires_grad_()
    kpt = torch.tensor([[[[1, 1], [2, 1]], [[3, 0], [0, 0]]]])
    tgt = torch.tensor([[[[1.0, 1.0], [0.0, 0.0]], [[float('nan'), 0.0], [0.0, 0.0]]]])
    w = torch.tensor([[[1.0, 0.5], [1.0, 1.0]]])
    loss = KeypointVectorFieldLoss(loss_weight=3.0)(fields, kpt, tgt, w)
    assert loss.item() == pytest.approx(3.0 * 3.5 / 1.5)
    loss.backward()
    assert torch.isfinite(fields.grad).all()
    # d/d pred_x of joint 0 = 3 * sign(2 - 1) * 1 / 1.5 = 2
    assert fields.grad[0, 0, 0, 1].item() == pytest.approx(2.0)
    # nothing valid -> 0
    assert KeypointVectorFieldLoss()(fields, kpt, tgt, torch.zeros(1, 2, 2)).item() == 0.0


def test_grouping_loss_hand_values():
    # X(1) = [0, 2, 3, 7], X(2) = [0.5, 1.5, 3, 7]; person 0 = columns 0, 1; person 1 = column 2
    # iteration 1: pull (1 + 0) / 2 = 0.5, push 2 exp(-1/2 (1 - 3)^2) / 4 = 0.5 e^-2
    # iteration 2: pull (0.25 + 0) / 2 = 0.125, push 0.5 e^-2 (means unchanged)
    # summed over iterations: pull 0.625, push e^-2
    outs = [torch.tensor([[0.0, 2.0, 3.0, 7.0]]), torch.tensor([[0.5, 1.5, 3.0, 7.0]])]
    cols = torch.tensor([[0, 1], [2, -1]])
    pull, push = GroupingLoss()(outs, cols)
    assert pull.item() == pytest.approx(0.625)
    assert push.item() == pytest.approx(math.exp(-2))
    with pytest.raises(ValueError, match='N = 4'):
        GroupingLoss()(outs, torch.tensor([[4, 0]]))


def test_grouping_loss_on_pgg_output():
    # end to end: PGG on a 2-channel map, joints found through masked_column_index
    g = torch.Generator().manual_seed(2)
    emb = torch.randn(2, 6, 6, generator=g, dtype=torch.float64, requires_grad=True)
    mask = torch.zeros(6, 6, dtype=torch.bool)
    mask[1:3, 1:4] = True
    mask[4, :] = True
    joints = torch.tensor([[[1, 1], [2, 3]], [[4, 0], [4, 5]], [[0, 0], [4, 2]]])  # (P, K, yx)
    flat = joints[..., 0] * 6 + joints[..., 1]
    cols = masked_column_index(mask)[flat]  # joint (0, 0) of person 2 is outside the mask: -1
    assert cols[2, 0].item() == -1
    outs = pose_guided_grouping(emb, mask, num_iters=2, bandwidth=1.0)
    pull, push = GroupingLoss()(outs, cols)
    # reference: per iteration, pull/push of the embeddings at the joints (loop over pixels)
    rpull = rpush = 0.0
    for x in outs:
        people = [[x[:, c] for c in row if c >= 0] for row in cols.tolist()]
        emb_r = torch.stack([torch.stack(p + [p[0]] * (2 - len(p))) for p in people])[None]
        valid = (cols >= 0)[None]
        p_, q_ = pull_push_loop(emb_r, valid)
        rpull, rpush = rpull + p_, rpush + q_
    assert pull.item() == pytest.approx(rpull.item(), abs=1e-12)
    assert push.item() == pytest.approx(rpush.item(), abs=1e-12)
    (pull + push).backward()
    assert emb.grad.abs().sum() > 0
    # N = 0: zero, still differentiable
    outs0 = pose_guided_grouping(emb, torch.zeros(6, 6, dtype=torch.bool), num_iters=1)
    p0, q0 = GroupingLoss()(outs0, torch.full((2, 2), -1))
    assert p0.item() == 0.0 and q0.item() == 0.0 and p0.requires_grad
