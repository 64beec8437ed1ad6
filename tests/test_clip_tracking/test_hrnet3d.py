"""Tests of the 3D HRNet of the Clip Tracking Network (Wang et al. 2020, Sec. 3.1, Table 8)."""
import copy

import pytest
import torch
import torch.nn as nn
from mmengine.runner import load_checkpoint
from mmpose.models.backbones import HRNet
from mmpose.registry import MODELS

from mmpose_track.models.backbones import HRNet3D, TemporalConv2d, inflate_conv2d_weight

EXTRA = dict(
    stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(1, ),
                num_channels=(8, )),
    stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(1, 1),
                num_channels=(8, 16)),
    stage3=dict(num_modules=1, num_branches=3, block='BASIC', num_blocks=(1, 1, 1),
                num_channels=(8, 16, 32)),
    stage4=dict(num_modules=1, num_branches=4, block='BASIC', num_blocks=(1, 1, 1, 1),
                num_channels=(8, 16, 32, 64), multiscale_output=True))
H, W = 64, 32  # 4 HRNet branches need H, W divisible by 32 (64x48 is not)


def _random_hrnet2d(seed=0):
    """A 2D MMPose HRNet with random non-trivial weights and BN running statistics, eval mode."""
    torch.manual_seed(seed)
    net = HRNet(copy.deepcopy(EXTRA))
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.normal_(0, (2.0 / fan_in) ** 0.5)
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    net.eval()  # (MMPose's HRNet.train returns None)
    return net


def _hrnet3d(stages='early', **kw):
    return HRNet3D(copy.deepcopy(EXTRA), temporal_stages=stages, **kw).eval()


@pytest.fixture(autouse=True, scope='module')
def _float64():
    """Float64 so that 'equal' means equal up to 1e-10, not float32 rounding over 4 stages."""
    old, threads = torch.get_default_dtype(), torch.get_num_threads()
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)  # tiny convs on shared cores: threads only oversubscribe (~8x slower)
    yield
    torch.set_default_dtype(old)
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def net2d(_float64):
    return _random_hrnet2d()


def _assert_outputs_close(a, b, atol=1e-10):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.shape == y.shape and x.dtype == torch.float64
        torch.testing.assert_close(x, y, atol=atol, rtol=1e-10)


@pytest.mark.parametrize('stages', ['early', 'all'])
def test_static_clip_equals_2d(net2d, stages):
    """Mean inflation is exact on a clip whose frames are one image, border frames included."""
    net3d = _hrnet3d(stages)
    net3d.load_state_dict(net2d.state_dict())
    assert any(isinstance(m, TemporalConv2d) for m in net3d.modules())
    torch.manual_seed(1)
    imgs = torch.randn(2, 3, H, W)
    T = 5
    clip = imgs[:, None].expand(2, T, 3, H, W).contiguous()
    with torch.no_grad():
        ref = net2d(imgs)
        out = net3d(clip)
    assert len(out) == 4
    for r, o in zip(ref, out):
        assert o.shape == (2 * T, ) + r.shape[1:]
        o = o.reshape(2, T, *r.shape[1:])
        for t in range(T):
            torch.testing.assert_close(o[:, t], r, atol=1e-10, rtol=1e-10)
    assert ref[0].abs().mean() > 1e-2  # the features are not trivially ~0


def test_static_clip_through_estimator_checkpoint(net2d, tmp_path):
    """A TopdownPoseEstimator-style checkpoint (backbone.* + head.*) via MMEngine's loaders."""
    sd = {'backbone.' + k: v for k, v in net2d.state_dict().items()}
    sd['head.final_layer.weight'] = torch.zeros(17, 8, 1, 1)
    path = tmp_path / 'hrnet2d.pth'
    torch.save({'state_dict': sd, 'meta': {}}, path)
    torch.manual_seed(2)
    img = torch.randn(1, 3, H, W)
    clip = img[:, None].expand(1, 3, 3, H, W).contiguous()
    with torch.no_grad():
        ref = net2d(img)

    a = _hrnet3d('early')
    load_checkpoint(a, str(path), map_location='cpu', strict=True)
    b = _hrnet3d('early')
    b.load_state_dict(sd, strict=True)
    c = HRNet3D(copy.deepcopy(EXTRA), temporal_stages='early',
                init_cfg=dict(type='Pretrained', checkpoint=str(path), prefix='backbone.'))
    c.init_weights()
    c.eval()
    for net in (a, b, c):
        with torch.no_grad():
            out = net(clip)
        for t in range(3):
            _assert_outputs_close([o[t:t + 1] for o in out], ref)
    # the caller's dict is not modified by loading
    assert sd['backbone.layer1.0.conv1.weight'].dim() == 4


