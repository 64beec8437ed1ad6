"""Box transforms of OGN (Zhang et al. 2019).

- :class:`MixDetectedBoxes` (Sec. 3.1.3, "we mix up the predicted boxes and ground truth boxes"):
  at training, with probability ``prob`` the ground-truth box of a person is replaced by a
  detection of the same image that overlaps it (IoU > ``iou_thr``), or, when the image has none
  (or no detections file is given), by a jittered copy of the ground-truth box, so that the pose
  estimator sees the box distribution of the detector it will be tested with.
- :class:`RatioFreeTopdownAffine`: the *non* ratio-consistent crop, the two-stage counterpart of
  Table 4's "ratio consistent ✗" (that table ablates the Mask R-CNN, whose RoIs are extended by
  ``mmpose_track.models.detectors.extend_boxes_to_aspect``): the box is stretched to the input
  size (anisotropic warp). MMPose's own ``TopdownAffine`` *is* the
  ratio-consistent crop (Sec. 3.2 / 4.1 "all ROIs ... are adjusted to a fixed ratio 3:4"): it
  extends the shorter side of the box to the input aspect ratio, never shrinking it.

Both run before ``GetBBoxCenterScale`` / in place of ``TopdownAffine`` respectively; boxes are
``x1, y1, x2, y2`` pixels (``results['bbox']`` of shape ``(1, 4)``).
"""
import os.path as osp
import warnings
from collections import defaultdict
from typing import Dict, Optional

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.datasets.transforms import TopdownAffine
from mmpose.registry import TRANSFORMS
from mmpose.structures.bbox import get_warp_matrix

from mmpose_track.structures.posetrack18_format import read_json
from mmpose_track.tracking.similarity import bbox_iou_matrix

__all__ = ['MixDetectedBoxes', 'RatioFreeTopdownAffine', 'jitter_bbox', 'box_iou']


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one ``(4,)`` x1y1x2y2 box with ``(N, 4)`` boxes, ``(N,)`` float64
    (:func:`mmpose_track.tracking.bbox_iou_matrix`, the package's one IoU)."""
    return bbox_iou_matrix(np.reshape(box, (1, 4)), np.reshape(boxes, (-1, 4)))[0]


def jitter_bbox(bbox: np.ndarray, rng: np.random.Generator, shift: float = 0.1,
                scale: float = 0.15) -> np.ndarray:
    """Detector-like noise on a ``(4,)`` box: centre moved by ``U(-shift, shift)`` of the box
    size, width and height scaled independently by ``U(1 - scale, 1 + scale)``."""
    x1, y1, x2, y2 = bbox
    w, h = x2 - x1, y2 - y1
    cx = (x1 + x2) / 2 + rng.uniform(-shift, shift) * w
    cy = (y1 + y2) / 2 + rng.uniform(-shift, shift) * h
    w = w * rng.uniform(1 - scale, 1 + scale)
    h = h * rng.uniform(1 - scale, 1 + scale)
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dtype=np.float32)


