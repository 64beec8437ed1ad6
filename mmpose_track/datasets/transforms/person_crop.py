"""Person-box crops for re-identification training (OGN, Sec. 4.2).

:class:`CropPersonBox` (MMDet ``TRANSFORMS``) crops ``bbox`` from ``img`` and resizes it to a fixed
size in one bilinear warp, padding outside the image with the normalisation mean, i.e. the same
geometry as the crops that
:class:`~mmpose_track.models.pose_estimators.TopdownPoseEstimatorWithReID` samples at test time.
"""
from typing import Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

__all__ = ['CropPersonBox']


@TRANSFORMS.register_module()
class CropPersonBox(BaseTransform):
    """Crop ``results['bbox']`` (``x1, y1, x2, y2``) out of ``results['img']`` to ``size``.

    One bilinear affine warp (the box corners go to the output corners, aspect not kept, as
    MMDet's ReID pipelines ``Resize(keep_ratio=False)``); outside the image is ``pad_val``.

    Args:
        size (tuple[int, int]): output ``(w, h)``.
        jitter (float): random shift and scale of the box, as a fraction of its size (training
            against the detector's box noise); 0 at test time.
        pad_val (sequence): fill value per channel of ``img`` (BGR from ``LoadImageFromFile``);
            the ImageNet mean makes padding 0 after normalisation, like the zero padding of the
            test-time ``grid_sample`` crop.
    """

    def __init__(self, size: Tuple[int, int] = (64, 128), jitter: float = 0.0,
                 pad_val: Sequence[float] = (103.53, 116.28, 123.675)) -> None:
        self.size = (int(size[0]), int(size[1]))
        self.jitter = float(jitter)
        self.pad_val = tuple(float(v) for v in pad_val)

    def transform(self, results: dict) -> dict:
        img = results['img']
        x1, y1, x2, y2 = (float(v) for v in np.asarray(results['bbox']).reshape(-1)[:4])
        w, h = max(x2 - x1, 1.0), max(y2 - y1, 1.0)
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        if self.jitter > 0:
            dx, dy, ds = np.random.uniform(-self.jitter, self.jitter, 3)
            cx, cy = cx + dx * w, cy + dy * h
            w, h = w * (1 + ds), h * (1 + ds)
        ow, oh = self.size
        # box edges onto output edges, in cv2's pixel-centre coordinates:
        # j = (x + .5 - x1) * sx - .5
        sx, sy = ow / w, oh / h
        mat = np.array([[sx, 0, -(cx - w / 2) * sx - 0.5 + 0.5 * sx],
                        [0, sy, -(cy - h / 2) * sy - 0.5 + 0.5 * sy]], np.float32)
        pad = self.pad_val[:img.shape[2]] if img.ndim == 3 else self.pad_val[0]
        crop = cv2.warpAffine(img, mat, (ow, oh), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=pad)
        results['img'] = crop
        results['img_shape'] = crop.shape[:2]
        results['scale'] = (ow, oh)
        hom = np.eye(3, dtype=np.float32)
        hom[:2] = mat
        if results.get('homography_matrix') is not None:
            hom = hom @ results['homography_matrix']
        results['homography_matrix'] = hom
        results['scale_factor'] = (sx, sy)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(size={self.size}, jitter={self.jitter})'
