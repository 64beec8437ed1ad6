"""MMDet data transforms that carry person keypoints, for detectors with a keypoint branch (the
offset-guided Mask R-CNN of OGN Sec. 3.2). MMDet 3.x has no keypoints; these three small steps add
them without touching MMDet's geometric transforms:

1. :class:`LoadAnnotationsWithKeypoints`: MMDet's ``LoadAnnotations`` plus ``gt_keypoints``
   ``(N, K, 3)`` (x, y, visibility) from the instances' ``keypoints``.
2. :class:`WarpKeypoints`: moves ``gt_keypoints`` by the ``homography_matrix`` that MMDet's
   geometric transforms (``Resize``, ``RandomFlip``, ``RandomCrop``, ...) record, and swaps left and
   right joints when that map mirrors the image.
3. :class:`PackDetPoseInputs`: MMDet's ``PackDetInputs`` that also packs ``gt_keypoints`` into
   ``gt_instances.keypoints`` (ignored instances split off as for boxes).
"""
from typing import Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.datasets.transforms import LoadAnnotations, PackDetInputs
from mmdet.registry import TRANSFORMS

from mmpose_track.structures.posetrack18_format import POSETRACK18_FLIP_INDICES

__all__ = ['LoadAnnotationsWithKeypoints', 'WarpKeypoints', 'PackDetPoseInputs',
           'warp_keypoints']


def warp_keypoints(keypoints: np.ndarray, matrix: np.ndarray, img_shape: Sequence[int],
                   flip_indices: Optional[Sequence[int]] = None) -> np.ndarray:
    """Map ``(N, K, 3)`` keypoints (x, y, visibility) by a 3x3 homography ``matrix``.

    Keypoints landing outside ``img_shape`` ``(h, w)`` become invisible. When ``matrix`` mirrors
    the plane (negative determinant of its linear part) the joints are re-ordered by
    ``flip_indices``, so that a left wrist stays a left wrist."""
    out = np.array(keypoints, dtype=np.float32, copy=True).reshape(len(keypoints), -1, 3)
    if out.size == 0:
        return out
    xy1 = np.concatenate([out[..., :2], np.ones_like(out[..., :1])], -1)  # (N, K, 3)
    warped = xy1 @ np.asarray(matrix, np.float64).T
    out[..., :2] = warped[..., :2] / warped[..., 2:3]
    h, w = img_shape[:2]
    off = (out[..., 0] < 0) | (out[..., 0] > w) | (out[..., 1] < 0) | (out[..., 1] > h)
    out[..., 2] = np.where(off, 0, out[..., 2])
    if np.linalg.det(np.asarray(matrix)[:2, :2]) < 0:
        if flip_indices is None:
            raise ValueError('the transform mirrors the image: flip_indices are needed')
        out = out[:, list(flip_indices)]
    return out


@TRANSFORMS.register_module()
class LoadAnnotationsWithKeypoints(LoadAnnotations):
    """``LoadAnnotations`` plus ``gt_keypoints`` ``(N, K, 3)`` float32 from each instance's
    ``keypoints`` (instances without keypoints, e.g. ignore regions, get ``K`` zero rows).

    Args:
        num_keypoints (int): K (17 for COCO / PoseTrack18).
        with_keypoints (bool): load them (default True); other args as ``LoadAnnotations``.
    """

    def __init__(self, num_keypoints: int = 17, with_keypoints: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_keypoints = num_keypoints
        self.with_keypoints = with_keypoints

    def transform(self, results: dict) -> dict:
        results = super().transform(results)
        if self.with_keypoints:
            K = self.num_keypoints
            kpts = [np.asarray(inst.get('keypoints', np.zeros((K, 3))), np.float32).reshape(K, 3)
                    for inst in results.get('instances', [])]
            results['gt_keypoints'] = (np.stack(kpts) if kpts else
                                       np.zeros((0, K, 3), np.float32))
        return results


@TRANSFORMS.register_module()
class WarpKeypoints(BaseTransform):
    """Apply the recorded ``homography_matrix`` to ``gt_keypoints`` (see :func:`warp_keypoints`).
    Put it after the last geometric transform; a missing matrix means identity.

    Args:
        flip_indices (sequence[int]): left/right joint swap (default: PoseTrack18's, which keeps
            slots 1 and 2, head_bottom and head_top, in place; COCO's would swap them as eyes).
    """

    def __init__(self, flip_indices: Sequence[int] = POSETRACK18_FLIP_INDICES) -> None:
        self.flip_indices = list(flip_indices)

    def transform(self, results: dict) -> dict:
        if 'gt_keypoints' not in results:
            return results
        matrix = results.get('homography_matrix')
        if matrix is None:
            matrix = np.eye(3, dtype=np.float32)
        results['gt_keypoints'] = warp_keypoints(results['gt_keypoints'], matrix,
                                                 results['img_shape'], self.flip_indices)
        return results


@TRANSFORMS.register_module()
class PackDetPoseInputs(PackDetInputs):
    """``PackDetInputs`` that also packs ``gt_keypoints`` as ``gt_instances.keypoints``
    ``(N, K, 3)`` (x, y, visibility). Add ``video_id``/``frame_idx`` to ``meta_keys`` for tracking."""

    mapping_table = dict(PackDetInputs.mapping_table, gt_keypoints='keypoints')
