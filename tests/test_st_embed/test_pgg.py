"""Pose-Guided Grouping (Alg. 1) against a loop-based GBMS, hand values, gradcheck, edge cases."""
import math

import pytest
import torch

from mmpose_track.models.utils import (masked_column_index, pose_guided_grouping, pose_mask,
                                       scatter_to_map)


def gbms_loop(points, num_iters, bandwidth):
    """Reference GBMS on a list of D-tuples with Python floats: each point moves to the Gaussian
    weighted mean of all points (Carreira-Perpinan's GBMS; X <- X W D^-1 written pixel by pixel)."""
    out = [list(map(list, points))]
    cur = out[0]
    for _ in range(num_iters):
        new = []
        for xj in cur:
            wsum, acc = 0.0, [0.0] * len(xj)
            for xi in cur:
                d2 = sum((a - b) ** 2 for a, b in zip(xi, xj))
                w = math.exp(-d2 / (2 * bandwidth ** 2))
                wsum += w
                acc = [s + w * a for s, a in zip(acc, xi)]
            new.append([s / wsum for s in acc])
        out.append(new)
        cur = new
    return out


def test_two_points_hand_value():
    # two 1-D embeddings 0 and 2 at pixels (0, 0) and (0, 2) of a 1 x 3 map; bandwidth 1:
    # w = exp(-(2 - 0)^2 / (2 * 1^2)) = exp(-2) = 0.135335...
    # x0' = (1 * 0 + w * 2) / (1 + w) = 0.238406, x1' = (w * 0 + 1 * 2) / (1 + w) = 1.761594
    emb = torch.tensor([[[0.0, 7.0, 2.0]]], dtype=torch.float64)
    mask = torch.tensor([[True, False, True]])
    out = pose_guided_grouping(emb, mask, num_iters=1, bandwidth=1.0)
    w = math.exp(-2.0)
    assert len(out) == 2
    assert out[0].tolist() == [[0.0, 2.0]]
    assert out[1][0, 0].item() == pytest.approx(2 * w / (1 + w), abs=1e-12)
    assert out[1][0, 1].item() == pytest.approx(2 / (1 + w), abs=1e-12)
    assert 2 * w / (1 + w) == pytest.approx(0.238406, abs=1e-6)


def test_matches_loop_gbms_and_row_major_order():
    g = torch.Generator().manual_seed(0)
    D, H, W = 3, 5, 6
    emb = torch.randn(D, H, W, generator=g, dtype=torch.float64) * 4
    mask = torch.rand(H, W, generator=g) > 0.4
    out = pose_guided_grouping(emb, mask, num_iters=3, bandwidth=2.5)
    pixels = [(y, x) for y in range(H) for x in range(W) if mask[y, x]]  # row-major
    points = [[emb[d, y, x].item() for d in range(D)] for (y, x) in pixels]
    ref = gbms_loop(points, 3, 2.5)
    assert len(out) == 4
    for r in range(4):
        assert out[r].shape == (D, len(pixels))
        torch.testing.assert_close(out[r].t(), torch.tensor(ref[r], dtype=torch.float64),
                                   rtol=0, atol=1e-10)
    # masked_column_index gives each pixel's column, -1 elsewhere
    cols = masked_column_index(mask)
    for c, (y, x) in enumerate(pixels):
        assert cols[y * W + x].item() == c
    assert (cols[~mask.reshape(-1)] == -1).all()


def test_large_offset_embeddings_fp32():
    # pixel-scale embeddings (SIE ~ 100 px): centring keeps fp32 accurate
    g = torch.Generator().manual_seed(1)
    emb = (torch.randn(2, 6, 6, generator=g, dtype=torch.float64) * 3 + 100.0)
    mask = torch.ones(6, 6, dtype=torch.bool)
    ref = pose_guided_grouping(emb, mask, 2, 5.0)
    out = pose_guided_grouping(emb.float(), mask, 2, 5.0)
    torch.testing.assert_close(out[-1].double(), ref[-1], rtol=0, atol=1e-4)


