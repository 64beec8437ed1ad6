"""TKMRNet estimator (Zhou et al. 2020, Sec. 3.1-3.3) on a tiny random-weight model.

ResNet-18 layout with 8 base channels and three stages (stride 16), input 48x64 (w x h),
two deconvolutions -> 12x16 heatmaps (stride 4), K = 5 joints.
"""
import numpy as np
import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.structures import InstanceData
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample

import mmpose_track.models  # noqa: F401  (registers TKMRNet and the heads)
from mmpose_track.structures.pose_track_data_sample import PoseTrackDataSample
from mmpose_track.utils import register_all_modules

register_all_modules(init_default_scope=True)

K, W_IN, H_IN, W_HM, H_HM = 5, 48, 64, 12, 16
BACKBONE = dict(type='ResNet', depth=18, base_channels=8, stem_channels=8, num_stages=3,
                strides=(1, 2, 2), dilations=(1, 1, 1), out_indices=(2, ))
HEAD = dict(type='HeatmapHead', in_channels=32, out_channels=K, deconv_out_channels=(16, 16),
            deconv_kernel_sizes=(4, 4), loss=dict(type='KeypointMSELoss', use_target_weight=True),
            decoder=dict(type='MSRAHeatmap', input_size=(W_IN, H_IN), heatmap_size=(W_HM, H_HM),
                         sigma=2))
PRE = dict(type='MultiFramePoseDataPreprocessor', mean=[0., 0., 0.], std=[1., 1., 1.])


def _tkmrnet(seed=0, **kw):
    torch.manual_seed(seed)
    cfg = dict(type='TKMRNet', backbone=BACKBONE, head=HEAD, data_preprocessor=PRE,
               test_cfg=dict(flip_test=False),
               matching_head=dict(type='KeypointMatchingHead', in_channels=32, num_keypoints=K,
                                  feat_channels=16, num_blocks=2, num_convs=1, num_deconvs=2,
                                  hidden_channels=16),
               refine_head=dict(type='KeypointRefinementHead', in_channels=32, num_keypoints=K,
                                deconv_out_channels=(16, 16), deconv_kernel_sizes=(4, 4), tau=2,
                                num_candidates=4),
               seed=0)
    cfg.update(kw)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def _stage1(seed=1):
    torch.manual_seed(seed)
    m = MODELS.build(dict(type='TopdownPoseEstimator', backbone=BACKBONE, head=HEAD,
                          data_preprocessor=dict(type='PoseDataPreprocessor', mean=[0., 0., 0.],
                                                 std=[1., 1., 1.])))
    m.init_weights()
    with torch.no_grad():  # non-trivial BN statistics and head weights
        for name, buf in m.named_buffers():
            if name.endswith('running_var'):
                buf.uniform_(0.5, 1.5)
            elif name.endswith('running_mean'):
                buf.normal_(0, 0.05)
        for p in m.head.parameters():
            p.normal_(0, 0.1)
    return m


def _frame_sample(video, frame, gt_xy_in, vis, track):
    ds = PoseDataSample()
    ds.set_metainfo(dict(video_id=video, frame_idx=frame, input_size=(W_IN, H_IN),
                         input_center=np.array([W_IN / 2, H_IN / 2], np.float32),
                         input_scale=np.array([W_IN, H_IN], np.float32)))
    gi = InstanceData()
    gi.keypoints = gt_xy_in[None].astype(np.float32)
    gi.transformed_keypoints = gt_xy_in[None].astype(np.float32)
    gi.keypoints_visible = vis[None].astype(np.float32)
    gi.track_ids = np.array([track])
    gi.bboxes = np.array([[0, 0, W_IN, H_IN]], np.float32)
    gi.bbox_scores = np.ones(1, np.float32)
    ds.gt_instances = gi
    return ds


