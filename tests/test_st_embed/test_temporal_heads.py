"""TemporalNet's heads (ST-Embed Sec. 3.3.1-3.3.2): HE (RoI-Align, res5, Eq. 6), TIE (Eq. 7, PGG).

Every expected value is derived independently: by hand, from a translated input, or by a
loop over the triplets of Eq. 6.
"""
import itertools
import math

import pytest
import torch

from mmpose_track.models.heads.human_embedding_head import (HumanEmbeddingHead,
                                                            human_embedding_triplet_loss)
from mmpose_track.models.heads.temporal_embedding_head import (TemporalEmbeddingHead,
                                                               joint_pixel_indices,
                                                               sample_joint_vectors)


def tiny_he(**kw):
    cfg = dict(in_channels=8, res5_channels=16, mid_channels=8, roi_output_size=(4, 4),
               spatial_scale=1.0, sampling_ratio=1)
    cfg.update(kw)
    head = HumanEmbeddingHead(**cfg)
    head.init_weights()
    return head.eval()


# ----------------------------------------------------------------------------- RoI features
def test_roi_features_of_constant_map_are_constant():
    head = tiny_he()
    feats = torch.arange(8.).view(1, 8, 1, 1).expand(2, 8, 16, 16).contiguous()
    rois = torch.tensor([[0, 1.0, 2.0, 9.0, 14.0], [1, 3.5, 0.5, 7.0, 6.0]])
    out = head.extract_rois(feats, rois)
    expect = torch.arange(8.).view(1, 8, 1, 1).expand(2, 8, 4, 4)
    torch.testing.assert_close(out, expect)


@pytest.mark.parametrize('roi_op', ['mmcv', 'torchvision'])
def test_roi_align_samples_bin_centres_and_follows_a_box_shift(roi_op):
    """On f(x, y) = x (bilinear is exact on a linear map) bin j of a box [x1, x2] with w bins
    samples x1 + (j + 0.5) (x2 - x1) / w - 0.5 (aligned); shifting the box by dx adds dx."""
    head = tiny_he(roi_output_size=(2, 2), roi_op=roi_op)
    ramp = torch.arange(32.).view(1, 1, 1, 32).expand(1, 8, 32, 32).contiguous()
    out = head.extract_rois(ramp, torch.tensor([[0, 0.0, 0.0, 8.0, 8.0]]))
    torch.testing.assert_close(out[0, 0], torch.tensor([[1.5, 5.5], [1.5, 5.5]]))
    shifted = head.extract_rois(ramp, torch.tensor([[0, 5.0, 3.0, 13.0, 11.0]]))
    torch.testing.assert_close(shifted[0, 0], torch.tensor([[6.5, 10.5], [6.5, 10.5]]))


def test_roi_ops_agree():
    torch.manual_seed(0)
    feats = torch.randn(2, 8, 20, 24)
    rois = torch.tensor([[0, 1.3, 2.2, 15.1, 18.0], [1, 0.0, 0.0, 23.0, 19.0]])
    a = tiny_he(roi_op='mmcv', sampling_ratio=2).extract_rois(feats, rois)
    b = tiny_he(roi_op='torchvision', sampling_ratio=2).extract_rois(feats, rois)
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_human_embedding_is_translation_invariant():
    """Moving the feature content and the box by the same integer offset gives the same HE."""
    torch.manual_seed(0)
    head = tiny_he(roi_output_size=(8, 4))
    feats = torch.zeros(1, 8, 32, 32)
    feats[..., 4:20, 3:12] = torch.randn(8, 16, 9)
    moved = torch.roll(feats, shifts=(7, 11), dims=(2, 3))
    box = torch.tensor([[0, 3.0, 4.0, 12.0, 20.0]])
    e1 = head(feats, box)
    e2 = head(moved, box + torch.tensor([0, 11.0, 7.0, 11.0, 7.0]))
    assert e1.shape == (1, 8 + 16)
    torch.testing.assert_close(e1, e2, atol=1e-5, rtol=1e-5)
    # and another box gives another embedding (the check above is not vacuous)
    e3 = head(feats, torch.tensor([[0, 3.0, 4.0, 8.0, 12.0]]))
    assert (e3 - e1).abs().max() > 1e-3