def test_gradcheck_float64():
    g = torch.Generator().manual_seed(2)
    emb = torch.randn(2, 3, 4, generator=g, dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[1, 0, 1, 1], [0, 1, 1, 0], [1, 1, 0, 1]], dtype=torch.bool)

    def fn(e):
        return tuple(pose_guided_grouping(e, mask, num_iters=2, bandwidth=1.5))

    assert torch.autograd.gradcheck(fn, (emb,), eps=1e-6, atol=1e-6)


def test_two_noisy_clusters_merge():
    # 2-D embeddings: 40 pixels around (0, 0), 40 around (20, 20), noise sigma 1.5
    g = torch.Generator().manual_seed(3)
    centres = torch.tensor([[0.0, 0.0], [20.0, 20.0]])
    label = torch.arange(80) // 40
    pts = centres[label] + 1.5 * torch.randn(80, 2, generator=g)
    emb = pts.t().reshape(2, 8, 10)
    mask = torch.ones(8, 10, dtype=torch.bool)
    out = pose_guided_grouping(emb, mask, num_iters=3, bandwidth=5.0)

    def spread(x):  # largest distance of a point to its cluster's mean
        return max((x[:, label == c] - x[:, label == c].mean(1, keepdim=True)).norm(dim=0).max()
                   for c in (0, 1)).item()

    assert spread(out[0]) > 2.5
    assert spread(out[-1]) < 0.01  # each cluster collapsed to (nearly) one point
    sep = (out[-1][:, label == 0].mean(1) - out[-1][:, label == 1].mean(1)).norm().item()
    assert sep > 20.0  # and the two clusters stay apart (GBMS keeps the modes)
    # spreads shrink by a large factor at each iteration (4.5 -> 0.41 -> 4e-4 -> ~0)
    s = [spread(x) for x in out]
    assert s[1] < s[0] / 5 and s[2] < s[1] / 100


def test_empty_mask_and_single_pixel():
    emb = torch.randn(3, 4, 4, requires_grad=True)
    out = pose_guided_grouping(emb, torch.zeros(4, 4, dtype=torch.bool), num_iters=2)
    assert len(out) == 3 and all(o.shape == (3, 0) for o in out)
    assert all(o.dtype == torch.float32 for o in out)
    mask = torch.zeros(4, 4, dtype=torch.bool)
    mask[2, 1] = True
    out = pose_guided_grouping(emb, mask, num_iters=2)
    for o in out:  # W = [[1]], D = [[1]]: the single embedding does not move
        torch.testing.assert_close(o, emb[:, 2, 1:2], rtol=0, atol=1e-6)
    out[-1].sum().backward()
    expected = torch.zeros(3, 4, 4)
    expected[:, 2, 1] = 1.0
    torch.testing.assert_close(emb.grad, expected)
    assert len(pose_guided_grouping(emb, mask, num_iters=0)) == 1


def test_nan_and_bad_input_errors():
    emb = torch.zeros(2, 4, 4)
    emb[1, 3, 2] = float('nan')
    emb[0, 0, 0] = float('inf')
    mask = torch.zeros(4, 4, dtype=torch.bool)
    mask[1, 1] = True
    # NaN/inf outside the mask do not matter
    assert pose_guided_grouping(emb, mask)[1].tolist() == [[0.0], [0.0]]
    mask[3, 2] = True
    with pytest.raises(ValueError, match=r'NaN/inf at 1 of the 2 .*\(3, 2\)'):
        pose_guided_grouping(emb, mask)
    cases = [
        ((torch.zeros(4, 4), torch.ones(4, 4, dtype=torch.bool)), ValueError, 'shape'),
        ((torch.zeros(2, 4, 4), torch.ones(4, 5, dtype=torch.bool)), ValueError, 'shape'),
        ((torch.zeros(2, 4, 4), torch.ones(4, 4)), TypeError, 'bool'),
        ((torch.zeros(2, 4, 4, dtype=torch.long), torch.ones(4, 4, dtype=torch.bool)), TypeError,
         'floating'),
    ]
    for args, exc, msg in cases:
        with pytest.raises(exc, match=msg) as info:
            pose_guided_grouping(*args)
        assert '\n' not in str(info.value)
    with pytest.raises(ValueError, match='num_iters'):
        pose_guided_grouping(torch.zeros(2, 4, 4), mask, num_iters=-1)
    with pytest.raises(ValueError, match='bandwidth'):
        pose_guided_grouping(torch.zeros(2, 4, 4), mask, bandwidth=0.0)


