"""Pose-Guided Grouping (PGG, Jin et al. 2019, Sec. 3.2, Algorithm 1) and its mask helpers.

PGG refines embeddings by Gaussian Blurring Mean Shift (GBMS, Carreira-Perpinan 2006) restricted
to the pixels of the instance-agnostic pose mask ``M(p) = max_j C_j(p) > tau`` (tau = 0.2), so that
its O(N^2) affinity costs ``N = M.sum()`` squared instead of ``(H * W)`` squared (the paper reports
about 1 % of the dense memory; ``benchmarks/bench_pgg.py`` measures it on synthetic frames).

Functions (plain, differentiable, device- and dtype-agnostic):

- :func:`pose_guided_grouping`: Algorithm 1 on ``(D, H, W)`` embeddings and an ``(H, W)`` mask.
- :func:`pose_mask`: the mask ``M`` from ``(..., K, H, W)`` heatmaps.
- :func:`masked_column_index`: the column of each pixel in ``X`` (``-1`` outside the mask), to
  find the keypoint pixels among the ``N`` selected ones.
- :func:`scatter_to_map`: write refined ``(D, N)`` values back into the ``(D, H, W)`` maps.
"""
import math
import numbers
from typing import List

import torch
from torch import Tensor

__all__ = ['pose_guided_grouping', 'pose_mask', 'masked_column_index', 'scatter_to_map']


def _check_mask(mask: Tensor, hw: tuple, device: torch.device, fn: str) -> None:
    """One-line ``TypeError``/``ValueError`` for a mask that is not a bool ``(H, W)`` tensor."""
    if not isinstance(mask, Tensor):
        raise TypeError(f'{fn}: mask must be a torch.Tensor, got {type(mask).__name__}')
    if mask.dtype != torch.bool:
        raise TypeError(f'{fn}: mask must be a bool tensor, got dtype {mask.dtype}')
    if tuple(mask.shape) != tuple(hw):
        raise ValueError(f'{fn}: mask must have shape (H, W) = {tuple(hw)}, got '
                         f'{tuple(mask.shape)}')
    if mask.device != device:
        raise ValueError(f'{fn}: mask is on {mask.device} but embeddings are on {device}')


def _check_embeddings(embeddings: Tensor, fn: str) -> None:
    """One-line error for embeddings that are not a floating ``(D, H, W)`` tensor."""
    if not isinstance(embeddings, Tensor):
        raise TypeError(f'{fn}: embeddings must be a torch.Tensor, got '
                        f'{type(embeddings).__name__}')
    if embeddings.dim() != 3:
        raise ValueError(f'{fn}: embeddings must have shape (D, H, W), got '
                         f'{tuple(embeddings.shape)}')
    if not embeddings.is_floating_point():
        raise TypeError(f'{fn}: embeddings must be a floating-point tensor, got dtype '
                        f'{embeddings.dtype}')


def _gbms_step(x: Tensor, scale: float) -> Tensor:
    """One GBMS update ``X W D^-1`` of ``x`` (D, N), computed in ``x``'s dtype (>= float32).

    ``W_ij = exp(-scale * ||x_i - x_j||^2)``. The squared distances come from the Gram matrix
    (``|x_i|^2 + |x_j|^2 - 2 x_i.x_j``; no ``torch.cdist``, so every dtype and device works) of the
    columns centred on their mean: GBMS is translation-equivariant (the columns of ``W D^-1`` sum to
    1), and centring removes the cancellation error of large embeddings (SIE in pixels). The single
    ``N x N`` buffer is built with in-place ops that autograd allows (its backward keeps only
    ``W``), so a forward pass holds one ``N x N`` matrix per iteration.
    """
    mean = x.mean(dim=1, keepdim=True)
    xc = x - mean
    sq = (xc * xc).sum(dim=0)
    w = torch.mm(xc.t(), xc).mul_(-2.0)  # (N, N): -2 x_i.x_j
    w.add_(sq[:, None]).add_(sq[None, :]).mul_(-scale).exp_()  # exp(-scale ||x_i - x_j||^2)
    # X W D^-1 with D = diag(W 1); W is symmetric, so column j of X W is divided by D_jj.
    return torch.mm(xc, w) / w.sum(dim=0) + mean


