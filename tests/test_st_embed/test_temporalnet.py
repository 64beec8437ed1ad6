"""TemporalNet (ST-Embed Sec. 3.3): SpatialNet checkpoint loading, frozen SpatialNet, pair
training inputs, and test-time HE / TIE in video order.

Expected values are independent of the code under test: hand-computed boxes, identities and
pixel mappings, SpatialNet's own state dict, zero TVF (TIE = the pixel itself), and one code path
(frames in one batch) against another (one frame per call, through the cache).
"""
import copy

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData, PixelData
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.structures import PoseDataSample

from mmpose_track.structures import PoseTrackDataSample
from mmpose_track.utils import register_all_modules

K, L = 17, 1
C = K + L * K + 2 * K + 6
STRIDE = 4  # 64 x 64 input, 16 x 16 heatmaps
CODEC = dict(type='SpatialEmbedding', input_size=(64, 64), heatmap_size=(16, 16), sie_scale=4.0)
SPATIAL = dict(
    backbone=dict(type='HourglassAENetWithStem', num_stacks=1, downsample_times=2,
                  out_channels=C, stage_channels=(16, 16, 16), feat_channels=16,
                  stem_channels=(8, 16)),
    head=dict(type='SpatialEmbeddingHead', num_keypoints=K, decoder=CODEC),
    test_cfg=dict(flip_test=False),
    data_preprocessor=dict(type='MultiFramePoseDataPreprocessor', mean=[10.0, 20.0, 30.0],
                           std=[2.0, 4.0, 5.0], bgr_to_rgb=True))
TEMPORAL = dict(
    SPATIAL, type='TemporalNet',
    he_head=dict(type='HumanEmbeddingHead', in_channels=16, res5_channels=32, mid_channels=16,
                 roi_output_size=(8, 4)),
    tie_head=dict(type='TemporalEmbeddingHead', num_keypoints=K, stem_channels=16,
                  feat_channels=16, hourglass_depth=2, stage_blocks=(1, 1, 1), num_convs=1))
# image px = input px * 2 + (-14, -24)
META = dict(input_size=(64, 64), input_center=np.array([50.0, 40.0]),
            input_scale=np.array([128.0, 128.0]), img_path='synthetic.jpg',
            flip_indices=list(range(K)))


@pytest.fixture(scope='module', autouse=True)
def registry():
    register_all_modules(init_default_scope=True)


def build(cfg, seed=0):
    torch.manual_seed(seed)
    model = MODELS.build(copy.deepcopy(cfg))
    model.init_weights()
    # the hourglass' N(0, 0.001) init gives near-constant stem features; make them informative
    for m in model.backbone.modules():
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(m.weight)
    return model


# ----------------------------------------------------------------------------- pair samples
def person(x0, y0, x1, y1, rng):
    """K joints (input px) spread over the box [x0, x1] x [y0, y1], corners included."""
    xy = rng.uniform([x0, y0], [x1, y1], size=(K, 2))
    xy[0] = [x0, y0]
    xy[1] = [x1, y1]
    return xy


def pair_samples(seed=0):
    """Two pairs of one video: sample 0 has track ids (0, 1) in both frames, sample 1 (1, 0)."""
    enc = KEYPOINT_CODECS.build(CODEC)
    rng = np.random.RandomState(seed)
    samples = []
    for order in ([0, 1], [1, 0]):
        people = {0: person(8, 12, 24, 44, rng), 1: person(36, 8, 52, 56, rng)}
        frames = []
        for shift in (0.0, 2.0):  # key frame, ref frame (people moved by 2 px)
            kpts = np.stack([people[i] + shift for i in order])
            e = enc.encode(kpts, np.ones((2, K)))
            ds = PoseDataSample(metainfo=dict(META))
            ds.gt_fields = PixelData(heatmaps=torch.as_tensor(e['heatmaps']))
            ds.gt_instances = InstanceData(track_ids=np.array(order))
            ds.gt_instance_labels = InstanceData(
                keypoint_indices=torch.as_tensor(e['keypoint_indices']))
            frames.append((ds, kpts))
        (dk, kk), (dr, kr) = frames
        ids = np.array(order)
        t = enc.encode_temporal(kk, np.ones((2, K)), ids, kr, np.ones((2, K)), ids)
        for ds, v, w in ((dk, 'forward_vectors', 'forward_weights'),
                         (dr, 'backward_vectors', 'backward_weights')):
            ds.gt_instance_labels.temporal_vectors = torch.as_tensor(t[v])
            ds.gt_instance_labels.temporal_weights = torch.as_tensor(t[w])
        s = PoseTrackDataSample()
        s.video_data_samples = [dk, dr]
        s.set_metainfo(dict(key_frames_inds=[0], ref_frames_inds=[1], video_id='v0'))
        samples.append(s)
    gen = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 255, (2, 3, 64, 64), dtype=torch.uint8, generator=gen)
              for _ in samples]
    return dict(inputs=inputs, data_samples=samples)