def test_bfloat16_close_to_float32_and_differentiable():
    g = torch.Generator().manual_seed(4)
    # KE-like (unit scale) and SIE-like (pixel scale) channels
    emb = torch.cat([torch.randn(1, 16, 16, generator=g),
                     torch.rand(2, 16, 16, generator=g) * 128], 0)
    mask = torch.rand(16, 16, generator=g) > 0.5
    ref = pose_guided_grouping(emb.bfloat16().float(), mask, num_iters=2)
    e16 = emb.bfloat16().requires_grad_()
    out = pose_guided_grouping(e16, mask, num_iters=2)
    assert all(o.dtype == torch.bfloat16 for o in out)
    for o, r in zip(out, ref):
        # bf16 rounding of the outputs: relative 2^-8 of values up to 128
        torch.testing.assert_close(o.float(), r, rtol=2 ** -7, atol=2 ** -7)
    out[-1].float().sum().backward()
    assert e16.grad.dtype == torch.bfloat16
    # the bf16 gradient equals the float32 one up to bf16 rounding
    e32 = emb.bfloat16().float().requires_grad_()
    pose_guided_grouping(e32, mask, num_iters=2)[-1].sum().backward()
    torch.testing.assert_close(e16.grad.float(), e32.grad, rtol=0.02, atol=0.02)


@pytest.mark.skipif(not torch.cuda.is_available(),
                    reason='PGG on CUDA tensors: this machine has no CUDA device')
@pytest.mark.parametrize('dtype', [torch.float32, torch.bfloat16])
def test_cuda_matches_cpu(dtype):
    g = torch.Generator().manual_seed(5)
    emb = torch.randn(3, 32, 32, generator=g).to(dtype)
    mask = torch.rand(32, 32, generator=g) > 0.7
    ref = pose_guided_grouping(emb, mask, num_iters=2)
    e = emb.cuda().requires_grad_()
    out = pose_guided_grouping(e, mask.cuda(), num_iters=2)
    out[-1].float().sum().backward()
    assert e.grad.shape == e.shape
    for o, r in zip(out, ref):
        assert o.device.type == 'cuda' and o.dtype == dtype
        torch.testing.assert_close(o.cpu().float(), r.float(), rtol=1e-2, atol=1e-2)


def test_pose_mask_and_scatter():
    # two joints; the mask is max over joints > 0.2 (Sec. 3.2)
    hm = torch.tensor([[[0.1, 0.3], [0.0, 0.2]], [[0.25, 0.0], [float('nan'), 0.1]]])
    assert pose_mask(hm).tolist() == [[True, True], [False, False]]
    assert pose_mask(hm[None]).shape == (1, 2, 2)
    emb = torch.arange(8.0).reshape(2, 2, 2).requires_grad_()
    vals = torch.tensor([[10.0, 11.0], [12.0, 13.0]], requires_grad=True)
    out = scatter_to_map(emb, pose_mask(hm), vals)
    # pixels (0, 0) and (0, 1) replaced; (1, 0), (1, 1) keep emb = [2, 3] and [6, 7]
    assert out.tolist() == [[[10.0, 11.0], [2.0, 3.0]], [[12.0, 13.0], [6.0, 7.0]]]
    out.sum().backward()
    assert emb.grad.tolist() == [[[0.0, 0.0], [1.0, 1.0]], [[0.0, 0.0], [1.0, 1.0]]]
    assert vals.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    with pytest.raises(ValueError, match='values must have shape'):
        scatter_to_map(emb, pose_mask(hm), vals[:, :1])
