"""SpatialNet (ST-Embed, Sec. 3.1-3.2): backbone with stem, SpatialEmbeddingHead, SpatialNet.

Every expected value is derived independently of the code under test: the stem run alone and
MMPose's own ``HourglassAENet.forward``; loop-based Eq. 1-3 / 5 and a hand-built PGG embedding
for the head loss; maps drawn by hand whose people, tags and centres are known for the decoding;
MMPose's bottom-up mapping formula written out for the image coordinates; ground-truth people for
the tiny overfit.
"""
import math

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData, PixelData
from mmpose.models.backbones import HourglassAENet
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample
from scipy.optimize import linear_sum_assignment

import mmpose_track.register_all  # noqa: F401
from mmpose_track.codecs.spatial_embedding import SpatialEmbedding
from mmpose_track.models.backbones import HourglassAENetWithStem
from mmpose_track.models.losses.st_embed_loss import OrdinalEmbeddingLoss
from mmpose_track.models.utils import pose_guided_grouping

init_default_scope('mmpose')

K = 17
STRIDE = 4  # input 128 -> heatmap 32
FLIP = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]
SIE_SCALE = 8.0
CODEC = dict(type='SpatialEmbedding', input_size=(128, 128), heatmap_size=(32, 32), sigma=2.0,
             sie_scale=SIE_SCALE)
C = K + K + 2 * K + 6  # L = 1

# a standing person of height 1 (x right, y down), COCO order with PT18 slots 1 = neck,
# 2 = head top; ears (3, 4) are never labelled, as in PoseTrack18
TEMPLATE = np.array([[0, -.40], [0, -.32], [0, -.50], [.05, -.42], [-.05, -.42], [.12, -.28],
                     [-.12, -.28], [.18, -.12], [-.18, -.12], [.2, .02], [-.2, .02], [.08, .02],
                     [-.08, .02], [.09, .25], [-.09, .25], [.1, .48], [-.1, .48]])
VIS = np.ones(K, np.float32)
VIS[3:5] = 0
LIMBS = [(1, 2), (1, 5), (1, 6), (5, 7), (7, 9), (6, 8), (8, 10), (5, 11), (6, 12), (11, 12),
         (11, 13), (13, 15), (12, 14), (14, 16)]
COLOURS = [(230, 60, 60), (60, 200, 60), (60, 60, 230), (220, 200, 40)]


def person(cx, cy, h):
    return TEMPLATE * h + np.array([cx, cy])


def render(people):
    rng = np.random.default_rng(0)
    img = (np.full((128, 128, 3), 100) + rng.integers(0, 20, (128, 128, 3))).astype(np.uint8)
    for i, kp in enumerate(people):
        pts = np.round(kp).astype(int)
        for a, b in LIMBS:
            cv2.line(img, tuple(pts[a]), tuple(pts[b]), COLOURS[i % 4], 3)
        cv2.circle(img, tuple(pts[2]), 4, COLOURS[i % 4], -1)
    return img


def make_sample(people, center=(64., 64.), scale=(128., 128.), img_id=0):
    """A PoseDataSample encoded by the SpatialEmbedding codec (input px keypoints)."""
    codec = SpatialEmbedding(**{k: v for k, v in CODEC.items() if k != 'type'})
    kp = np.stack(people).astype(np.float32) if len(people) else np.zeros((0, K, 2), np.float32)
    vis = np.tile(VIS, (len(kp), 1))
    enc = codec.encode(kp, vis)
    ds = PoseDataSample(metainfo=dict(
        input_size=(128, 128), input_center=np.array(center, np.float32),
        input_scale=np.array(scale, np.float32), img_id=img_id, flip_indices=FLIP))
    ds.gt_fields = PixelData(heatmaps=torch.as_tensor(enc['heatmaps']))
    ds.gt_instance_labels = InstanceData(**{
        k: torch.as_tensor(enc[k]) for k in ('keypoint_indices', 'keypoint_weights',
                                             'spatial_vectors', 'instance_centres', 'order_keys',
                                             'order_key_weights')})
    return ds


def tiny_backbone(num_stacks=1, **kw):
    cfg = dict(downsample_times=3, num_stacks=num_stacks, out_channels=C,
               stage_channels=(32, 32, 48, 48), feat_channels=32, stem_channels=(16, 32))
    cfg.update(kw)
    return cfg