def test_human_embedding_zero_rois_and_bad_input():
    head = tiny_he()
    out = head(torch.randn(1, 8, 16, 16), torch.zeros(0, 5))
    assert out.shape == (0, 24)
    with pytest.raises(ValueError, match='rois must be'):
        head(torch.randn(1, 8, 16, 16), torch.zeros(3, 4))
    with pytest.raises(ValueError, match='feats must be'):
        head(torch.randn(1, 7, 16, 16), torch.zeros(1, 5))


def test_res5_init_cfg_loads_resnet_layer4_weights(tmp_path):
    """``res5_init_cfg`` loads ``layer4.*`` of a ResNet checkpoint into the res5 blocks; the res5a
    input convs with another width are skipped (MMEngine logs the size mismatch)."""
    from mmpose.models.backbones.resnet import Bottleneck, ResLayer
    torch.manual_seed(0)
    src = ResLayer(Bottleneck, 3, 32, 16, stride=2)
    ckpt = {f'layer4.{k}': v for k, v in src.state_dict().items()}
    ckpt['conv1.weight'] = torch.zeros(1)  # other layers of the source model are ignored
    path = tmp_path / 'resnet.pth'
    torch.save(dict(state_dict=ckpt), path)
    head = tiny_he(res5_init_cfg=dict(type='Pretrained', checkpoint=str(path), prefix='layer4.'))
    got = head.res5.state_dict()
    for k, v in src.state_dict().items():
        if k.startswith('0.conv1') or k.startswith('0.downsample.0'):
            assert got[k].shape != v.shape  # in_channels 8 vs 32: left random
        else:
            torch.testing.assert_close(got[k], v, msg=k)


# ----------------------------------------------------------------------------- Eq. 6
def triplet_reference(emb, ids, margin):
    """Eq. 6 by a loop over every (anchor, positive, negative) triplet; mean and sum."""
    total, count = emb.new_zeros(()), 0
    R = len(ids)
    for a, p, n in itertools.product(range(R), repeat=3):
        if ids[a] < 0 or ids[p] < 0 or ids[n] < 0:
            continue
        if a == p or ids[a] != ids[p] or ids[a] == ids[n]:
            continue
        dap = ((emb[a] - emb[p])**2).sum()
        dan = ((emb[a] - emb[n])**2).sum()
        total = total + torch.clamp(dap - dan + margin, min=0)
        count += 1
    return total / max(count, 1), total


def test_triplet_loss_hand_value():
    # 1-D embeddings: ids 0, 0, 1, 1 at 0, 1, 1.2, 3; squared distances
    # ab 1, ac 1.44, ad 9, bc .04, bd 4, cd 3.24; active triplets (margin .3):
    # (b, a; c) 1 - .04 + .3 = 1.26, (c, d; a) 3.24 - 1.44 + .3 = 2.1,
    # (c, d; b) 3.24 - .04 + .3 = 3.5
    emb = torch.tensor([[0.0], [1.0], [1.2], [3.0]])
    ids = torch.tensor([0, 0, 1, 1])
    s = human_embedding_triplet_loss(emb, ids, 0.3, reduction='sum')
    m = human_embedding_triplet_loss(emb, ids, 0.3, reduction='mean')
    assert float(s) == pytest.approx(6.86, abs=1e-5)
    assert float(m) == pytest.approx(6.86 / 8, abs=1e-6)  # 4 (anchor, positive) x 2 negatives
    head = tiny_he(margin=0.3, loss_weight=2.0)
    assert float(head.loss(emb, ids)['loss_he']) == pytest.approx(2 * 6.86 / 8, abs=1e-5)


