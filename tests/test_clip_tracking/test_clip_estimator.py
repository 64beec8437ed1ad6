"""Tests of ClipTopdownPoseEstimator (Clip Tracking Network, Wang et al. 2020, Sec. 3.1, 4.2)."""
import copy

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.runner import load_checkpoint
from mmengine.structures import InstanceData, PixelData
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample

from mmpose_track.models.backbones import TemporalConv2d
from mmpose_track.models.pose_estimators import ClipTopdownPoseEstimator
from mmpose_track.structures import PoseTrackDataSample

from .test_hrnet3d import EXTRA as EXTRA_3D

K = 17
H, W = 128, 96
CODEC = dict(type='MSRAHeatmap', input_size=(W, H), heatmap_size=(W // 4, H // 4), sigma=2)
# the tiny HRNet of the backbone tests, with one output branch for the heatmap head
EXTRA = dict(EXTRA_3D, stage4={k: v for k, v in EXTRA_3D['stage4'].items()
                               if k != 'multiscale_output'})
# COCO / PoseTrack flip pairs
FLIP = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]


def _model_cfg(clip: bool, flip_test: bool = True):
    backbone = dict(type='HRNet', extra=copy.deepcopy(EXTRA))
    if clip:
        backbone.update(type='HRNet3D', temporal_stages='early')
    return dict(
        type='ClipTopdownPoseEstimator' if clip else 'TopdownPoseEstimator',
        backbone=backbone,
        head=dict(type='HeatmapHead', in_channels=8, out_channels=K, deconv_out_channels=None,
                  loss=dict(type='KeypointMSELoss', use_target_weight=True), decoder=CODEC),
        test_cfg=dict(flip_test=flip_test, flip_mode='heatmap', shift_heatmap=True,
                      output_heatmaps=True))


@pytest.fixture(autouse=True, scope='module')
def _float64():
    old, threads = torch.get_default_dtype(), torch.get_num_threads()
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    yield
    torch.set_default_dtype(old)
    torch.set_num_threads(threads)


def _random_2d_model(seed=0):
    """A 2D TopdownPoseEstimator with random non-trivial weights and BN statistics, eval mode."""
    torch.manual_seed(seed)
    model = MODELS.build(_model_cfg(clip=False))
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.normal_(0, (2.0 / m.weight[0].numel()) ** 0.5)
                if m.bias is not None:
                    m.bias.normal_(0, 0.1)
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    return model.eval()


def _frame_sample(center, scale):
    s = PoseDataSample()
    s.set_metainfo(dict(input_center=np.array(center, np.float32),
                        input_scale=np.array(scale, np.float32),
                        input_size=np.array([W, H]), flip_indices=FLIP, img_id=1))
    s.gt_instances = InstanceData(bboxes=np.array([[0., 0., 10., 10.]], np.float32),
                                  bbox_scores=np.ones(1, np.float32))
    return s


def _clip_sample(frames):
    s = PoseTrackDataSample()
    s.video_data_samples = frames
    s.set_metainfo(dict(key_frames_inds=[len(frames) // 2], img_id=1, track_id=3))
    return s


@pytest.fixture(scope='module')
def loaded(tmp_path_factory, _float64):
    """The 2D model and a clip model loaded from its checkpoint with MMEngine's load_checkpoint."""
    m2d = _random_2d_model()
    path = str(tmp_path_factory.mktemp('ckpt') / 'td2d.pth')
    torch.save({'state_dict': m2d.state_dict(), 'meta': {}}, path)
    clip = MODELS.build(_model_cfg(clip=True))
    assert isinstance(clip, ClipTopdownPoseEstimator)
    load_checkpoint(clip, path, map_location='cpu', strict=True)
    return m2d, clip.eval()


def test_static_clip_equals_2d_prediction(loaded):
    """A clip of T identical crops: every frame's heatmaps and keypoints are the 2D model's on
    that crop, each mapped with its own frame's input_center / input_scale (flip test on)."""
    m2d, clip = loaded
    assert clip.backbone.layer1[0].conv1.weight.shape[2] == 3  # really inflated
    assert isinstance(clip.backbone.layer1[0].conv1, TemporalConv2d)
    torch.manual_seed(1)
    B, T = 2, 3
    crops = torch.randn(B, 3, H, W)
    inputs = crops[:, None].expand(B, T, 3, H, W).contiguous()
    # a different crop box per frame (as a tube's frames may have after augmentation)
    boxes = {(b, t): ([100. + 10 * b + 3 * t, 200. - 7 * t], [150. + 5 * t, 200. + 20 * b])
             for b in range(B) for t in range(T)}
    samples = [_clip_sample([_frame_sample(*boxes[b, t]) for t in range(T)]) for b in range(B)]
    with torch.no_grad():
        out = clip.predict(inputs, samples)
        refs = {(b, t): m2d.predict(crops[b:b + 1], [_frame_sample(*boxes[b, t])])[0]
                for b in range(B) for t in range(T)}
    assert out == samples and len(out) == B
    for b in range(B):
        for t in range(T):
            got, ref = out[b].video_data_samples[t], refs[b, t]
            torch.testing.assert_close(got.pred_fields.heatmaps, ref.pred_fields.heatmaps,
                                       atol=1e-10, rtol=1e-10)
            np.testing.assert_allclose(got.pred_instances.keypoints, ref.pred_instances.keypoints,
                                       atol=1e-6)
            np.testing.assert_allclose(got.pred_instances.keypoint_scores,
                                       ref.pred_instances.keypoint_scores, atol=1e-8)
            assert got.pred_instances.keypoints.shape == (1, K, 2)
    # the heatmaps are not trivially flat, and frames with other boxes map to other coordinates
    assert float(refs[0, 0].pred_fields.heatmaps.std()) > 1e-3
    k00 = out[0].video_data_samples[0].pred_instances.keypoints
    k02 = out[0].video_data_samples[2].pred_instances.keypoints
    assert np.abs(k00 - k02).max() > 1.0

    # single frames (T = 1, ordinary PoseDataSample): MMPose's behaviour, the 2D prediction
    with torch.no_grad():
        single = clip.predict(crops[:1], [_frame_sample(*boxes[0, 1])])
    np.testing.assert_allclose(single[0].pred_instances.keypoints,
                               refs[0, 1].pred_instances.keypoints, atol=1e-6)


def test_flip_test_averages_clip_and_flipped_clip(loaded):
    """Flip test = mean of the clip's heatmaps and the flipped clip's (flipped back, channels
    swapped, shifted one pixel as MMPose's shift_heatmap), computed by hand from tensor mode."""
    _, clip = loaded
    torch.manual_seed(2)
    inputs = torch.randn(1, 3, 3, H, W)
    samples = [_clip_sample([_frame_sample([50., 60.], [80., 100.]) for _ in range(3)])]
    with torch.no_grad():
        out = clip.predict(inputs, samples)
        hm = clip._forward(inputs)  # (T, K, h, w)
        hf = clip._forward(inputs.flip(-1)).flip(-1)[:, FLIP]
    hf[..., 1:] = hf[..., :-1].clone()  # shift_heatmap
    ref = (hm + hf) / 2
    for t in range(3):
        torch.testing.assert_close(out[0].video_data_samples[t].pred_fields.heatmaps, ref[t],
                                   atol=1e-12, rtol=1e-12)
    assert (hm - hf).abs().max() > 1e-3  # the flipped clip really differs


def _loss_batch(seed=3):
    """B=2 clips of T=3 frames, random targets, weights in {0, 0.5, 1}; clip 1 frame 0: absent."""
    rng = np.random.default_rng(seed)
    B, T, h, w = 2, 3, H // 4, W // 4
    targets = rng.random((B, T, K, h, w))
    weights = rng.choice([0., 0.5, 1.], size=(B, T, K))
    weights[1, 0] = 0.  # the keyframe person is absent from frame 0 of clip 1
    samples = []
    for b in range(B):
        frames = []
        for t in range(T):
            f = _frame_sample([50., 60.], [80., 100.])
            f.gt_fields = PixelData(heatmaps=torch.from_numpy(targets[b, t].copy()))
            f.gt_instance_labels = InstanceData(
                keypoint_weights=torch.from_numpy(weights[b, t][None].copy()))
            frames.append(f)
        samples.append(_clip_sample(frames))
    return targets, weights, samples


def test_loss_by_hand(loaded):
    """loss_kpt = mean over clips, frames, joints and pixels of w (pred - gt)^2 (Sec. 3.1, Eq. 1
    over all frames), by a numpy loop; a zero-weight frame contributes nothing."""
    _, clip = loaded
    torch.manual_seed(4)
    inputs = torch.randn(2, 3, 3, H, W)
    targets, weights, samples = _loss_batch()
    with torch.no_grad():
        loss = float(clip.loss(inputs, samples)['loss_kpt'])
        pred = clip._forward(inputs).numpy().reshape(targets.shape)
    total, n = 0., 0
    for b in range(2):
        for t in range(3):
            for k in range(K):
                total += weights[b, t, k] * ((pred[b, t, k] - targets[b, t, k]) ** 2).sum()
                n += pred[b, t, k].size
    assert loss == pytest.approx(total / n, rel=1e-10)
    # per-frame mean would differ (a 2D loss on the keyframes only would too)
    key_only = np.mean([weights[b, 1, k] * ((pred[b, 1, k] - targets[b, 1, k]) ** 2).mean()
                        for b in range(2) for k in range(K)])
    assert abs(key_only - loss) > 1e-6

    # the absent frame's target is irrelevant: change it, the loss does not move
    samples[1].video_data_samples[0].gt_fields.heatmaps += 5.0
    with torch.no_grad():
        loss2 = float(clip.loss(inputs, samples)['loss_kpt'])
    assert loss2 == pytest.approx(loss, rel=1e-12)
    # ... while the same change in a weighted frame does
    samples[1].video_data_samples[1].gt_fields.heatmaps += 5.0
    with torch.no_grad():
        assert abs(float(clip.loss(inputs, samples)['loss_kpt']) - loss) > 1e-3


def test_bad_input_messages(loaded):
    _, clip = loaded
    inputs = torch.zeros(2, 3, 3, H, W)
    _, _, samples = _loss_batch()
    with pytest.raises(ValueError, match='2 input clips but 1 data samples'):
        clip.loss(inputs, samples[:1])
    samples[0].video_data_samples = samples[0].video_data_samples[:2]
    with pytest.raises(ValueError, match=r'clip sample 0 .*2 frame samples, expected 3'):
        clip.predict(inputs, samples)
    _, _, samples = _loss_batch()
    del samples[1].video_data_samples[2].gt_fields
    with pytest.raises(ValueError, match='frame 2 of clip 1 .*GenerateTarget inside ApplyToFrames'):
        clip.loss(inputs, samples)
    with pytest.raises(ValueError, match=r'expected inputs \(B, T, C, H, W\)'):
        clip.loss(torch.zeros(3, H, W), samples)