def build_head(**kw):
    cfg = dict(type='SpatialEmbeddingHead', num_keypoints=K, decoder=CODEC)
    cfg.update(kw)
    return MODELS.build(cfg)


# ---------------------------------------------------------------------------- backbone
def test_backbone_returns_stem_and_the_parent_stack_outputs():
    torch.manual_seed(0)
    m = HourglassAENetWithStem(**tiny_backbone(num_stacks=2))
    m.init_weights()
    for p in m.parameters():  # non-trivial weights (init is std 0.001)
        p.data.normal_(0, 0.2)
    m.eval()
    x = torch.randn(2, 3, 128, 128)
    with torch.no_grad():
        outs = m(x)
        stem = m.stem(x)
        parent = HourglassAENet.forward(m, x)  # MMPose's own forward on the same weights
    assert len(outs) == 3
    assert torch.equal(outs[0], stem)
    assert tuple(stem.shape) == (2, 32, 32, 32)
    for a, b in zip(outs[1:], parent):
        assert torch.equal(a, b)


def test_backbone_default_stem_loads_an_mmpose_hourglass_ae_checkpoint():
    kw = dict(downsample_times=2, num_stacks=1, out_channels=10, stage_channels=(32, 32, 32),
              feat_channels=32)
    torch.manual_seed(1)
    ref = HourglassAENet(**kw)
    for p in ref.parameters():
        p.data.normal_(0, 0.1)
    ours = HourglassAENetWithStem(**kw)
    ours.load_state_dict(ref.state_dict(), strict=True)
    ref.eval()
    ours.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(ours(x)[1], ref(x)[0])
        assert torch.equal(ours(x)[0], ref.stem(x))


# ---------------------------------------------------------------------------- head loss
def _pull_push_reference(emb_people):
    """Eq. 2-3 by loops: emb_people = list over people of (n_valid_joints, D) arrays."""
    people = [e for e in emb_people if len(e)]
    if not people:
        return 0.0, 0.0
    means = [e.mean(0) for e in people]
    pull = np.mean([np.mean([((m - mu)**2).sum() for m in e]) for e, mu in zip(people, means)])
    P = len(people)
    push = 0.0
    for a in range(P):
        for b in range(P):
            if a != b:
                push += math.exp(-0.5 * ((means[a] - means[b])**2).sum())
    return pull, push / P**2


def _reference_losses(outs, samples, with_pgg):
    """All head losses from the raw stack outputs by explicit channel arithmetic and loops."""
    W = H = 32
    gt = torch.stack([s.gt_fields.heatmaps for s in samples])
    ref = dict(loss_heatmap=0.0, loss_ke_pull=0.0, loss_ke_push=0.0, loss_ordinal=0.0,
               loss_svf=0.0, loss_pgg_pull=0.0, loss_pgg_push=0.0)
    for s_idx, out in enumerate(outs):
        hm, tags = out[:, :K], out[:, K:2 * K]
        svf, ordm = out[:, 2 * K:4 * K], out[:, 4 * K:4 * K + 6]
        ref['loss_heatmap'] += float(((hm - gt)**2).mean())
        pulls, pushes, err, cnt = [], [], 0.0, 0
        for b, smp in enumerate(samples):
            lab = smp.gt_instance_labels
            people = []
            for n in range(len(lab.keypoint_indices)):
                rows = []
                for j in range(K):
                    idx, v = (int(t) for t in lab.keypoint_indices[n, j])
                    if v:
                        y, x = divmod(idx, W)
                        rows.append([float(tags[b, j, y, x])])
                        tgt = lab.spatial_vectors[n, j].numpy()
                        err += abs(float(svf[b, 2 * j, y, x]) - tgt[0]) + \
                            abs(float(svf[b, 2 * j + 1, y, x]) - tgt[1])
                        cnt += 1
                people.append(np.array(rows))
            pl, ps = _pull_push_reference(people)
            pulls.append(pl)
            pushes.append(ps)
        ref['loss_ke_pull'] += 1e-3 * np.mean(pulls)
        ref['loss_ke_push'] += 1e-3 * np.mean(pushes)
        ref['loss_svf'] += 1e-4 * (err / cnt if cnt else 0.0)
        keys = [torch.as_tensor(s.gt_instance_labels.order_keys) for s in samples]
        kw = [torch.as_tensor(s.gt_instance_labels.order_key_weights) for s in samples]
        kidx = [torch.as_tensor(s.gt_instance_labels.keypoint_indices) for s in samples]
        ref['loss_ordinal'] += 1e-4 * float(OrdinalEmbeddingLoss()(ordm, kidx, keys, kw))
        if with_pgg and s_idx == len(outs) - 1:
            pp, ph = [], []
            for b, smp in enumerate(samples):
                g = gt[b]
                # X: [KE of the GT-argmax joint, SIE of that joint / sie_scale], row-major pixels
                cols, X = {}, []
                for y in range(H):
                    for x in range(W):
                        if float(g[:, y, x].max()) > 0.2:
                            j = int(g[:, y, x].argmax())
                            cols[(y, x)] = len(X)
                            X.append([float(tags[b, j, y, x]),
                                      (x - float(svf[b, 2 * j, y, x])) / SIE_SCALE,
                                      (y - float(svf[b, 2 * j + 1, y, x])) / SIE_SCALE])
                X = torch.tensor(X, dtype=torch.float32).T
                mask = torch.zeros(H, W, dtype=torch.bool)
                for (y, x) in cols:
                    mask[y, x] = True
                emb = torch.zeros(3, H, W)
                emb[:, mask] = X
                its = pose_guided_grouping(emb, mask, 1, 5.0 / SIE_SCALE)
                lab = smp.gt_instance_labels
                pl_sum = ps_sum = 0.0
                for it in its:
                    people = []
                    for n in range(len(lab.keypoint_indices)):
                        rows = [it[:, cols[divmod(int(lab.keypoint_indices[n, j, 0]), W)]].numpy()
                                for j in range(K) if int(lab.keypoint_indices[n, j, 1])]
                        people.append(np.array(rows))
                    pl, ps = _pull_push_reference(people)
                    pl_sum += pl
                    ps_sum += ps
                pp.append(pl_sum)
                ph.append(ps_sum)
            ref['loss_pgg_pull'] += 1e-4 * np.mean(pp)
            ref['loss_pgg_push'] += 1e-4 * np.mean(ph)
    return ref