def test_multi_frame_preprocessor_normalises_every_frame():
    model = build(TEMPORAL)
    data = pair_samples()
    raw = torch.stack(data['inputs']).float()
    out = model.data_preprocessor(copy.deepcopy(data), True)
    x = out['inputs']
    assert x.shape == (2, 2, 3, 64, 64)
    mean = torch.tensor([10.0, 20.0, 30.0]).view(1, 1, 3, 1, 1)
    std = torch.tensor([2.0, 4.0, 5.0]).view(1, 1, 3, 1, 1)
    torch.testing.assert_close(x, (raw[:, :, [2, 1, 0]] - mean) / std)  # BGR -> RGB, normalised
    for s in out['data_samples']:
        assert isinstance(s, PoseTrackDataSample)
        assert [f.metainfo['batch_input_shape'] for f in s.video_data_samples] == [(64, 64)] * 2
    # single frames pass through MMPose's preprocessor unchanged
    single = model.data_preprocessor(dict(inputs=[data['inputs'][0][0]],
                                          data_samples=[PoseDataSample()]), False)['inputs']
    torch.testing.assert_close(single, (raw[:1, 0, [2, 1, 0]] - mean[0]) / std[0])


# ----------------------------------------------------------------------------- checkpoint
def test_spatialnet_state_dict_loads_into_temporalnet():
    spatial = build(dict(SPATIAL, type='SpatialNet'), seed=1)
    temporal = build(TEMPORAL, seed=2)
    sd = spatial.state_dict()
    result = temporal.load_state_dict(sd, strict=False)
    assert result.unexpected_keys == []
    # torch fills a missing BN ``num_batches_tracked`` itself, so it is never reported
    new = {k for k in temporal.state_dict() if k.startswith(('he_head.', 'tie_head.')) and
           not k.endswith('num_batches_tracked')}
    assert new and set(result.missing_keys) == new
    got = temporal.state_dict()
    for k, v in sd.items():
        torch.testing.assert_close(got[k], v, msg=k)


def test_spatialnet_checkpoint_through_load_checkpoint(tmp_path):
    from mmengine.runner.checkpoint import load_checkpoint
    spatial = build(dict(SPATIAL, type='SpatialNet'), seed=3)
    path = tmp_path / 'spatialnet.pth'
    torch.save(dict(state_dict=spatial.state_dict(), meta=dict()), path)
    temporal = build(TEMPORAL, seed=4)
    load_checkpoint(temporal, str(path), map_location='cpu')
    for (k, v), (k2, v2) in zip(spatial.backbone.state_dict().items(),
                                temporal.backbone.state_dict().items()):
        assert k == k2
        torch.testing.assert_close(v2, v, msg=k)


# ----------------------------------------------------------------------------- training
def test_training_step_updates_only_the_temporal_branches():
    model = build(TEMPORAL)
    model.train()
    assert not model.backbone.training and model.he_head.training and model.tie_head.training
    assert not any(p.requires_grad for p in model.backbone.parameters())
    before = copy.deepcopy(model.state_dict())
    optim = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    data = model.data_preprocessor(pair_samples(), True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_he', 'loss_tvf_forward', 'loss_tvf_backward',
                           'loss_tie_pgg_pull', 'loss_tie_pgg_push'}
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    assert all(p.grad is None for p in model.backbone.parameters())
    optim.step()
    after = model.state_dict()
    for k, v in before.items():
        if k.startswith(('backbone.', 'head.')):  # weights and BN statistics untouched
            assert torch.equal(after[k], v), k
    changed = [k for k in before if k.startswith(('he_head.', 'tie_head.')) and
               before[k].is_floating_point() and not torch.equal(after[k], before[k])]
    assert any(k.startswith('he_head.') for k in changed)
    assert any(k.startswith('tie_head.') for k in changed)


