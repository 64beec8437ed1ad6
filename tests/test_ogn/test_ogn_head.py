"""OGNHead: shapes (stride 16 / 8), losses, predict with flip test, training lowers the loss."""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData, PixelData
from mmpose.structures import PoseDataSample

from mmpose_track.codecs import OffsetHeatmap
from mmpose_track.models.heads import OGNHead

K = 5


def _head(ndeconv=1, use_offset=True, loss=None):
    stride = 32 // 2**ndeconv
    codec = dict(type='OffsetHeatmap', input_size=(96, 128), heatmap_size=(96 // stride,
                 128 // stride), radius=1.5 if stride == 16 else 3.0, use_offset=use_offset)
    kw = dict(loss=loss) if loss else {}
    return OGNHead(in_channels=32, out_channels=K, deconv_out_channels=(16, ) * ndeconv,
                   deconv_kernel_sizes=(4, ) * ndeconv, decoder=codec, **kw), codec


def _samples(codec_cfg, n=2, seed=0):
    rng = np.random.default_rng(seed)
    codec = OffsetHeatmap(**{k: v for k, v in codec_cfg.items() if k != 'type'})
    out = []
    for _ in range(n):
        k = rng.uniform([10, 10], [86, 118], size=(1, K, 2)).astype(np.float32)
        enc = codec.encode(k)
        ds = PoseDataSample(metainfo=dict(flip_indices=[1, 0, 2, 4, 3]))
        ds.gt_fields = PixelData(heatmaps=torch.from_numpy(enc['heatmaps']),
                                 offsets=torch.from_numpy(enc['offsets']),
                                 offset_weights=torch.from_numpy(enc['offset_weights']))
        ds.gt_instance_labels = InstanceData(
            keypoint_weights=torch.from_numpy(enc['keypoint_weights']))
        out.append(ds)
    return out


@pytest.mark.parametrize('ndeconv,hw', [(1, (8, 6)), (2, (16, 12))])
def test_forward_shapes(ndeconv, hw):
    head, _ = _head(ndeconv)
    hm, off = head((torch.randn(2, 32, 4, 3), ))
    assert hm.shape == (2, K) + hw and off.shape == (2, 2 * K) + hw
    head_no, _ = _head(ndeconv, use_offset=False)
    out = head_no((torch.randn(2, 32, 4, 3), ))
    assert isinstance(out, torch.Tensor) and out.shape == (2, K) + hw
    assert not hasattr(head_no, 'offset_layer')


def test_loss_and_training_decreases():
    torch.manual_seed(0)
    head, codec = _head(1)
    samples = _samples(codec)
    feats = (torch.randn(2, 32, 4, 3), )
    losses = head.loss(feats, samples)
    assert set(losses) == {'loss_kpt', 'loss_offset', 'acc_pose'}
    assert all(torch.isfinite(v) for v in losses.values())
    opt = torch.optim.Adam(head.parameters(), lr=1e-2)
    first = None
    for _ in range(40):
        loss = head.loss(feats, samples, train_cfg=dict(compute_acc=False))
        total = loss['loss_kpt'] + loss['loss_offset']  # summed without weights (Sec. 3.1.4)
        first = float(total.detach()) if first is None else first
        opt.zero_grad()
        total.backward()
        opt.step()
    assert float(total.detach()) < 0.3 * first


def test_softmax_loss_variant():
    head, codec = _head(2, loss=dict(type='SpatialSoftmaxLoss'))
    losses = head.loss((torch.randn(2, 32, 4, 3), ), _samples(codec))
    assert torch.isfinite(losses['loss_kpt']) and losses['loss_kpt'] > 0


def test_offset_loss_only_inside_disks():
    head, codec = _head(1)
    samples = _samples(codec)
    feats = (torch.randn(2, 32, 4, 3), )
    hm, off = head(feats)
    w = torch.stack([s.gt_fields.offset_weights for s in samples])
    tgt = torch.stack([s.gt_fields.offsets for s in samples])
    ref = head.offset_loss_module(off, tgt, w)
    garbage = off.detach().clone() + 100 * (1 - w)  # changes outside the disks do not count
    assert torch.allclose(head.offset_loss_module(garbage, tgt, w),
                          head.offset_loss_module(off.detach(), tgt, w))
    assert ref > 0


@pytest.mark.parametrize('flip', [False, True])
def test_predict(flip):
    head, codec = _head(2)
    head.eval()
    samples = _samples(codec)
    feats = (torch.randn(2, 32, 4, 3), )
    inp = [feats, (feats[0].flip(-1), )] if flip else feats
    preds = head.predict(inp, samples, test_cfg=dict(flip_test=flip, shift_heatmap=True,
                                                     output_heatmaps=True))
    inst, fields = preds
    assert len(inst) == 2 and inst[0].keypoints.shape == (1, K, 2)
    assert inst[0].keypoint_scores.shape == (1, K) and fields[0].heatmaps.shape == (K, 16, 12)
    assert np.isfinite(inst[0].keypoints).all()