def test_triplet_loss_on_normalised_embeddings():
    # normalised: (1, 0), (1, 0), (0, 1): d_ap = 0, d_an = 2 -> 0 - 2 + 3 = 1 per (a, p) pair;
    # raw: d(0, 1) = 4, d(0, 2) = 13, d(1, 2) = 25 -> every triplet below the margin of 3
    emb = torch.tensor([[2.0, 0.0], [4.0, 0.0], [0.0, 3.0]])
    ids = torch.tensor([0, 0, 1])
    assert float(tiny_he(margin=3.0, normalize=True).loss(emb, ids)['loss_he']) == \
        pytest.approx(1.0)
    assert float(tiny_he(margin=3.0).loss(emb, ids)['loss_he']) == 0.0


def test_triplet_loss_matches_loop_reference_and_its_gradient():
    torch.manual_seed(0)
    emb = torch.randn(11, 5, dtype=torch.float64) * 0.6
    ids = torch.tensor([3, 3, 3, 7, 7, 1, 9, 9, 9, 9, -1])  # 1: no positive; -1: ignored
    x1 = emb.clone().requires_grad_(True)
    x2 = emb.clone().requires_grad_(True)
    mean_ref, sum_ref = triplet_reference(x2, ids.tolist(), 0.3)
    got = human_embedding_triplet_loss(x1, ids, 0.3, reduction='sum')
    torch.testing.assert_close(got, sum_ref)
    got.backward()
    sum_ref.backward()
    torch.testing.assert_close(x1.grad, x2.grad)
    m = human_embedding_triplet_loss(emb, ids, 0.3, reduction='mean')
    torch.testing.assert_close(m, mean_ref.detach())


def test_triplet_loss_without_triplets_is_zero_and_differentiable():
    for emb, ids in ((torch.randn(1, 4), torch.tensor([0])),  # one person
                     (torch.randn(3, 4), torch.tensor([0, 1, 2])),  # no positive pair
                     (torch.randn(3, 4), torch.tensor([5, 5, 5])),  # no negative
                     (torch.randn(0, 4), torch.zeros(0, dtype=torch.long))):
        x = emb.requires_grad_(True)
        loss = human_embedding_triplet_loss(x, ids)
        assert float(loss.detach()) == 0.0
        loss.backward()
        assert torch.equal(x.grad, torch.zeros_like(x))


# ----------------------------------------------------------------------------- TIE head
def tiny_tie(**kw):
    cfg = dict(num_keypoints=2, stem_channels=4, feat_channels=8, hourglass_depth=2,
               stage_blocks=(1, 1, 1), num_convs=1, with_pgg=True, pgg_iters=1,
               pgg_bandwidth=5.0)
    cfg.update(kw)
    head = TemporalEmbeddingHead(**cfg)
    head.init_weights()
    return head


def test_tie_head_forward_layout_and_errors():
    torch.manual_seed(0)
    head = tiny_tie()
    B, K, H, W = 2, 2, 16, 16
    args = [torch.randn(B, 4, H, W), torch.rand(B, K, H, W), torch.randn(B, 2 * K, H, W)] * 2
    fwd, bwd = head(*args)
    assert fwd.shape == (B, 2 * K, H, W) and bwd.shape == (B, 2 * K, H, W)
    # the two fields are the two halves of the last conv
    full = head.final(head.convs(head.hourglass(head.reduce(torch.cat(args, 1)))))
    torch.testing.assert_close(torch.cat([fwd, bwd], 1), full)
    with pytest.raises(ValueError, match='heatmaps_cur must be'):
        head(*args[:4], torch.rand(B, 3, H, W), args[5])
    with pytest.raises(ValueError, match='not divisible'):
        head(*[a[..., :14, :14] for a in args])