def test_he_identities_and_boxes_of_a_pair_batch():
    """Identities = (video, track id) over the whole batch; boxes = the visible joints' pixel
    box (heatmap px), scaled by 1.25 about its centre."""
    model = build(TEMPORAL)
    seen = {}
    orig_forward, orig_loss = model.he_head.forward, model.he_head.loss

    def spy_forward(feats, rois):
        seen['rois'] = rois.clone()
        return orig_forward(feats, rois)

    def spy_loss(emb, ids):
        seen['ids'] = ids.tolist()
        return orig_loss(emb, ids)

    model.he_head.forward, model.he_head.loss = spy_forward, spy_loss
    data = pair_samples()
    model(**model.data_preprocessor(data, True), mode='loss')
    # frames in batch order: (s0 key, s0 ref, s1 key, s1 ref), people in each frame's order
    assert seen['ids'] == [0, 1, 0, 1, 1, 0, 1, 0]
    rois = seen['rois']
    assert rois[:, 0].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    # frame 0, person 0: corners (8, 12) and (24, 44) input px -> pixels (2, 3), (6, 11)
    # centre (4, 7), size (4, 8) x 1.25 = (5, 10)
    torch.testing.assert_close(rois[0, 1:], torch.tensor([1.5, 2.0, 6.5, 12.0]))


# ----------------------------------------------------------------------------- predict
def fake_people(kpts_by_frame):
    """Replace SpatialNet's decoding by fixed people (input px) keyed by ``frame_idx``."""
    from mmpose_track.models.heads.spatial_embedding_head import bboxes_from_keypoints

    def predict(feats, data_samples, test_cfg=None):
        out = []
        for ds in data_samples:
            kpts = np.asarray(kpts_by_frame[ds.metainfo['frame_idx']], np.float32).reshape(-1, K, 2)
            scores = np.ones(kpts.shape[:2], np.float32)
            out.append(InstanceData(
                keypoints=kpts, keypoint_scores=scores,
                bboxes=bboxes_from_keypoints(kpts, scores, 0.1),
                bbox_scores=np.ones(len(kpts), np.float32),
                ke=np.zeros((len(kpts), K, 1), np.float32),
                sie=np.repeat(kpts.mean(1, keepdims=True), K, 1)))  # centre at every joint
        return out

    return predict


def frame_sample(video, idx):
    return PoseDataSample(metainfo=dict(META, video_id=video, frame_idx=idx))


def to_image(p):
    return p * 2.0 + np.array([-14.0, -24.0])