def pose_guided_grouping(embeddings: Tensor,
                         mask: Tensor,
                         num_iters: int = 1,
                         bandwidth: float = 5.0) -> List[Tensor]:
    """Pose-Guided Grouping (Algorithm 1): GBMS on the mask-selected embeddings.

    ``X(1)`` holds the embeddings of the ``N = mask.sum()`` selected pixels as columns, in row-major
    pixel order (pixel ``(y, x)`` before ``(y, x + 1)`` before ``(y + 1, 0)``;
    :func:`masked_column_index` gives each pixel's column). Each iteration ``r = 1..R`` (Alg. 1,
    lines 4-7) computes

    - the Gaussian affinity ``W_ij = exp(-||x_i - x_j||^2 / (2 * bandwidth^2))`` (N x N),
    - the normaliser ``D = diag(W 1)``,
    - the update ``X(r+1) = X(r) W D^-1`` (each embedding moves to the kernel-weighted mean of all
      selected embeddings).

    Bandwidth: Algorithm 1 prints ``W_ij = exp(-delta^2 / 2 * ||x_i - x_j||^2)`` with "kernel
    bandwidth delta = 5"; taken literally, ``delta^2 / 2 = 12.5`` multiplies the squared distance,
    which would make the kernel narrower as the "bandwidth" grows. We read it as the usual GBMS
    isotropic Gaussian kernel of bandwidth (standard deviation) ``delta``, i.e.
    ``exp(-||x_i - x_j||^2 / (2 delta^2))`` with ``delta = bandwidth = 5`` by default.

    Precision: the ``N x N`` affinity and the update are computed in at least float32 (bfloat16 /
    float16 inputs are upcast, as autocast does for ``exp``/``sum``): in bfloat16 (8-bit mantissa) a
    squared distance between pixel-scale SIE would be off by tens of units, which changes
    ``exp(-d^2 / 50)`` by large factors. Each returned tensor is cast back to the input dtype, and
    gradients flow to ``embeddings`` in its dtype. float64 stays float64 (``gradcheck``).

    Args:
        embeddings (Tensor): ``(D, H, W)`` floating embeddings (e.g. KE and SIE concatenated along
            ``D``, Alg. 1 line 1), on any device; may require grad.
        mask (Tensor): ``(H, W)`` bool pose mask on the same device (:func:`pose_mask`).
        num_iters (int): ``R``, number of mean-shift iterations (>= 0; the paper uses 1).
        bandwidth (float): Gaussian kernel bandwidth ``delta`` (> 0), in embedding units.

    Returns:
        list[Tensor]: ``num_iters + 1`` tensors of shape ``(D, N)`` in ``embeddings``' dtype and
        device: ``X(1)`` (the selected embeddings), then the output of each iteration. With
        ``N = 0`` every tensor is ``(D, 0)``; with ``N = 1`` every tensor equals ``X(1)``.

    Raises:
        TypeError: embeddings not floating, mask not bool, num_iters not an int.
        ValueError: wrong shapes or devices, ``num_iters < 0``, ``bandwidth <= 0``, or NaN/inf in
            the selected embeddings.
    """
    fn = 'pose_guided_grouping'
    _check_embeddings(embeddings, fn)
    D, H, W = embeddings.shape
    _check_mask(mask, (H, W), embeddings.device, fn)
    if isinstance(num_iters, bool) or not isinstance(num_iters, numbers.Integral):
        raise TypeError(f'{fn}: num_iters must be an int, got {num_iters!r}')
    if num_iters < 0:
        raise ValueError(f'{fn}: num_iters must be >= 0, got {num_iters}')
    if not isinstance(bandwidth, numbers.Real) or isinstance(bandwidth, bool) or \
            not math.isfinite(bandwidth) or bandwidth <= 0:
        raise ValueError(f'{fn}: bandwidth must be a finite number > 0, got {bandwidth!r}')

    flat_mask = mask.reshape(H * W)
    x = embeddings.reshape(D, H * W)[:, flat_mask]  # (D, N), row-major pixel order
    N = x.shape[1]
    if N == 0:
        return [x] + [x.clone() for _ in range(num_iters)]
    finite = torch.isfinite(x).all(dim=0)
    if not bool(finite.all()):
        bad = int((~finite).sum())
        first = int(flat_mask.nonzero()[(~finite).nonzero()[0, 0], 0])
        raise ValueError(f'{fn}: embeddings hold NaN/inf at {bad} of the {N} mask-selected pixels '
                         f'(first at (y, x) = ({first // W}, {first % W}))')

    num_iters = int(num_iters)
    out_dtype = x.dtype
    compute_dtype = torch.promote_types(out_dtype, torch.float32)
    scale = 1.0 / (2.0 * float(bandwidth) ** 2)
    outputs = [x]
    cur = x.to(compute_dtype)
    for _ in range(num_iters):
        cur = _gbms_step(cur, scale)
        outputs.append(cur.to(out_dtype))
    return outputs