def test_sample_joint_vectors_and_pixel_rounding():
    K, H, W = 2, 3, 4
    fields = torch.arange(2 * K * H * W, dtype=torch.float32).view(1, 2 * K, H, W)
    kpts = torch.tensor([[[1.4, 2.6], [3.5, 0.2]]])  # -> pixels (1, 3) [x, y clamp 2], (4->3, 0)
    idx = joint_pixel_indices(kpts, (W, H))
    assert idx.tolist() == [[2 * W + 1, 0 * W + 3]]
    out = sample_joint_vectors(fields, idx[None].view(1, 1, K))
    # joint 0 reads channels 0, 1 at (y=2, x=1); joint 1 channels 2, 3 at (y=0, x=3)
    expect = torch.tensor([[[[0 * 12 + 9, 1 * 12 + 9], [2 * 12 + 3, 3 * 12 + 3]]]])
    torch.testing.assert_close(out, expect.float())


def _two_people_maps(d: float):
    """K = 2, 16 x 16 heatmaps with four joints (two per person); forward TVF set so that TIE at
    person A's joints is (5, 5) +- (d / 2, 0) and at person B's joints (300, 300)."""
    K, H, W = 2, 16, 16
    hm = torch.zeros(1, K, H, W)
    joints = {  # (person, joint) -> (x, y)
        (0, 0): (2, 2), (0, 1): (4, 2), (1, 0): (12, 12), (1, 1): (12, 14)}
    tie_at = {(0, 0): (5 - d / 2, 5.0), (0, 1): (5 + d / 2, 5.0), (1, 0): (300.0, 300.0),
              (1, 1): (300.0, 300.0)}
    tvf = torch.zeros(1, 2 * K, H, W)
    kidx = torch.zeros(1, 2, K, 2, dtype=torch.long)
    for (n, j), (x, y) in joints.items():
        hm[0, j, y, x] = 1.0
        tx, ty = tie_at[(n, j)]
        tvf[0, 2 * j, y, x] = x - tx  # TIE = p - TVF
        tvf[0, 2 * j + 1, y, x] = y - ty
        kidx[0, n, j] = torch.tensor([y * W + x, 1])
    return hm, tvf, kidx


def test_tvf_l1_loss_hand_value():
    head = tiny_tie(with_pgg=False)
    K, H, W = 2, 4, 4
    fwd = torch.zeros(1, 2 * K, H, W)
    bwd = torch.zeros(1, 2 * K, H, W)
    fwd[0, 0, 1, 1], fwd[0, 1, 1, 1] = 2.0, -1.0  # joint 0 of person 0 at pixel 5
    fwd[0, 2, 0, 0], fwd[0, 3, 0, 0] = 0.5, 0.0  # joint 1 of person 0 at pixel 0
    kidx_cur = torch.tensor([[[[5, 1], [0, 1]], [[3, 1], [7, 0]]]])
    fvec = torch.tensor([[[[1.0, 1.0], [0.0, 0.0]], [[9.0, 9.0], [9.0, 9.0]]]])
    fw = torch.tensor([[[1.0, 1.0], [0.0, 1.0]]])  # person 1: joint 0 unmatched, 1 invisible
    # forward: |2 - 1| + |-1 - 1| = 3 and |.5 - 0| + 0 = .5 -> mean 1.75
    bwd[0, 1, 3, 2] = 4.0  # joint 0 (y channel) at pixel 14
    kidx_prev = torch.tensor([[[[14, 1], [2, 1]]]])
    bvec = torch.tensor([[[[1.0, 1.0], [-2.0, 0.5]]]])
    bw = torch.ones(1, 1, K)
    # backward: |0 - 1| + |4 - 1| = 4 and |0 + 2| + |0 - .5| = 2.5 -> mean 3.25
    losses = head.loss(fwd, bwd, kidx_cur, fvec, fw, kidx_prev, bvec, bw)
    assert set(losses) == {'loss_tvf_forward', 'loss_tvf_backward'}
    assert float(losses['loss_tvf_forward']) == pytest.approx(1.75)
    assert float(losses['loss_tvf_backward']) == pytest.approx(3.25)


