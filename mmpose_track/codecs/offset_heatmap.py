"""Heatmap + offset targets of the Offset-guided Network (OGN, Zhang et al. 2019, Sec. 3.1.2-3.1.3).

Encoding (Eq. 1-2), for every heatmap position ``x_i`` and the keypoint ``g_k`` (heatmap pixels):

    H_c = 1 if ||x_i - g_k|| <= R else 0                      (classification disk)
    H_r = (g_k - x_i) / R if ||x_i - g_k|| <= R else 0        (x and y offsets, in units of R)

Decoding (Eq. 3-4): ``(T_w, T_h) = argmax`` of the Gaussian-smoothed heatmap ``L_k`` and
``(F_x, F_y) = (T_w + R * O_kx[T], T_h + R * O_ky[T])``: a sub-pixel location, free of the
quantisation error of the heatmap grid. With ``use_offset=False`` the decode is the plain argmax
(the paper's "offset ✗" ablation).

Conventions (those of MMPose's ``MSRAHeatmap``): heatmap pixel ``i`` lies at heatmap coordinate
``i``, and a keypoint at input-image coordinate ``p`` lies at ``p / scale_factor`` with
``scale_factor = input_size / heatmap_size``. Offsets are stored as ``(2K, H, W)`` with channel
``2k`` the x offset and ``2k + 1`` the y offset of keypoint ``k``.
"""
from typing import Dict, Optional, Tuple, Union

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmpose.codecs.base import BaseKeypointCodec
from mmpose.registry import KEYPOINT_CODECS
from torch import Tensor

__all__ = ['OffsetHeatmap', 'smooth_heatmaps', 'offset_heatmap_targets', 'decode_offset_heatmaps']


def smooth_heatmaps(heatmaps: Union[Tensor, np.ndarray], kernel: int) -> Union[Tensor, np.ndarray]:
    """Gaussian smoothing of ``(..., H, W)`` heatmaps (OGN Sec. 3.1.3), keeping each map's maximum.

    The filter is ``cv2.GaussianBlur(ksize=kernel, sigma=0)`` with a zero border, as separable
    convolutions on tensors (any device); numpy in, numpy out. ``kernel`` is odd; ``<= 1`` returns
    the maps unchanged. A map whose smoothed maximum is ``<= 0`` is not rescaled."""
    empty = heatmaps.size == 0 if isinstance(heatmaps, np.ndarray) else heatmaps.numel() == 0
    if not kernel or kernel <= 1 or empty:
        return heatmaps
    assert kernel % 2 == 1, f'blur kernel must be odd, got {kernel}'
    if isinstance(heatmaps, np.ndarray):
        return smooth_heatmaps(torch.from_numpy(np.ascontiguousarray(heatmaps, np.float32)),
                               kernel).numpy()
    shape = heatmaps.shape
    x = heatmaps.reshape(-1, 1, shape[-2], shape[-1]).float()
    g = torch.as_tensor(cv2.getGaussianKernel(kernel, 0)[:, 0], dtype=x.dtype, device=x.device)
    r = kernel // 2
    out = F.conv2d(F.conv2d(x, g.view(1, 1, -1, 1), padding=(r, 0)), g.view(1, 1, 1, -1),
                   padding=(0, r))
    old_max = x.flatten(1).amax(1)
    new_max = out.flatten(1).amax(1)
    ratio = torch.where(new_max > 0, old_max / torch.where(new_max > 0, new_max, 1.), 1.)
    return (out * ratio[:, None, None, None]).reshape(shape).to(heatmaps.dtype)


def offset_heatmap_targets(coords: Tensor, weights: Tensor, heatmap_size: Tuple[int, int],
                           radius: float) -> Dict[str, Tensor]:
    """Eq. 1-2 for a batch: ``coords`` ``(N, K, 2)`` keypoints in heatmap pixels (pixel ``i`` at
    coordinate ``i``), ``weights`` ``(N, K)`` (visibility). Returns ``heatmaps`` ``(N, K, H, W)``
    (disks of radius R), ``offsets`` ``(N, 2K, H, W)`` (``(g - x) / R`` inside the disks, channel
    ``2k`` x and ``2k + 1`` y), ``offset_weights`` ``(N, 2K, H, W)`` and ``keypoint_weights``
    ``(N, K)`` (0 for invisible keypoints, keypoints off the map and non-finite ones)."""
    W, H = heatmap_size
    N, K = coords.shape[:2]
    coords = coords.float()
    finite = torch.isfinite(coords).all(-1)
    g = torch.where(finite[..., None], coords, torch.zeros_like(coords))
    inside = (finite & (g[..., 0] >= -0.5) & (g[..., 0] <= W - 0.5) & (g[..., 1] >= -0.5)
              & (g[..., 1] <= H - 0.5))
    kw = torch.where(inside, weights.to(g), torch.zeros_like(g[..., 0]))
    dx = g[..., 0, None, None] - torch.arange(W, dtype=g.dtype, device=g.device)  # (N, K, 1, W)
    dy = g[..., 1, None, None] - torch.arange(H, dtype=g.dtype, device=g.device)[:, None]
    disk = ((dx * dx + dy * dy) <= radius * radius) & (kw[..., None, None] > 0)  # (N, K, H, W)
    heatmaps = disk.to(g.dtype)
    offsets = torch.stack([dx.expand_as(heatmaps), dy.expand_as(heatmaps)], 2) / radius \
        * heatmaps[:, :, None]  # (N, K, 2, H, W)
    return dict(heatmaps=heatmaps, offsets=offsets.reshape(N, 2 * K, H, W),
                offset_weights=heatmaps.repeat_interleave(2, dim=1), keypoint_weights=kw)