def pose_mask(heatmaps: Tensor, thr: float = 0.2) -> Tensor:
    """Instance-agnostic pose mask ``M(p) = max_j C_j(p) > tau`` (Sec. 3.2).

    Args:
        heatmaps (Tensor): ``(..., K, H, W)`` keypoint heatmaps (NaN counts as below ``thr``).
        thr (float): ``tau`` (the paper: 0.2).

    Returns:
        Tensor: bool ``(..., H, W)``.
    """
    if not isinstance(heatmaps, Tensor) or heatmaps.dim() < 3:
        shape = tuple(heatmaps.shape) if isinstance(heatmaps, Tensor) else type(heatmaps).__name__
        raise ValueError(f'pose_mask: heatmaps must be a (..., K, H, W) tensor, got {shape}')
    if heatmaps.shape[-3] == 0:
        return heatmaps.new_zeros(heatmaps.shape[:-3] + heatmaps.shape[-2:], dtype=torch.bool)
    return heatmaps.amax(dim=-3) > thr


def masked_column_index(mask: Tensor) -> Tensor:
    """Column of each pixel in PGG's ``X`` (row-major order), ``-1`` outside the mask.

    Args:
        mask (Tensor): ``(H, W)`` bool mask.

    Returns:
        Tensor: long ``(H * W,)``; ``out[y * W + x]`` is the column of pixel ``(y, x)``.
    """
    if not isinstance(mask, Tensor) or mask.dtype != torch.bool or mask.dim() != 2:
        desc = (f'{mask.dtype} {tuple(mask.shape)}' if isinstance(mask, Tensor) else
                type(mask).__name__)
        raise ValueError(f'masked_column_index: mask must be a bool (H, W) tensor, got {desc}')
    flat = mask.reshape(-1)
    cols = torch.cumsum(flat, dim=0) - 1
    return torch.where(flat, cols, torch.full_like(cols, -1))


def scatter_to_map(embeddings: Tensor, mask: Tensor, values: Tensor) -> Tensor:
    """Write ``values`` (D, N) at the masked pixels of ``embeddings`` (D, H, W), out of place.

    The inverse of PGG's selection: pixels outside the mask keep ``embeddings``; gradients flow to
    both ``embeddings`` (unmasked pixels) and ``values``.

    Args:
        embeddings (Tensor): ``(D, H, W)`` maps.
        mask (Tensor): ``(H, W)`` bool mask with ``N`` true pixels.
        values (Tensor): ``(D, N)``, columns in row-major pixel order (e.g. PGG's last output);
            cast to ``embeddings``' dtype.

    Returns:
        Tensor: ``(D, H, W)``.
    """
    fn = 'scatter_to_map'
    _check_embeddings(embeddings, fn)
    D, H, W = embeddings.shape
    _check_mask(mask, (H, W), embeddings.device, fn)
    idx = mask.reshape(-1).nonzero().squeeze(1)
    if not isinstance(values, Tensor) or tuple(values.shape) != (D, idx.numel()):
        shape = tuple(values.shape) if isinstance(values, Tensor) else type(values).__name__
        raise ValueError(f'scatter_to_map: values must have shape (D, N) = ({D}, {idx.numel()}), '
                         f'got {shape}')
    flat = embeddings.reshape(D, H * W)
    return flat.index_copy(1, idx, values.to(flat.dtype)).reshape(D, H, W)