def test_tie_pgg_grouping_loss_hand_value():
    """Forward TIE of person A's two joints d apart, person B's identical and far away: the pull
    of iteration 0 is (d/2)^2 for A, 0 for B; one GBMS step brings A's two TIE to
    d' = d (1 - e) / (1 + e), e = exp(-d^2 / (2 * 5^2)); push ~ 0 (300 px apart)."""
    d = 4.0
    hm, tvf, kidx = _two_people_maps(d)
    head = tiny_tie()
    empty = torch.zeros(1, 0, 2, 2, dtype=torch.long)
    losses = head.loss(tvf, torch.zeros_like(tvf), kidx, torch.zeros(1, 2, 2, 2),
                       torch.zeros(1, 2, 2), empty, torch.zeros(1, 0, 2, 2), torch.zeros(1, 0, 2),
                       heatmaps_cur=hm, heatmaps_prev=hm)
    e = math.exp(-d * d / 50.0)
    d1 = d * (1 - e) / (1 + e)
    expect_pull = ((d / 2)**2 + (d1 / 2)**2) / 2  # mean over the two people, summed over iters
    assert float(losses['loss_tie_pgg_pull']) == pytest.approx(expect_pull, rel=1e-5)
    assert float(losses['loss_tie_pgg_push']) == pytest.approx(0.0, abs=1e-12)
    assert float(losses['loss_tvf_forward']) == 0.0  # no matched joint
    assert float(losses['loss_tvf_backward']) == 0.0  # no person in frame t-1


def test_tie_maps_refined_by_pgg():
    d = 4.0
    hm, tvf, _ = _two_people_maps(d)
    head = tiny_tie()
    plain = head.tie_maps(tvf, hm, use_pgg=False)
    # TIE = pixel - TVF: off the joints TVF = 0, so TIE is the pixel itself
    assert plain[0, 0, 7, 9] == 9.0 and plain[0, 1, 7, 9] == 7.0
    assert plain[0, 0, 2, 2] == pytest.approx(5 - d / 2)
    refined = head.tie_maps(tvf, hm, use_pgg=True)
    e = math.exp(-d * d / 50.0)
    d1 = d * (1 - e) / (1 + e)
    # joint 0 of A at (2, 2), joint 1 at (4, 2): refined x = 5 -+ d'/2, written to both joints'
    # channels at the masked pixel; pixels outside the mask keep the plain TIE
    for c in (0, 2):
        assert float(refined[0, c, 2, 2]) == pytest.approx(5 - d1 / 2, rel=1e-5)
        assert float(refined[0, c, 2, 4]) == pytest.approx(5 + d1 / 2, rel=1e-5)
    mask = hm.amax(1, keepdim=True) > 0.2
    torch.testing.assert_close(torch.where(mask, 0.0, refined), torch.where(mask, 0.0, plain))


def test_tie_losses_with_nobody_are_zero_and_backpropagate():
    torch.manual_seed(0)
    head = tiny_tie()
    B, K, H, W = 2, 2, 16, 16
    args = [torch.randn(B, 4, H, W), torch.zeros(B, K, H, W), torch.randn(B, 2 * K, H, W)] * 2
    fwd, bwd = head(*args)
    empty_idx = torch.zeros(B, 0, K, 2, dtype=torch.long)
    losses = head.loss(fwd, bwd, empty_idx, torch.zeros(B, 0, K, 2), torch.zeros(B, 0, K),
                       empty_idx, torch.zeros(B, 0, K, 2), torch.zeros(B, 0, K),
                       heatmaps_cur=args[1], heatmaps_prev=args[4])
    total = sum(losses.values())
    assert float(total) == 0.0
    total.backward()
    assert head.final.weight.grad is not None
    assert torch.equal(head.final.weight.grad, torch.zeros_like(head.final.weight))