def _two_image_batch():
    return [make_sample([person(40, 60, 72), person(92, 66, 80)]),
            make_sample([person(64, 64, 90)], img_id=1)]


def test_head_loss_equals_weighted_sum_of_separate_losses():
    torch.manual_seed(0)
    samples = _two_image_batch()
    stem = torch.randn(2, 32, 32, 32)
    outs = [torch.randn(2, C, 32, 32) for _ in range(2)]  # two stacks
    for o in outs:
        o[:, 2 * K:4 * K] *= 3.0  # SVF of a few px
    head = build_head(with_pgg=True)
    losses = head.loss((stem, *outs), samples)
    ref = _reference_losses(outs, samples, with_pgg=True)
    assert set(losses) == set(ref)
    for k, v in ref.items():
        assert float(losses[k]) == pytest.approx(v, rel=1e-4, abs=1e-9), k
    # every term is non-trivial here, so the comparison above checks something
    assert all(v > 1e-7 for v in ref.values())


def test_table3_switches_drop_their_losses():
    torch.manual_seed(0)
    samples = _two_image_batch()
    feats = (torch.randn(2, 32, 32, 32), torch.randn(2, C, 32, 32))
    ref = _reference_losses(feats[1:], samples, with_pgg=False)
    head = build_head(use_ke=False, use_aux=False)  # the "SIE" row
    losses = head.loss(feats, samples)
    assert set(losses) == {'loss_heatmap', 'loss_svf'}
    assert float(losses['loss_svf']) == pytest.approx(ref['loss_svf'], rel=1e-4)
    head = build_head(use_sie=False)  # "KE + aux"
    assert set(head.loss(feats, samples)) == {'loss_heatmap', 'loss_ke_pull', 'loss_ke_push',
                                              'loss_ordinal'}
    with pytest.raises(ValueError, match='use_ke and use_sie'):
        build_head(use_ke=False, use_sie=False)