def test_resume_5d_checkpoint_unchanged(tmp_path):
    src = _hrnet3d('all')
    with torch.no_grad():
        for m in src.modules():
            if isinstance(m, TemporalConv2d):
                m.weight.normal_()
    path = tmp_path / 'hrnet3d.pth'
    torch.save({'state_dict': src.state_dict()}, path)
    dst = _hrnet3d('all')
    load_checkpoint(dst, str(path), map_location='cpu', strict=True)
    for (k, v), (k2, v2) in zip(src.state_dict().items(), dst.state_dict().items()):
        assert k == k2
        assert torch.equal(v, v2), k


def test_inflate_weight_by_hand(net2d):
    w2 = torch.arange(2 * 3 * 3 * 3, dtype=torch.float32).reshape(2, 3, 3, 3)
    w3 = inflate_conv2d_weight(w2, 3)
    assert w3.shape == (2, 3, 3, 3, 3)
    for t in range(3):
        assert torch.equal(w3[:, :, t], w2 / 3)
    assert float(w3[1, 2, 0, 2, 2]) == pytest.approx(53 / 3)
    with pytest.raises(ValueError, match='4D'):
        inflate_conv2d_weight(w3, 3)

    net3d = _hrnet3d('early', temporal_kernel=5)
    net3d.load_state_dict(net2d.state_dict())
    sd2 = net2d.state_dict()
    for name in ('layer1.0.conv1.weight', 'stage2.0.branches.1.0.conv2.weight'):
        w3 = net3d.state_dict()[name]
        assert w3.shape[2] == 5
        for t in range(5):
            assert torch.equal(w3[:, :, t], sd2[name] / 5)
    # non-inflated layers are untouched
    for name in ('conv1.weight', 'transition1.1.0.0.weight', 'stage3.0.branches.0.0.conv1.weight',
                 'layer1.0.conv2.weight', 'layer1.0.downsample.0.weight'):
        assert torch.equal(net3d.state_dict()[name], sd2[name])


def _kernels(net):
    return {n: tuple(m.kernel_size) for n, m in net.named_modules()
            if isinstance(m, (nn.Conv2d, nn.Conv3d))}


def test_kernel_shapes_per_stage():
    k = _kernels(_hrnet3d('early'))
    # stage 1 bottleneck: 311, 133, 111 (the last two are per-frame 2D convs)
    assert k['layer1.0.conv1'] == (3, 1, 1)
    assert k['layer1.0.conv2'] == (3, 3) and k['layer1.0.conv3'] == (1, 1)
    # stage 2: 333
    assert k['stage2.0.branches.0.0.conv1'] == (3, 3, 3)
    assert k['stage2.0.branches.1.0.conv2'] == (3, 3, 3)
    assert k['stage3.0.branches.0.0.conv1'] == (3, 3)
    assert k['stage4.0.branches.3.0.conv2'] == (3, 3)
    # stem, transitions, fuse layers and downsample stay 2D
    three_d = sorted(n for n, s in k.items() if len(s) == 3)
    assert three_d == ['layer1.0.conv1'] + [
        f'stage2.0.branches.{b}.0.conv{c}' for b in (0, 1) for c in (1, 2)]

    k = _kernels(_hrnet3d('last'))
    assert sorted(n for n, s in k.items() if len(s) == 3) == [
        f'stage4.0.branches.{b}.0.conv{c}' for b in range(4) for c in (1, 2)]
    assert all(s == (3, 3, 3) for s in k.values() if len(s) == 3)

    net = _hrnet3d('none')
    assert not any(isinstance(m, nn.Conv3d) for m in net.modules())
    assert len([s for s in _kernels(_hrnet3d('all')).values() if len(s) == 3]) == 1 + 4 + 6 + 8
    assert len([s for s in _kernels(_hrnet3d((2, 3))).values() if len(s) == 3]) == 4 + 6
    with pytest.raises(ValueError, match='temporal_stages'):
        _hrnet3d('middle')
    # built from the registry as in a config
    built = MODELS.build(dict(type='HRNet3D', extra=copy.deepcopy(EXTRA), temporal_stages='last'))
    assert isinstance(built.stage4[0].branches[0][0].conv1, TemporalConv2d)