@TRANSFORMS.register_module()
class MixDetectedBoxes(BaseTransform):
    """Replace the ground-truth box by a matched detection or a jittered box (training only).

    Args:
        prob (float): probability of replacing the box of a sample.
        bbox_file (str, optional): COCO-style detections (``image_id``, ``bbox`` xywh, ``score``)
            of the training images (a missing file warns once and falls back to jitter), e.g. ``data_root + 'annotations/posetrack18_train_human_
            detections.json'``. Without it, every replacement is a jittered ground-truth box.
        iou_thr (float): a detection matches the ground truth when ``IoU > iou_thr``.
        min_score (float): detections below this score are ignored.
        shift_jitter, scale_jitter (float): of :func:`jitter_bbox` (the fallback).
        seed (int, optional): seed of the transform's own generator (default: numpy's global
            state, which MMEngine seeds per worker).

    Modified keys: ``bbox`` (and ``bbox_mixed``: ``0`` kept, ``1`` detection, ``2`` jitter).
    """

    def __init__(self,
                 prob: float = 0.5,
                 bbox_file: Optional[str] = None,
                 iou_thr: float = 0.5,
                 min_score: float = 0.0,
                 shift_jitter: float = 0.1,
                 scale_jitter: float = 0.15,
                 seed: Optional[int] = None) -> None:
        super().__init__()
        self.prob = prob
        self.bbox_file = bbox_file
        self.iou_thr = iou_thr
        self.min_score = min_score
        self.shift_jitter = shift_jitter
        self.scale_jitter = scale_jitter
        self.seed = seed
        self._rng = None
        self._dets: Optional[Dict[int, np.ndarray]] = None

    @property
    def rng(self):
        if self._rng is None:
            self._rng = (np.random.default_rng(self.seed) if self.seed is not None else
                         np.random.default_rng(np.random.randint(0, 2**31 - 1)))
        return self._rng

    def _detections(self) -> Dict[int, np.ndarray]:
        if self._dets is None:
            by_img = defaultdict(list)
            if self.bbox_file and not osp.exists(self.bbox_file):
                warnings.warn(f'MixDetectedBoxes: {self.bbox_file} not found; every mixed box '
                              'is a jittered ground-truth box')
            elif self.bbox_file:
                dets = read_json(self.bbox_file, 'detections file')
                for d in dets:
                    if d.get('category_id', 1) != 1 or d.get('score', 1.0) < self.min_score:
                        continue
                    x, y, w, h = d['bbox'][:4]
                    by_img[d['image_id']].append([x, y, x + w, y + h])
            self._dets = {k: np.asarray(v, np.float32) for k, v in by_img.items()}
        return self._dets

    def transform(self, results: Dict) -> Dict:
        results['bbox_mixed'] = 0
        if self.rng.random() >= self.prob:
            return results
        gt = np.asarray(results['bbox'], np.float32).reshape(-1, 4)[0]
        cands = self._detections().get(results.get('img_id'), None)
        if cands is not None and len(cands):
            ious = box_iou(gt, cands)
            ok = np.flatnonzero(ious > self.iou_thr)
            if ok.size:
                results['bbox'] = cands[self.rng.choice(ok)][None].copy()
                results['bbox_mixed'] = 1
                return results
        results['bbox'] = jitter_bbox(gt, self.rng, self.shift_jitter, self.scale_jitter)[None]
        results['bbox_mixed'] = 2
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, bbox_file={self.bbox_file!r}, '
                f'iou_thr={self.iou_thr})')


@TRANSFORMS.register_module()
class RatioFreeTopdownAffine(TopdownAffine):
    """``TopdownAffine`` without the ratio-consistent step: the box (after
    ``GetBBoxCenterScale``'s padding) is warped onto the whole input, width and height scaled
    independently (the two-stage analogue of Table 4 "ratio consistent ✗"). ``input_scale`` keeps the box's own ``(w, h)``
    so the estimator maps keypoints back per axis. No UDP."""

    def __init__(self, input_size, use_udp: bool = False) -> None:
        assert not use_udp, 'RatioFreeTopdownAffine does not support UDP'
        super().__init__(input_size=input_size, use_udp=False)

    def transform(self, results: Dict) -> Optional[dict]:
        w, h = self.input_size
        assert results['bbox_center'].shape[0] == 1, 'single instance only'
        center = results['bbox_center'][0]
        scale = results['bbox_scale'][0]
        rot = results['bbox_rotation'][0] if 'bbox_rotation' in results else 0.
        warp_mat = get_warp_matrix(center, scale, rot, output_size=(w, h),
                                   fix_aspect_ratio=False)
        if isinstance(results['img'], list):
            results['img'] = [cv2.warpAffine(i, warp_mat, (int(w), int(h)),
                                             flags=cv2.INTER_LINEAR) for i in results['img']]
        else:
            results['img'] = cv2.warpAffine(results['img'], warp_mat, (int(w), int(h)),
                                            flags=cv2.INTER_LINEAR)
        if results.get('keypoints', None) is not None:
            tk = results['keypoints'].copy()
            tk[..., :2] = cv2.transform(results['keypoints'][..., :2], warp_mat)
            results['transformed_keypoints'] = tk
        else:
            results['transformed_keypoints'] = np.zeros([])
            results['keypoints_visible'] = np.ones((1, 1, 1))
        results['input_size'] = (w, h)
        results['input_center'] = center
        results['input_scale'] = scale
        return results