def test_zero_people_gives_zero_grouping_losses_and_empty_prediction():
    torch.manual_seed(0)
    samples = [make_sample([])]
    out = torch.randn(1, C, 32, 32)
    head = build_head(with_pgg=True)
    losses = head.loss((torch.zeros(1, 32, 32, 32), out), samples)
    for k in ('loss_ke_pull', 'loss_ke_push', 'loss_ordinal', 'loss_svf', 'loss_pgg_pull',
              'loss_pgg_push'):
        assert float(losses[k]) == 0.0, k
    assert float(losses['loss_heatmap']) == pytest.approx(float((out[:, :K]**2).mean()), rel=1e-6)
    # nobody in the maps: a defined, empty prediction, with and without PGG
    out = torch.zeros(1, C, 32, 32)
    for use_pgg in (False, True):
        (pred, ) = head.predict((torch.zeros(1, 32, 32, 32), out), samples,
                                test_cfg=dict(use_pgg=use_pgg))
        assert pred.keypoints.shape == (0, K, 2)
        assert pred.keypoint_scores.shape == (0, K)
        assert pred.bboxes.shape == (0, 4)
        assert pred.bbox_scores.shape == (0, )
        assert pred.ke.shape == (0, K, 1)
        assert pred.sie.shape == (0, K, 2)


def test_nan_maps_raise_one_clear_error():
    head = build_head()
    out = torch.zeros(1, C, 32, 32)
    out[0, 2 * K + 3, 5, 5] = float('nan')  # one SVF value
    with pytest.raises(ValueError, match='non-finite values in the predicted svf of image'):
        head.predict((torch.zeros(1, 32, 32, 32), out), [make_sample([])])


# ---------------------------------------------------------------------------- decoding
def _hand_built_maps(people_hm, tags_of_people, noise=0.0, seed=0):
    """Maps a perfect SpatialNet would output: GT heatmaps, per-person constant KE, exact SVF.

    people_hm: (N, K, 2) integer heatmap px. Each joint channel's pixel belongs to the person whose
    Gaussian for that joint is largest there.
    """
    rng = np.random.default_rng(seed)
    H = W = 32
    ys, xs = np.mgrid[:H, :W]
    g = np.exp(-((xs[None, None] - people_hm[..., 0, None, None])**2 +
                 (ys[None, None] - people_hm[..., 1, None, None])**2) / (2 * 2.0**2))
    g = np.where(g > 1e-3, g, 0.) * VIS[None, :, None, None]  # (N, K, H, W), exactly symmetric
    owner = g.argmax(0)  # (K, H, W)
    centres = np.stack([p[VIS > 0].mean(0) for p in people_hm])  # (N, 2)
    out = np.zeros((C, H, W), np.float32)
    out[:K] = g.max(0)
    out[K:2 * K] = np.asarray(tags_of_people)[owner] + noise * rng.standard_normal((K, H, W))
    out[2 * K:4 * K:2] = xs[None] - centres[owner, 0]
    out[2 * K + 1:4 * K:2] = ys[None] - centres[owner, 1]
    return torch.as_tensor(out)[None], centres


def _match(pred_kpts, gt_kpts):
    """Hungarian matching on the mean joint distance over labelled joints."""
    cost = np.linalg.norm(pred_kpts[:, None] - gt_kpts[None], axis=-1)[..., VIS > 0].mean(-1)
    rows, cols = linear_sum_assignment(cost)
    return rows, cols, cost


def test_decoding_hand_built_maps_recovers_people_tags_centres_and_image_px():
    people_hm = np.array([np.round(person(11, 15, 18)), np.round(person(22, 17, 20))])
    out, centres = _hand_built_maps(people_hm, tags_of_people=[-1.0, 1.5])
    head = build_head()
    sample = make_sample([], center=(200., 150.), scale=(256., 256.))
    (pred, ) = head.predict((torch.zeros(1, 32, 32, 32), out), [sample])
    assert pred.keypoints.shape == (2, K, 2)
    rows, cols, _ = _match(pred.keypoints, people_hm * STRIDE)
    for r, c in zip(rows, cols):
        np.testing.assert_allclose(pred.keypoints[r][VIS > 0], people_hm[c][VIS > 0] * STRIDE,
                                   atol=1e-4)
        np.testing.assert_allclose(pred.keypoint_scores[r][VIS > 0], 1.0, atol=1e-6)
        np.testing.assert_allclose(pred.ke[r][VIS > 0, 0], [-1.0, 1.5][c], atol=1e-6)
        np.testing.assert_allclose(pred.sie[r][VIS > 0], np.tile(centres[c] * STRIDE, (15, 1)),
                                   atol=1e-4)
        vis = people_hm[c][VIS > 0] * STRIDE
        np.testing.assert_allclose(pred.bboxes[r], [*vis.min(0), *vis.max(0)], atol=1e-4)
        assert pred.bbox_scores[r] == pytest.approx(pred.keypoint_scores[r].mean(), rel=1e-6)

    # SpatialNet maps to the original image as MMPose's bottom-up estimator:
    # p / input_size * input_scale + input_center - input_scale / 2 = 2 p + (200, 150) - 128
    model = MODELS.build(dict(type='SpatialNet',
                              backbone=dict(type='HourglassAENetWithStem', **tiny_backbone()),
                              head=dict(type='SpatialEmbeddingHead', num_keypoints=K,
                                        decoder=CODEC)))
    kpts, sie, boxes = pred.keypoints.copy(), pred.sie.copy(), pred.bboxes.copy()
    (ds, ) = model.add_pred_to_datasample([pred], None, [sample])
    shift = np.array([200. - 128., 150. - 128.])
    np.testing.assert_allclose(ds.pred_instances.keypoints, 2 * kpts + shift, atol=1e-4)
    np.testing.assert_allclose(ds.pred_instances.sie, 2 * sie + shift, atol=1e-4)
    np.testing.assert_allclose(ds.pred_instances.bboxes, 2 * boxes + np.tile(shift, 2), atol=1e-4)
    np.testing.assert_allclose(ds.pred_instances.ke, pred.ke)