def test_temporal_mixing(net2d):
    torch.manual_seed(3)
    T = 3
    clip = torch.randn(1, T, 3, H, W)
    clip2 = clip.clone()
    clip2[:, 0] += torch.randn(3, H, W)

    early = _hrnet3d('early')
    early.load_state_dict(net2d.state_dict())
    none = _hrnet3d('none')
    none.load_state_dict(net2d.state_dict())
    with torch.no_grad():
        e1, e2 = early(clip)[0], early(clip2)[0]
        n1, n2 = none(clip)[0], none(clip2)[0]
        ref = [net2d(clip[:, t])[0] for t in range(T)]
    # early: frame 1 sees frame 0 (3-tap), frame 2 sees it through two temporal layers
    assert (e1[1] - e2[1]).abs().max() > 1e-3
    assert (e1[2] - e2[2]).abs().max() > 1e-3
    # none: per-frame 2D network; only frame 0 changes
    assert (n1[0] - n2[0]).abs().max() > 1e-3
    assert torch.equal(n1[1:], n2[1:])
    for t in range(T):
        torch.testing.assert_close(n1[t:t + 1], ref[t], atol=1e-10, rtol=1e-10)


def test_input_forms(net2d):
    torch.manual_seed(4)
    net = _hrnet3d('early', num_frames=3)
    net.load_state_dict(net2d.state_dict())
    clip = torch.randn(2, 3, 3, H, W)
    with torch.no_grad():
        a = net(clip)
        b = net(clip.reshape(6, 3, H, W))
        # the two clips are processed independently: clip 1 alone gives the same frames
        c = net(clip[1:])
    _assert_outputs_close(a, b, atol=0)
    _assert_outputs_close([o[3:] for o in a], c)

    # T = 1: no neighbours, replicate padding -> the 2D network
    net1 = _hrnet3d('all')
    net1.load_state_dict(net2d.state_dict())
    img = torch.randn(2, 3, H, W)
    with torch.no_grad():
        ref = net2d(img)
        _assert_outputs_close(net1(img[:, None]), ref)
        _assert_outputs_close(net1(img), ref)  # 4D with num_frames=None: 1-frame clips

    with pytest.raises(ValueError, match=r'expected input \(B, 3, 3, H, W\)'):
        net(torch.randn(1, 5, 3, H, W))
    with pytest.raises(ValueError, match='expected input'):
        net(torch.randn(4, 3, H, W))  # 4 frames is not a multiple of num_frames=3
    with pytest.raises(ValueError, match='expected input'):
        net(torch.randn(3, H, W))
    with pytest.raises(ValueError, match='expected input'):
        net(torch.randn(1, 3, 4, H, W))  # 4 channels


def test_gradient_matches_finite_difference(net2d):
    torch.manual_seed(5)
    net = _hrnet3d('early').double()
    net.load_state_dict(net2d.state_dict())
    with torch.no_grad():  # break the temporal symmetry of the inflated weight
        net.layer1[0].conv1.weight.add_(0.05 * torch.randn_like(net.layer1[0].conv1.weight))
    clip = torch.randn(1, 3, 3, H, W, dtype=torch.float64)
    proj = torch.randn(3, 8, H // 4, W // 4, dtype=torch.float64)

    def loss():
        return (net(clip)[0] * proj).sum()

    net.zero_grad()
    loss().backward()
    w = net.layer1[0].conv1.weight  # 3x1x1
    idx = (2, 5, 0, 0, 0)  # a tap on the previous frame
    g = float(w.grad[idx])
    eps = 1e-5
    with torch.no_grad():
        w[idx] += eps
        lp = float(loss())
        w[idx] -= 2 * eps
        lm = float(loss())
        w[idx] += eps
    fd = (lp - lm) / (2 * eps)
    assert abs(g) > 1e-6
    assert g == pytest.approx(fd, rel=1e-5, abs=1e-8)
    g2 = net.stage2[0].branches[1][0].conv2.weight.grad
    assert g2.shape == (16, 16, 3, 3, 3) and float(g2.abs().sum()) > 0