def test_predict_tie_with_zero_motion_field_is_the_joint_pixel():
    """With TVF = 0 the TIE map is the pixel position, so forward TIE at a joint is its heatmap
    pixel and backward TIE the previous frame's joint pixels, in that frame's order, mapped to
    the image; the first frame's TIE is the people's SIE."""
    rng = np.random.RandomState(0)
    prev = np.stack([person(6, 10, 26, 40, rng), person(34, 6, 58, 58, rng)])
    cur = np.stack([prev[1] + 1.3, prev[0] - 2.2, person(10, 10, 20, 20, rng)])
    model = build(dict(TEMPORAL, test_cfg=dict(flip_test=False, tie_pgg=False)))
    model.eval()
    torch.nn.init.zeros_(model.tie_head.final.weight)
    torch.nn.init.zeros_(model.tie_head.final.bias)
    model.head.predict = fake_people({0: prev, 1: cur})
    imgs = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        r0, r1 = model.predict(imgs, [frame_sample('a', 0), frame_sample('a', 1)])
    pix = lambda k: np.floor(k / STRIDE + 0.5) * STRIDE  # noqa: E731
    # first frame: TIE = SIE = the person's centre at every joint, image px
    assert 'pred_pairwise' not in r0
    expect0 = to_image(np.repeat(prev.mean(1, keepdims=True), K, 1))
    np.testing.assert_allclose(r0.pred_instances.tie.numpy(), expect0, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(r1.pred_instances.tie.numpy(), to_image(pix(cur)), atol=1e-4)
    np.testing.assert_allclose(r1.pred_pairwise['tie_backward'].numpy(), to_image(pix(prev)),
                               atol=1e-4)
    np.testing.assert_allclose(r1.pred_instances.keypoints, to_image(cur), rtol=1e-5)
    assert r1.pred_instances.embeddings.shape == (3, 16 + 32)


def test_predict_in_one_batch_equals_frame_by_frame_and_videos_reset():
    rng = np.random.RandomState(1)
    people = {0: np.stack([person(6, 10, 26, 40, rng), person(34, 6, 58, 58, rng)]),
              1: np.stack([person(30, 8, 56, 60, rng), person(8, 8, 28, 44, rng)]),
              2: np.zeros((0, K, 2)), 3: np.zeros((0, K, 2))}
    model = build(TEMPORAL, seed=5)
    torch.nn.init.normal_(model.tie_head.final.weight, std=0.5)  # a non-trivial motion field
    model.eval()
    model.head.predict = fake_people(people)
    imgs = torch.randn(3, 3, 64, 64)
    with torch.no_grad():
        batch = model.predict(imgs[:2], [frame_sample('a', 0), frame_sample('a', 1)])
        model.reset_cache()
        single = [model.predict(imgs[i:i + 1], [frame_sample('a', i)])[0] for i in range(2)]
        # a frame of another video starts from scratch; then a frame with nobody
        other = model.predict(imgs[2:3], [frame_sample('b', 2)])[0]
        nobody = model.predict(imgs[2:3], [frame_sample('b', 3)])[0]
    for x, y in zip(batch, single):
        torch.testing.assert_close(x.pred_instances.embeddings, y.pred_instances.embeddings)
        torch.testing.assert_close(x.pred_instances.tie, y.pred_instances.tie)
    torch.testing.assert_close(batch[1].pred_pairwise['tie_backward'],
                               single[1].pred_pairwise['tie_backward'])
    assert not torch.allclose(batch[1].pred_instances.tie,
                              torch.as_tensor(to_image(np.repeat(people[1].mean(1, keepdims=True),
                                                                 K, 1)), dtype=torch.float32))
    assert 'pred_pairwise' not in other  # new video: zero motion, no backward TIE
    assert nobody.pred_instances.embeddings.shape == (0, 48)
    assert nobody.pred_instances.tie.shape == (0, K, 2)
    assert nobody.pred_pairwise['tie_backward'].shape == (0, K, 2)  # frame 2 had nobody too


def test_predict_embeddings_follow_the_people_order():
    rng = np.random.RandomState(2)
    a, b = person(6, 10, 26, 40, rng), person(34, 6, 58, 58, rng)
    model = build(TEMPORAL, seed=6)
    model.eval()
    model.head.predict = fake_people({0: np.stack([a, b]), 1: np.stack([b, a])})
    img = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        e0 = model.predict(img, [frame_sample('x', 0)])[0].pred_instances.embeddings
        model.reset_cache()
        e1 = model.predict(img, [frame_sample('x', 1)])[0].pred_instances.embeddings
    torch.testing.assert_close(e1, e0[[1, 0]])
    assert (e0[0] - e0[1]).abs().max() > 1e-4


# ----------------------------------------------------------------------------- tracking
def test_two_crossing_people_keep_their_ids_where_oks_switches():
    """A red and a blue person (44 px tall) cross at 12 px per frame on rows 4 px apart: at the
    crossing a person's previous pose lies 12 px away and the other person's 4 px away, so OKS
    matching swaps them; HE (+ TIE) from a tiny TemporalNet on SpatialNet's frozen stem keeps
    them apart after 40 training steps on the video's pairs (untrained, its zero-motion TIE
    swaps them too). People come from the ground truth (SpatialNet's decoding is replaced), so
    this checks TemporalNet's outputs and their hand-over to ``EmbeddingTracker``."""
    from mmpose_track.tracking import build_tracker
    rng = np.random.RandomState(0)
    shape = rng.uniform([-10, -22], [10, 22], (K, 2))
    shape[0], shape[1] = [-10, -22], [10, 22]
    num_frames = 4

    def poses(f):  # person 0 moves right on row 30, person 1 left on row 34
        return np.stack([shape + [14 + 12 * f, 30], shape + [50 - 12 * f, 34]])

    def render(f):
        img = np.full((64, 64, 3), 128, np.uint8)
        for kpts, colour in zip(poses(f), [(255, 0, 0), (0, 0, 255)]):
            x0, y0 = np.floor(kpts.min(0)).astype(int).clip(0)
            x1, y1 = np.ceil(kpts.max(0)).astype(int)
            img[y0:y1, x0:x1] = colour
        return torch.as_tensor(img).permute(2, 0, 1).contiguous()

    enc = KEYPOINT_CODECS.build(CODEC)
    ids, vis = np.array([0, 1]), np.ones((2, K))

    def pair(t, r):  # key frame t, reference frame r, as the pair pipeline packs them
        frames = []
        for f in (t, r):
            e = enc.encode(poses(f), vis)
            ds = PoseDataSample(metainfo=dict(META))
            ds.gt_fields = PixelData(heatmaps=torch.as_tensor(e['heatmaps']))
            ds.gt_instances = InstanceData(track_ids=ids)
            ds.gt_instance_labels = InstanceData(
                keypoint_indices=torch.as_tensor(e['keypoint_indices']))
            frames.append(ds)
        tv = enc.encode_temporal(poses(t), vis, ids, poses(r), vis, ids)
        for ds, d in zip(frames, ('forward', 'backward')):
            ds.gt_instance_labels.temporal_vectors = torch.as_tensor(tv[f'{d}_vectors'])
            ds.gt_instance_labels.temporal_weights = torch.as_tensor(tv[f'{d}_weights'])
        s = PoseTrackDataSample()
        s.video_data_samples = frames
        s.set_metainfo(dict(key_frames_inds=[0], ref_frames_inds=[1], video_id='v'))
        return torch.stack([render(t), render(r)]), s

    # a short training of the HE and TIE branches on the video's pairs (SpatialNet frozen)
    model = build(TEMPORAL)
    model.train()
    optim = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    pairs = [(t, t - 1) for t in range(1, num_frames)] + [(t - 1, t) for t in range(1, num_frames)]
    for _ in range(40):
        inputs, samples = zip(*[pair(*pairs[i]) for i in rng.choice(len(pairs), 2, False)])
        data = model.data_preprocessor(dict(inputs=list(inputs), data_samples=list(samples)),
                                       True)
        loss = sum(model(**data, mode='loss').values())
        optim.zero_grad()
        loss.backward()
        optim.step()
    model.eval()
    model.head.predict = fake_people({f: poses(f) for f in range(num_frames)})

    def track(tracker_cfg, with_features):
        tracker = build_tracker(tracker_cfg)
        model.reset_cache()
        ids = []
        for f in range(num_frames):
            data = model.data_preprocessor(
                dict(inputs=[render(f)], data_samples=[frame_sample('v', f)]), False)
            with torch.no_grad():
                res = model.predict(data['inputs'], data['data_samples'])[0]
            pred = res.pred_instances
            kpts = np.concatenate([pred.keypoints, pred.keypoint_scores[..., None]], -1)
            feats = {}
            if with_features:
                feats = dict(embeddings=pred.embeddings, tie=pred.tie, sie=pred.sie,
                             **res.get('pred_pairwise', {}))
            ids.append([int(i) for i in tracker.update(kpts, pred.bboxes, f, **feats)])
        return np.array(ids)  # (frames, people)

    oks = track(dict(type='PoseTracker', similarity=dict(type='OKSSimilarity'),
                     assigner=dict(type='HungarianAssigner', match_thr=0.3),
                     memory=dict(type='TrackMemory', num_frames_retain=5)), False)
    # OKS: frame 1 -> 2 (the crossing) assigns person 0 the id person 1 had, and vice versa
    assert oks[2, 0] == oks[1, 1] and oks[2, 1] == oks[1, 0]
    emb = track(dict(type='EmbeddingTracker'), True)
    assert (emb == emb[0]).all() and emb[0, 0] != emb[0, 1]