def test_pgg_at_test_time_writes_refined_embedding_back():
    people_hm = np.array([np.round(person(11, 15, 18)), np.round(person(22, 17, 20))])
    out, centres = _hand_built_maps(people_hm, tags_of_people=[-1.0, 1.5], noise=0.3)
    head = build_head(with_pgg=True)
    (pred, ) = head.predict((torch.zeros(1, 32, 32, 32), out), [make_sample([])])
    rows, cols, cost = _match(pred.keypoints, people_hm * STRIDE)
    assert len(rows) == 2 and cost[rows, cols].max() < 1e-3

    # reference: PGG on the hand-built per-pixel embedding [tag, SIE / s] of the argmax joint
    hm = out[0, :K]
    mask = hm.max(0).values > 0.2
    j = hm.argmax(0)
    yy, xx = torch.meshgrid(torch.arange(32.), torch.arange(32.), indexing='ij')
    tag = out[0, K:2 * K].gather(0, j[None])[0]
    sx = xx - out[0, 2 * K:4 * K:2].gather(0, j[None])[0]
    sy = yy - out[0, 2 * K + 1:4 * K:2].gather(0, j[None])[0]
    emb = torch.stack([tag, sx / SIE_SCALE, sy / SIE_SCALE])
    refined = pose_guided_grouping(emb, mask, 1, 5.0 / SIE_SCALE)[-1]
    col = torch.cumsum(mask.flatten(), 0) - 1
    for r in rows:
        for k in np.nonzero(VIS)[0]:
            x, y = (pred.keypoints[r, k] / STRIDE).round().astype(int)
            c = int(col[y * 32 + x])
            assert pred.ke[r, k, 0] == pytest.approx(float(refined[0, c]), abs=1e-5)
            np.testing.assert_allclose(pred.sie[r, k], refined[1:, c].numpy() * SIE_SCALE * STRIDE,
                                       atol=1e-4)
    # the refinement made each person's KE tighter than the noisy input
    for r, c in zip(rows, cols):
        raw = [float(out[0, K + k, int(people_hm[c, k, 1]), int(people_hm[c, k, 0])])
               for k in np.nonzero(VIS)[0]]
        assert pred.ke[r, VIS > 0, 0].std() < 0.5 * np.std(raw)


def test_flip_test_averages_heatmaps_of_the_flipped_pass():
    people_hm = np.array([np.round(person(11, 15, 18)), np.round(person(22, 17, 20))])
    out, _ = _hand_built_maps(people_hm, tags_of_people=[-1.0, 1.5])
    # what a perfect network outputs on the mirrored image: mirrored maps, left/right swapped
    flipped = out.clone()
    flipped[:, :K] = out[:, :K].flip(-1)[:, FLIP]
    head = build_head()
    stem = torch.zeros(1, 32, 32, 32)
    sample = make_sample([])
    (plain, ) = head.predict((stem, out), [sample])
    (flip, ) = head.predict([(stem, out), (stem, flipped)], [sample],
                            test_cfg=dict(flip_test=True, shift_heatmap=False))
    np.testing.assert_allclose(flip.keypoints, plain.keypoints, atol=1e-5)
    np.testing.assert_allclose(flip.keypoint_scores, plain.keypoint_scores, atol=1e-5)
    with pytest.raises(ValueError, match='multiscale_test is not supported'):
        head.predict((stem, out), [sample], test_cfg=dict(multiscale_test=True))