def decode_offset_heatmaps(heatmaps: Tensor, offsets: Optional[Tensor], radius: float,
                           blur_kernel: int = 0) -> Tuple[Tensor, Tensor, Tensor]:
    """Eq. 3-4 for a batch: ``heatmaps`` ``(N, K, H, W)``, ``offsets`` ``(N, 2K, H, W)`` or None
    (plain argmax). Returns keypoints ``(N, K, 2)`` in heatmap pixels, scores ``(N, K)`` (the
    smoothed maximum) and the flat argmax index ``(N, K)``."""
    N, K, H, W = heatmaps.shape
    smoothed = smooth_heatmaps(heatmaps, blur_kernel)
    scores, idx = smoothed.reshape(N, K, H * W).max(-1)
    coords = torch.stack([idx % W, torch.div(idx, W, rounding_mode='floor')], -1).to(scores)
    if offsets is not None and N * K:
        off = offsets.reshape(N, K, 2, H * W).gather(3, idx[:, :, None, None].expand(N, K, 2, 1))
        coords = coords + radius * off[..., 0].to(coords)
    return coords, scores, idx


@KEYPOINT_CODECS.register_module()
class OffsetHeatmap(BaseKeypointCodec):
    """OGN heatmap-offset codec (disk classification target + offsets ``(g - x) / R``).

    Encoded (single instance, like ``MSRAHeatmap``):
        - heatmaps ``(K, H, W)`` float32: the disks of Eq. 1 (only of keypoints with weight > 0)
        - offsets ``(2K, H, W)`` float32: Eq. 2, zero outside the disks
        - offset_weights ``(2K, H, W)`` float32: 1 inside the disk of a weighted keypoint
        - keypoint_weights ``(1, K)``: visibility, 0 when the keypoint falls off the heatmap

    Args:
        input_size (tuple): input image size ``(w, h)``.
        heatmap_size (tuple): heatmap size ``(W, H)``; the stride is ``input / heatmap``.
        radius (float): disk radius ``R`` in heatmap pixels. The paper does not give it; the
            configs keep ``R * stride`` at 24 input pixels (G-RMI's 25 px): ``R = 3`` at stride 8,
            ``R = 1.5`` at stride 16.
        use_offset (bool): decode with the offsets (Eq. 4) or by plain argmax (ablation).
        blur_kernel (int): Gaussian smoothing kernel of the decoded heatmaps (odd, 0 = none).
    """

    label_mapping_table = dict(keypoint_weights='keypoint_weights')
    field_mapping_table = dict(
        heatmaps='heatmaps', offsets='offsets', offset_weights='offset_weights')

    def __init__(self,
                 input_size: Tuple[int, int],
                 heatmap_size: Tuple[int, int],
                 radius: float = 3.0,
                 use_offset: bool = True,
                 blur_kernel: int = 3) -> None:
        super().__init__()
        if radius <= 0:
            raise ValueError(f'radius must be > 0, got {radius}')
        self.input_size = tuple(input_size)
        self.heatmap_size = tuple(heatmap_size)
        self.radius = float(radius)
        self.use_offset = use_offset
        self.blur_kernel = blur_kernel
        self.scale_factor = (np.array(input_size, dtype=np.float32) /
                             np.array(heatmap_size, dtype=np.float32))

    @property
    def stride(self) -> np.ndarray:
        return self.scale_factor

    # ------------------------------------------------------------------ encode
    def encode(self, keypoints: np.ndarray, keypoints_visible: Optional[np.ndarray] = None) -> dict:
        """Encode ``(1, K, 2)`` input-space keypoints (Eq. 1-2), vectorised over K and the grid."""
        assert keypoints.shape[0] == 1, \
            f'{self.__class__.__name__} only supports single-instance keypoint encoding'
        if keypoints_visible is None:
            keypoints_visible = np.ones(keypoints.shape[:2], dtype=np.float32)
        t = offset_heatmap_targets(
            torch.from_numpy(np.asarray(keypoints[..., :2], np.float32) / self.scale_factor),
            torch.from_numpy(np.asarray(keypoints_visible, np.float32)), self.heatmap_size,
            self.radius)
        return dict(heatmaps=t['heatmaps'][0].numpy(), offsets=t['offsets'][0].numpy(),
                    offset_weights=t['offset_weights'][0].numpy(),
                    keypoint_weights=t['keypoint_weights'].numpy())

    # ------------------------------------------------------------------ decode
    def decode(self, heatmaps: np.ndarray, offsets: Optional[np.ndarray] = None
               ) -> Tuple[np.ndarray, np.ndarray]:
        """Decode ``(K, H, W)`` heatmaps (+ ``(2K, H, W)`` offsets) into input-space keypoints
        ``(1, K, 2)`` and scores ``(1, K)`` (the smoothed heatmap maximum), Eq. 3-4."""
        heatmaps = np.asarray(heatmaps, dtype=np.float32)
        if heatmaps.ndim == 4:  # (1, K, H, W): MMPose's to_numpy(unzip=True) keeps a batch axis
            heatmaps = heatmaps[0]
            offsets = None if offsets is None else np.asarray(offsets)[0]
        offsets = np.asarray(offsets, dtype=np.float32) if offsets is not None else None
        coords, scores, _ = decode_offset_heatmaps(
            torch.from_numpy(heatmaps[None]),
            torch.from_numpy(offsets[None]) if self.use_offset and offsets is not None else None,
            self.radius, self.blur_kernel)
        keypoints = coords.numpy() * self.scale_factor
        return keypoints.astype(np.float32), scores.numpy().astype(np.float32)
