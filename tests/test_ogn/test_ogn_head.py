"""OGNHead: shapes (stride 16 / 8), losses against hand-written references (Smooth L1 on the
heatmaps, Smooth L1 inside the disks on the offsets, spatial softmax cross-entropy), predict with
and without flip test recovering known keypoints, training lowers the loss."""
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


def _smooth_l1(d: torch.Tensor) -> torch.Tensor:
    """Smooth L1 (beta 1) written out: 0.5 d^2 below 1, |d| - 0.5 above."""
    a = d.abs()
    return torch.where(a < 1, 0.5 * a**2, a - 0.5)


def _reference_losses(head, feats, samples):
    """The paper's two terms (Sec. 3.1.4) by hand: MMPose's SmoothL1Loss(use_target_weight)
    (the mean over every heatmap pixel of the weighted difference) and the mean Smooth L1 over
    the disk pixels of visible keypoints."""
    with torch.no_grad():
        hm, off = head(feats)
    gt_hm = torch.stack([s.gt_fields.heatmaps for s in samples])
    kw = torch.cat([s.gt_instance_labels.keypoint_weights for s in samples])
    loss_kpt = _smooth_l1((hm - gt_hm) * kw[..., None, None]).mean()
    gt_off = torch.stack([s.gt_fields.offsets for s in samples])
    w = torch.stack([s.gt_fields.offset_weights for s in samples])
    w = w * kw.repeat_interleave(2, dim=1)[..., None, None]
    loss_off = (_smooth_l1(off - gt_off) * w).sum() / w.sum()
    return loss_kpt, loss_off, w


def test_loss_and_training_decreases():
    torch.manual_seed(0)
    head, codec = _head(1)
    samples = _samples(codec)
    feats = (torch.randn(2, 32, 4, 3), )
    losses = head.loss(feats, samples)
    assert set(losses) == {'loss_kpt', 'loss_offset', 'acc_pose'}
    ref_kpt, ref_off, w = _reference_losses(head, feats, samples)
    assert w.sum() > 0  # the disks hold pixels: the offset term is not the empty-mask 0
    torch.testing.assert_close(losses['loss_kpt'], ref_kpt)
    torch.testing.assert_close(losses['loss_offset'], ref_off)
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
    """Uniform logits: the cross-entropy of any target distribution is log(H W); random logits:
    a loop over the maps with ``logsumexp`` written out."""
    from mmpose_track.models.losses import SpatialSoftmaxLoss
    loss = SpatialSoftmaxLoss()
    head, codec = _head(2, loss=dict(type='SpatialSoftmaxLoss'))
    samples = _samples(codec)
    gt = torch.stack([s.gt_fields.heatmaps for s in samples])
    kw = torch.cat([s.gt_instance_labels.keypoint_weights for s in samples])
    H, W = gt.shape[-2:]
    torch.testing.assert_close(loss(torch.zeros_like(gt), gt, kw),
                               torch.tensor(float(np.log(H * W))))
    feats = (torch.randn(2, 32, 4, 3), )
    with torch.no_grad():
        out = head(feats)[0]
    terms = []
    for b in range(gt.shape[0]):
        for k in range(K):
            t = gt[b, k].double().flatten()
            if t.sum() == 0 or kw[b, k] == 0:
                continue
            x = out[b, k].double().flatten()
            logz = x.max() + torch.log(torch.exp(x - x.max()).sum())
            terms.append(-(t / t.sum() * (x - logz)).sum())
    assert len(terms) > 0
    losses = head.loss(feats, samples)
    torch.testing.assert_close(losses['loss_kpt'].double(), torch.stack(terms).mean())


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
    torch.testing.assert_close(ref, (_smooth_l1(off - tgt) * w).sum() / w.sum())
    # an empty mask (no visible keypoint): 0, not NaN
    assert float(head.offset_loss_module(off, tgt, torch.zeros_like(w))) == 0.0


@pytest.mark.parametrize('flip', [False, True])
def test_predict_recovers_known_keypoints(flip, monkeypatch):
    """The head outputs the codec's exact targets of known keypoints (and, for the flipped input,
    the targets of the mirrored keypoints with left/right swapped): predict must return the
    keypoints themselves, so the flip-back (mirror, channel swap by ``flip_indices``, shift,
    offset sign and correction) is right, not only shaped right."""
    head, codec_cfg = _head(2)
    head.eval()
    codec = OffsetHeatmap(**{k: v for k, v in codec_cfg.items() if k != 'type'})
    W, H = codec_cfg['input_size']
    stride = W / codec_cfg['heatmap_size'][0]
    flip_indices = [1, 0, 2, 4, 3]
    rng = np.random.default_rng(5)
    kpts = rng.uniform([12, 12], [W - 12, H - 12], size=(2, 1, K, 2)).astype(np.float32)

    def targets(k):
        enc = codec.encode(k)
        return torch.from_numpy(enc['heatmaps']), torch.from_numpy(enc['offsets'])

    def mirrored(k):
        m = k.copy()
        m[..., 0] = W - 1 - m[..., 0]
        return m[:, flip_indices]

    plain = [targets(k) for k in kpts]
    flipped = [targets(mirrored(k)) for k in kpts]
    feats, feats_flip = (torch.zeros(2, 32, 4, 3), ), (torch.ones(2, 32, 4, 3), )

    def fake_forward(x):
        outs = flipped if float(x[-1].mean()) == 1.0 else plain
        return torch.stack([o[0] for o in outs]), torch.stack([o[1] for o in outs])

    monkeypatch.setattr(head, 'forward', fake_forward)
    samples = _samples(codec_cfg)
    inp = [feats, feats_flip] if flip else feats
    inst, fields = head.predict(inp, samples, test_cfg=dict(
        flip_test=flip, shift_heatmap=True, output_heatmaps=True))
    assert len(inst) == 2 and fields[0].heatmaps.shape == (K, 16, 12)
    for pred, k in zip(inst, kpts):
        assert pred.keypoints.shape == (1, K, 2)
        np.testing.assert_allclose(pred.keypoints, k, atol=0.05 * stride)