def _clip_batch(specs, T=3, visible=True, seed=0):
    """specs: list of (video, track, key frame). Clips of T frames, key frame in the middle."""
    rng = np.random.default_rng(seed)
    inputs, samples = [], []
    for video, track, key in specs:
        frames = [key + o for o in range(-(T // 2), T - T // 2)]
        s = PoseTrackDataSample()
        fs = []
        for f in frames:
            gt = rng.uniform([4, 4], [W_IN - 4, H_IN - 4], size=(K, 2))
            vis = np.ones(K) if visible else np.zeros(K)
            fs.append(_frame_sample(video, f, gt, vis, track))
        s.video_data_samples = fs
        s.set_metainfo(dict(video_id=video, track_id=track, key_frames_inds=[T // 2],
                            clip_frame_idx=frames, frame_idx=key))
        samples.append(s)
        inputs.append(torch.as_tensor(rng.uniform(0, 1, (T, 3, H_IN, W_IN)), dtype=torch.float32))
    return dict(inputs=inputs, data_samples=samples)


def _snapshot(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


# ------------------------------------------------------------------------------------------
def test_stage1_checkpoint_loads_with_only_new_keys_missing():
    stage1 = _stage1()
    model = _tkmrnet(seed=5)
    sd = stage1.state_dict()
    res = model.load_state_dict(sd, strict=False)
    # refine_head is filled from head (same layer names/shapes): only matching keys missing
    # (torch fills a missing BN ``num_batches_tracked`` silently)
    assert set(res.missing_keys) == {'matching_head.' + k
                                     for k in model.matching_head.state_dict()
                                     if not k.endswith('num_batches_tracked')}
    assert res.unexpected_keys == []
    own = model.state_dict()
    for k, v in sd.items():
        assert torch.equal(own[k], v), k
    for k, v in stage1.head.state_dict().items():  # refinement initialised from the head
        assert torch.equal(model.refine_head.state_dict()[k], v), k


def test_train_step_changes_only_matching_and_refinement():
    model = _tkmrnet()
    model.load_state_dict(_stage1().state_dict(), strict=False)
    model.train()
    assert not model.backbone.training and not model.head.training
    assert all(not p.requires_grad for p in model.backbone.parameters())
    data = _clip_batch([('v1', 1, 10), ('v1', 2, 11), ('v2', 3, 4)])
    before = _snapshot(model)
    opt = OptimWrapper(torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                                       lr=0.5))
    losses = model.train_step(data, opt)
    assert set(losses) >= {'loss_match', 'loss_refine'}
    after = model.state_dict()
    for k, v in before.items():
        if k.startswith(('backbone.', 'head.')):
            assert torch.equal(after[k], v), f'frozen {k} changed'
    for k in ('matching_head.fc1.weight', 'matching_head.fc3.bias',
              'refine_head.final_layer.weight', 'refine_head.deconv_layers.0.weight'):
        assert not torch.equal(after[k], before[k]), f'{k} did not learn'


def test_no_visible_keypoint_gives_exact_zero_losses_and_no_update():
    model = _tkmrnet()
    model.train()
    # one person per video only, no visible joint: no pair, no refinement weight
    data = _clip_batch([('v1', 1, 0), ('v2', 2, 5)], visible=False)
    params = {k: p.detach().clone() for k, p in model.named_parameters()}
    opt = OptimWrapper(torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                                       lr=0.5))
    losses = model.train_step(data, opt)
    assert float(losses['loss_match'].detach()) == 0.0
    assert float(losses['loss_refine'].detach()) == 0.0
    for k, p in model.named_parameters():
        assert torch.equal(p, params[k]), k


def _g_hand(head, fa, fb):
    """G_k by hand: per joint, 256-256-2 MLP on the concatenation, softmax, class 1."""
    out = np.zeros(fa.shape[0])
    for k in range(fa.shape[0]):
        x = np.concatenate([fa[k], fb[k]])
        h = np.maximum(x @ head.fc1.weight[k].detach().numpy() + head.fc1.bias[k].detach().numpy(), 0)
        h = np.maximum(h @ head.fc2.weight[k].detach().numpy() + head.fc2.bias[k].detach().numpy(), 0)
        z = h @ head.fc3.weight[k].detach().numpy() + head.fc3.bias[k].detach().numpy()
        out[k] = np.exp(z[1]) / np.exp(z).sum()
    return out


@pytest.mark.parametrize('batch', [1, 3])
def test_predict_keypoint_features_at_decoded_keypoints(batch):
    model = _tkmrnet()
    model.load_state_dict(_stage1().state_dict(), strict=False)
    model.eval()
    rng = np.random.default_rng(3)
    imgs = [torch.as_tensor(rng.uniform(0, 1, (3, H_IN, W_IN)), dtype=torch.float32)
            for _ in range(batch)]
    samples = [_frame_sample('v', i, np.zeros((K, 2)), np.ones(K), 0) for i in range(batch)]
    with torch.no_grad():
        res = model.test_step(dict(inputs=imgs, data_samples=samples))
        # independent recomputation: heatmap arg-max per joint, F at that pixel
        x = torch.stack(imgs)
        feats = model.backbone(x)
        hm = model.head(feats)  # (B, K, 16, 12)
        F = model.matching_head(feats)
    assert hm.shape[-2:] == (H_HM, W_HM) and F.shape[-2:] == (H_HM, W_HM)
    n_valid = n_invalid = 0
    for b, ds in enumerate(res):
        kf = ds.pred_instances.keypoint_features
        assert isinstance(kf, torch.Tensor) and kf.device == next(model.parameters()).device
        assert kf.shape == (1, K, 16)
        for k in range(K):
            idx = int(hm[b, k].flatten().argmax())
            y, xx = divmod(idx, W_HM)
            kp = ds.pred_instances.keypoints[0, k]
            if float(hm[b, k].max()) <= 0:  # MMPose decodes no keypoint: (-1, -1) * stride
                n_invalid += 1
                assert torch.equal(kf[0, k], torch.zeros(16)), (b, k)
                continue
            n_valid += 1
            assert torch.allclose(kf[0, k], F[b, :, y, xx], atol=1e-6), (b, k)
            # MMPose's keypoints are still image px of that pixel (+- quarter offset)
            assert abs(kp[0] - xx * W_IN / W_HM) <= 0.25 * W_IN / W_HM + 1e-4
            assert abs(kp[1] - y * H_IN / H_HM) <= 0.25 * H_IN / H_HM + 1e-4
        pw = ds.pred_pairwise
        assert pw['keypoint_similarity'].__self__ is model.matching_head
        assert pw['keypoint_pair_similarity'].__self__ is model.matching_head
    assert n_valid > 0 and n_invalid > 0  # both cases occur with these weights
    # Eq. 5 terms on a frame with one person vs. the previous frame's people, by hand
    f0 = res[0].pred_instances.keypoint_features
    f_all = torch.cat([ds.pred_instances.keypoint_features for ds in res])
    sim = res[0].pred_pairwise['keypoint_similarity'](f0, f_all)  # (1, B, K)
    assert sim.shape == (1, batch, K)
    for j in range(batch):
        expect = _g_hand(model.matching_head, f0[0].numpy(), f_all[j].numpy())
        np.testing.assert_allclose(sim[0, j].numpy(), expect, rtol=1e-5, atol=1e-6)
    pair = res[0].pred_pairwise['keypoint_pair_similarity'](f0, f_all[-1:])
    np.testing.assert_allclose(pair[0].numpy(), sim[0, -1].numpy(), rtol=1e-6, atol=1e-7)