# ---------------------------------------------------------------------------- overfit
FRAMES = [[(64, 64, 80)], [(36, 60, 70), (96, 70, 84)], [(24, 66, 64), (64, 58, 76), (106, 68, 70)],
          [(40, 70, 60), (92, 56, 90)]]


def test_tiny_spatialnet_overfits_and_recovers_every_person():
    """A 1-stack tiny SpatialNet (paper loss weights) fits 4 synthetic frames (8 people) in 250
    Adam steps; decoding finds every person, in image px (inputs are crops of a 2x larger image)."""
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='SpatialNet', backbone=dict(type='HourglassAENetWithStem', **tiny_backbone()),
        head=dict(type='SpatialEmbeddingHead', num_keypoints=K, decoder=CODEC),
        test_cfg=dict(flip_test=False)))
    model.init_weights()
    people = [[person(*p) for p in f] for f in FRAMES]
    imgs = torch.stack([torch.as_tensor(render(p)).permute(2, 0, 1).float() for p in people])
    inputs = (imgs / 255 - 0.5) / 0.25
    center, scale = (100., 90.), (256., 256.)  # image px = 2 * input px + (100, 90) - 128
    samples = [make_sample(p, center, scale, img_id=i) for i, p in enumerate(people)]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        model.train()
        first = None
        for _ in range(250):
            losses = model.loss(inputs, samples)
            total = sum(losses.values())
            first = float(total.detach()) if first is None else first
            opt.zero_grad()
            total.backward()
            opt.step()
        assert float(total.detach()) < 0.05 * first
        model.eval()
        with torch.no_grad():
            results = model.predict(inputs, [make_sample([], center, scale) for _ in people])
            with_maps, spatial = model.predict_with_spatial(
                inputs, [make_sample([], center, scale) for _ in people])
            redecoded = model.decode_spatial(spatial,
                                             [make_sample([], center, scale) for _ in people])
            stem = model.backbone.stem(inputs)
    finally:
        torch.set_num_threads(threads)

    to_img = lambda p: 2 * p + np.array([center[0] - 128, center[1] - 128])  # noqa: E731
    hm_px = 2 * STRIDE  # one heatmap pixel in image px
    for res, gt in zip(results, people):
        pi = res.pred_instances
        # the len(gt) best-scored people are the people (checked below); a leftover group of
        # stray joints may remain (its score depends on the CPU's float kernels) but ranks below
        order = np.argsort(-pi.bbox_scores, kind='stable')
        confident = np.zeros(len(pi.bbox_scores), bool)
        confident[order[:len(gt)]] = True
        assert (pi.bbox_scores[confident] > 0.3).all(), (pi.bbox_scores, len(gt))
        assert (pi.bbox_scores[~confident] < pi.bbox_scores[confident].min() - 0.1).all(), \
            (pi.bbox_scores, len(gt))
        gt_img = to_img(np.stack(gt))
        rows, cols, cost = _match(pi.keypoints[confident], gt_img)
        assert len(rows) == len(gt)
        err = np.linalg.norm(pi.keypoints[confident][rows] - gt_img[cols], axis=-1)[:, VIS > 0]
        assert (err <= 2 * hm_px).all(), err.max() / hm_px  # PCK within 2 heatmap px: 100 %
        assert err.mean() < hm_px
        # SIE at every joint points at the person's centre (mean of its labelled joints)
        centre = gt_img[cols][:, VIS > 0].mean(1)
        sie_err = np.linalg.norm(pi.sie[confident][rows][:, VIS > 0] - centre[:, None], axis=-1)
        assert sie_err.mean() < 2 * hm_px

    # the subclass interface: the same people from one pass, the maps of that pass
    for a, b, c in zip(results, with_maps, redecoded):
        for other in (b, c):
            for key in ('keypoints', 'keypoint_scores', 'bboxes', 'ke', 'sie'):
                np.testing.assert_allclose(a.pred_instances[key], other.pred_instances[key],
                                           atol=1e-5)
    assert torch.allclose(spatial['stem'], stem, atol=1e-6)
    assert spatial['heatmaps'].shape == (4, K, 32, 32)
    assert spatial['svf'].shape == (4, 2 * K, 32, 32)
    assert torch.equal(spatial['heatmaps'], model.head.split(spatial['feats'][-1])[0])
