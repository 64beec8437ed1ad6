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
from typing import Optional, Tuple

import cv2
import numpy as np
from mmpose.codecs.base import BaseKeypointCodec
from mmpose.registry import KEYPOINT_CODECS

__all__ = ['OffsetHeatmap', 'smooth_heatmaps']


def smooth_heatmaps(heatmaps: np.ndarray, kernel: int) -> np.ndarray:
    """Gaussian smoothing of ``(K, H, W)`` heatmaps (OGN Sec. 3.1.3), keeping each map's maximum
    (as MMPose's ``gaussian_blur``, without its in-place update and its division by a zero max).
    ``kernel`` is an odd size; ``<= 1`` returns the maps unchanged."""
    if not kernel or kernel <= 1 or heatmaps.size == 0:
        return heatmaps
    assert kernel % 2 == 1, f'blur kernel must be odd, got {kernel}'
    K, H, W = heatmaps.shape
    hm = np.ascontiguousarray(heatmaps.transpose(1, 2, 0), dtype=np.float32)  # (H, W, K)
    out = np.empty_like(hm)
    for s in range(0, K, 512):  # cv2 filters at most 512 channels at once
        blurred = cv2.GaussianBlur(hm[..., s:s + 512], (kernel, kernel), 0,
                                   borderType=cv2.BORDER_CONSTANT)
        out[..., s:s + 512] = blurred.reshape(H, W, -1)
    out = out.transpose(2, 0, 1)
    old_max = heatmaps.reshape(K, -1).max(1)
    new_max = out.reshape(K, -1).max(1)
    ratio = np.where(new_max > 0, old_max / np.where(new_max > 0, new_max, 1), 1.0)
    return (out * ratio[:, None, None]).astype(np.float32)


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
        N, K = keypoints.shape[:2]
        if keypoints_visible is None:
            keypoints_visible = np.ones((N, K), dtype=np.float32)
        W, H = self.heatmap_size
        R = self.radius
        g = keypoints[0, :, :2].astype(np.float32) / self.scale_factor  # (K, 2) heatmap px
        inside = ((g[:, 0] >= -0.5) & (g[:, 0] <= W - 0.5) & (g[:, 1] >= -0.5) &
                  (g[:, 1] <= H - 0.5) & np.isfinite(g).all(1))
        weights = np.where(inside, keypoints_visible[0].astype(np.float32), 0.).astype(np.float32)
        g = np.where(np.isfinite(g), g, 0.)

        dx = g[:, 0, None, None] - np.arange(W, dtype=np.float32)[None, None, :]  # (K, 1, W)
        dy = g[:, 1, None, None] - np.arange(H, dtype=np.float32)[None, :, None]  # (K, H, 1)
        disk = ((dx * dx + dy * dy) <= R * R) & (weights[:, None, None] > 0)  # (K, H, W)
        heatmaps = disk.astype(np.float32)
        offsets = np.stack([np.broadcast_to(dx, disk.shape), np.broadcast_to(dy, disk.shape)],
                           axis=1) / R * disk[:, None]  # (K, 2, H, W)
        offset_weights = np.repeat(heatmaps[:, None], 2, axis=1)
        return dict(
            heatmaps=heatmaps,
            offsets=offsets.reshape(2 * K, H, W).astype(np.float32),
            offset_weights=offset_weights.reshape(2 * K, H, W),
            keypoint_weights=weights[None])

    # ------------------------------------------------------------------ decode
    def decode(self, heatmaps: np.ndarray, offsets: Optional[np.ndarray] = None
               ) -> Tuple[np.ndarray, np.ndarray]:
        """Decode ``(K, H, W)`` heatmaps (+ ``(2K, H, W)`` offsets) into input-space keypoints
        ``(1, K, 2)`` and scores ``(1, K)`` (the smoothed heatmap maximum), Eq. 3-4."""
        heatmaps = np.asarray(heatmaps, dtype=np.float32)
        if heatmaps.ndim == 4:  # (1, K, H, W): MMPose's to_numpy(unzip=True) keeps a batch axis
            heatmaps = heatmaps[0]
            offsets = None if offsets is None else np.asarray(offsets)[0]
        K, H, W = heatmaps.shape
        smoothed = smooth_heatmaps(heatmaps, self.blur_kernel)
        flat = smoothed.reshape(K, -1)
        idx = np.argmax(flat, axis=1)
        scores = flat[np.arange(K), idx]
        ty, tx = np.divmod(idx, W)
        keypoints = np.stack([tx, ty], axis=-1).astype(np.float32)
        if self.use_offset and offsets is not None:
            off = np.asarray(offsets, dtype=np.float32).reshape(K, 2, H, W)
            keypoints = keypoints + self.radius * off[np.arange(K), :, ty, tx]
        keypoints = keypoints * self.scale_factor
        return keypoints[None], scores[None].astype(np.float32)
