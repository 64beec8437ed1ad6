"""Offset-guided Mask R-CNN (OGN, Zhang et al. 2019, Sec. 3.2, Fig. 2, Table 4).

An MMDet two-stage detector whose RoI head has, besides the box branch, a keypoint branch:

1. *Ratio-consistent* RoIs: every person RoI is extended about its centre to one fixed aspect
   ratio (the shorter side grows, nothing shrinks) before RoI-Align, so the keypoint features are
   never stretched (Sec. 3.2; Sec. 4.2.1: "the ratio of ROIs ... is extended to 352x256").
   :func:`extend_boxes_to_aspect`.
2. Mask R-CNN's keypoint head (He et al. 2017: 8 conv3x3-512, a 4x4 stride-2 deconv, a 2x bilinear
   upsampling; RoI 14x14 -> 56x56) predicting a *score map* (K channels) and an *offset map*
   (2K channels), :class:`OGNKeypointHead`.
3. Targets and decoding are those of the two-stage OGN (Eq. 1-4,
   :func:`~mmpose_track.codecs.offset_heatmap_targets` / ``decode_offset_heatmaps``) in the
   heatmap grid laid over the (extended) RoI: heatmap pixel ``i`` is the centre of bin ``i``,
   ``u = (x - x1) / (x2 - x1) * W - 0.5``.
4. Loss types of Table 4: ``softmax`` (Mask R-CNN's spatial cross-entropy, rows FAIR / a / b,
   :class:`~mmpose_track.models.losses.SpatialSoftmaxLoss`) or ``Smooth L1`` on the score map
   (row c, as the two-stage OGN); the offsets always by Smooth L1 inside the disks; summed
   without weights (Sec. 3.1.4).

Keypoint scores: the smoothed score-map maximum (Smooth L1 maps regress the 0/1 disk); for a
softmax head, the probability mass inside the disk of radius R around the prediction (a value in
[0, 1], where Mask R-CNN's raw logit is not). The paper does not say; chosen so that both heads
feed the same ``box score x pose score`` and joint thresholds downstream.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.utils import unpack_gt_instances
from mmdet.registry import MODELS
from mmdet.structures.bbox import bbox2roi
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmpose_track.codecs import decode_offset_heatmaps, offset_heatmap_targets

__all__ = ['extend_boxes_to_aspect', 'boxes_to_heatmap_coords', 'heatmap_coords_to_image',
           'OGNKeypointHead', 'OGNKeypointRoIHead']


def extend_boxes_to_aspect(boxes: Tensor, aspect: float) -> Tensor:
    """Ratio-consistent RoIs: ``(N, 4)`` x1y1x2y2 boxes extended about their centres to
    ``width / height == aspect`` by growing the shorter side (OGN Sec. 3.2)."""
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    w = (boxes[:, 2] - boxes[:, 0]).clamp(min=1e-3)
    h = (boxes[:, 3] - boxes[:, 1]).clamp(min=1e-3)
    w, h = torch.maximum(w, h * aspect), torch.maximum(h, w / aspect)
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)


def boxes_to_heatmap_coords(points: Tensor, boxes: Tensor, heatmap_size: Tuple[int, int]) -> Tensor:
    """Image points ``(N, K, 2)`` into the ``(W, H)`` heatmap grid over ``(N, 4)`` boxes (bin
    ``i`` centred at heatmap coordinate ``i``)."""
    W, H = heatmap_size
    wh = (boxes[:, 2:] - boxes[:, :2]).clamp(min=1e-3)
    scale = points.new_tensor([W, H]) / wh
    return (points - boxes[:, None, :2]) * scale[:, None] - 0.5


def heatmap_coords_to_image(coords: Tensor, boxes: Tensor, heatmap_size: Tuple[int, int]) -> Tensor:
    """Inverse of :func:`boxes_to_heatmap_coords`."""
    W, H = heatmap_size
    wh = (boxes[:, 2:] - boxes[:, :2]).clamp(min=1e-3)
    return boxes[:, None, :2] + (coords + 0.5) * (wh / coords.new_tensor([W, H]))[:, None]


@MODELS.register_module()
class OGNKeypointHead(BaseModule):
    """Keypoint branch of the offset-guided Mask R-CNN: convs, then a deconv + 2x upsampling to a
    K-channel score map and (``use_offset``) a 2K-channel offset map (units of R).

    Args:
        num_keypoints (int): K.
        in_channels (int): RoI feature channels (the FPN's).
        roi_feat_size (tuple): RoI-Align output ``(h, w)``; (14, 14) as Mask R-CNN, (22, 16)
            (the 352x256 aspect) when ratio-consistent.
        num_convs, conv_out_channels: the conv trunk (Mask R-CNN: 8 x 512).
        upsample_factor (int): bilinear upsampling after the stride-2 deconv (Mask R-CNN: 2), so
            the heatmap is ``roi_feat_size * 2 * upsample_factor``.
        radius (float): disk radius R in heatmap pixels (Eq. 1-2). Not given by the paper; the
            configs keep it at ~7 % of the RoI height (G-RMI's 25 px on a 353 px crop).
        use_offset (bool): predict offsets and decode with them (Eq. 4); False is Table 4 "FAIR".
        blur_kernel (int): Gaussian smoothing of the score maps before the argmax (odd, 0 none).
        loss_heatmap (dict): ``mmpose.SmoothL1Loss(use_target_weight=True)`` (Table 4 c) or
            ``mmpose.SpatialSoftmaxLoss`` ("softmax", rows FAIR, a, b): MMPose-registry losses
            (MMDet's own ``SmoothL1Loss`` has another signature), hence the scope prefix.
        loss_offset (dict): ``mmpose.MaskedSmoothL1Loss`` (inside the disks).
    """

    def __init__(self,
                 num_keypoints: int = 17,
                 in_channels: int = 256,
                 roi_feat_size: Sequence[int] = (14, 14),
                 num_convs: int = 8,
                 conv_out_channels: int = 512,
                 upsample_factor: int = 2,
                 radius: float = 4.0,
                 use_offset: bool = True,
                 blur_kernel: int = 3,
                 loss_heatmap: dict = dict(type='mmpose.SmoothL1Loss', use_target_weight=True),
                 loss_offset: dict = dict(type='mmpose.MaskedSmoothL1Loss'),
                 init_cfg: Optional[dict] = dict(
                     type='Kaiming', layer=['Conv2d', 'ConvTranspose2d'], mode='fan_out',
                     nonlinearity='relu', distribution='normal')) -> None:
        super().__init__(init_cfg=init_cfg)
        if radius <= 0:
            raise ValueError(f'radius must be > 0, got {radius}')
        self.num_keypoints = num_keypoints
        self.roi_feat_size = tuple(roi_feat_size)
        self.upsample_factor = int(upsample_factor)
        self.radius = float(radius)
        self.use_offset = bool(use_offset)
        self.blur_kernel = blur_kernel
        h, w = self.roi_feat_size
        self.heatmap_size = (w * 2 * self.upsample_factor, h * 2 * self.upsample_factor)  # (W, H)
        layers, c = [], in_channels
        for _ in range(num_convs):
            layers += [nn.Conv2d(c, conv_out_channels, 3, padding=1), nn.ReLU(inplace=True)]
            c = conv_out_channels
        self.convs = nn.Sequential(*layers)
        self.heatmap_deconv = nn.ConvTranspose2d(c, num_keypoints, 4, stride=2, padding=1)
        self.offset_deconv = (nn.ConvTranspose2d(c, 2 * num_keypoints, 4, stride=2, padding=1)
                              if self.use_offset else None)
        self.loss_heatmap = MODELS.build(loss_heatmap)
        self.loss_offset = MODELS.build(loss_offset) if self.use_offset else None
        self.softmax_scores = type(self.loss_heatmap).__name__ == 'SpatialSoftmaxLoss'

    def _up(self, x: Tensor) -> Tensor:
        if self.upsample_factor == 1:
            return x
        return F.interpolate(x, scale_factor=self.upsample_factor, mode='bilinear',
                             align_corners=False)

    def forward(self, x: Tensor) -> Tuple[Tensor, Optional[Tensor]]:
        """``(N, C, h, w)`` RoI features -> ``(N, K, H, W)`` score maps and ``(N, 2K, H, W)``
        offsets (None without the offset branch)."""
        x = self.convs(x)
        heatmaps = self._up(self.heatmap_deconv(x))
        offsets = self._up(self.offset_deconv(x)) if self.use_offset else None
        return heatmaps, offsets

    def loss(self, heatmaps: Tensor, offsets: Optional[Tensor], rois: Tensor,
             gt_keypoints: Tensor) -> dict:
        """Losses of ``P`` positive RoIs (``rois`` ``(P, 4)``, already extended) against their
        ground-truth people's keypoints ``(P, K, 3)`` (x, y, visibility) in image pixels."""
        coords = boxes_to_heatmap_coords(gt_keypoints[..., :2], rois, self.heatmap_size)
        t = offset_heatmap_targets(coords, (gt_keypoints[..., 2] > 0).to(heatmaps),
                                   self.heatmap_size, self.radius)
        kw = t['keypoint_weights']
        losses = dict(loss_keypoint=self.loss_heatmap(heatmaps, t['heatmaps'], kw))
        if self.use_offset:
            w = t['offset_weights'] * kw.repeat_interleave(2, dim=1)[..., None, None]
            losses['loss_keypoint_offset'] = self.loss_offset(offsets, t['offsets'], w)
        return losses

    @torch.no_grad()
    def predict(self, heatmaps: Tensor, offsets: Optional[Tensor], rois: Tensor
                ) -> Tuple[Tensor, Tensor]:
        """Keypoints ``(N, K, 2)`` in the image frame of ``rois`` ``(N, 4)`` and scores
        ``(N, K)`` (Eq. 3-4 in the RoI's heatmap grid)."""
        N, K, H, W = heatmaps.shape
        maps = heatmaps.float()
        if self.softmax_scores:
            maps = F.softmax(maps.reshape(N, K, -1), -1).reshape(N, K, H, W)
        coords, scores, idx = decode_offset_heatmaps(
            maps, offsets.float() if offsets is not None else None, self.radius, self.blur_kernel)
        if self.softmax_scores and N:
            ys = torch.arange(H, device=maps.device, dtype=maps.dtype)[:, None]
            xs = torch.arange(W, device=maps.device, dtype=maps.dtype)
            px = (idx % W).to(maps.dtype)[..., None, None]
            py = torch.div(idx, W, rounding_mode='floor').to(maps.dtype)[..., None, None]
            disk = (xs - px)**2 + (ys - py)**2 <= self.radius**2
            scores = (maps * disk).sum((-2, -1))
        return heatmap_coords_to_image(coords, rois, self.heatmap_size), scores


@MODELS.register_module()
class OGNKeypointRoIHead(StandardRoIHead):
    """``StandardRoIHead`` with the keypoint branch of the offset-guided Mask R-CNN.

    Args:
        keypoint_roi_extractor (dict): e.g. ``SingleRoIExtractor`` with ``RoIAlign`` whose
            ``output_size`` equals the keypoint head's ``roi_feat_size``.
        keypoint_head (dict): :class:`OGNKeypointHead`.
        ratio_consistent (bool): extend the RoIs to the aspect of ``roi_feat_size`` (``w / h``)
            before RoI-Align, in training and testing (Table 4 "Ratio Consistent").
        other args: as ``StandardRoIHead`` (box branch; ``mask_*`` must stay unset).

    Predictions add ``keypoints`` ``(N, K, 2)`` and ``keypoint_scores`` ``(N, K)`` to MMDet's
    ``bboxes``/``scores``/``labels``, in the same frame as the boxes.
    """

    def __init__(self, keypoint_roi_extractor: dict, keypoint_head: dict,
                 ratio_consistent: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.keypoint_roi_extractor = MODELS.build(keypoint_roi_extractor)
        self.keypoint_head = MODELS.build(keypoint_head)
        self.ratio_consistent = bool(ratio_consistent)
        h, w = self.keypoint_head.roi_feat_size
        self.aspect = w / h

    def _keypoint_rois(self, boxes: List[Tensor]) -> Tensor:
        rois = bbox2roi(boxes)
        if self.ratio_consistent and len(rois):
            rois = torch.cat([rois[:, :1], extend_boxes_to_aspect(rois[:, 1:], self.aspect)], 1)
        return rois

    def _keypoint_forward(self, x: Tuple[Tensor], rois: Tensor):
        feats = self.keypoint_roi_extractor(x[:self.keypoint_roi_extractor.num_inputs], rois)
        return self.keypoint_head(feats)

    def loss(self, x: Tuple[Tensor], rpn_results_list, batch_data_samples) -> dict:
        """Box losses as ``StandardRoIHead`` plus the keypoint losses on the positive RoIs."""
        assert len(rpn_results_list) == len(batch_data_samples)
        batch_gt_instances, batch_gt_instances_ignore, _ = unpack_gt_instances(batch_data_samples)
        sampling_results = []
        for i in range(len(batch_data_samples)):
            rpn_results = rpn_results_list[i]
            rpn_results.priors = rpn_results.pop('bboxes')
            assign_result = self.bbox_assigner.assign(rpn_results, batch_gt_instances[i],
                                                      batch_gt_instances_ignore[i])
            sampling_results.append(self.bbox_sampler.sample(
                assign_result, rpn_results, batch_gt_instances[i],
                feats=[lvl_feat[i][None] for lvl_feat in x]))
        losses = dict(self.bbox_loss(x, sampling_results)['loss_bbox'])
        losses.update(self.keypoint_loss(x, sampling_results, batch_gt_instances))
        return losses

    def keypoint_loss(self, x: Tuple[Tensor], sampling_results, batch_gt_instances) -> dict:
        for gt in batch_gt_instances:
            if 'keypoints' not in gt:
                raise KeyError('gt_instances lack keypoints: load them with '
                               'LoadAnnotationsWithKeypoints, WarpKeypoints, PackDetPoseInputs')
        rois = self._keypoint_rois([res.pos_priors for res in sampling_results])
        if len(rois) == 0:  # no positive RoI in the batch: a zero loss that keeps the graph
            zero = sum(p.sum() for p in self.keypoint_head.parameters()) * 0.
            out = dict(loss_keypoint=zero)
            if self.keypoint_head.use_offset:
                out['loss_keypoint_offset'] = zero
            return out
        gt_kpts = torch.cat([gt.keypoints[res.pos_assigned_gt_inds].to(rois)
                             for res, gt in zip(sampling_results, batch_gt_instances)])
        heatmaps, offsets = self._keypoint_forward(x, rois)
        return self.keypoint_head.loss(heatmaps, offsets, rois[:, 1:], gt_kpts)

    def predict(self, x: Tuple[Tensor], rpn_results_list, batch_data_samples,
                rescale: bool = False):
        metas = [s.metainfo for s in batch_data_samples]
        results_list = self.predict_bbox(x, metas, rpn_results_list,
                                         rcnn_test_cfg=self.test_cfg, rescale=False)
        results_list = self.predict_keypoints(x, results_list)
        if rescale:
            for res, meta in zip(results_list, metas):
                s = res.bboxes.new_tensor(meta['scale_factor'])  # (w_scale, h_scale)
                res.bboxes = res.bboxes / s.repeat(2)
                res.keypoints = res.keypoints / s
        return results_list

    def predict_keypoints(self, x: Tuple[Tensor], results_list):
        """Add ``keypoints``/``keypoint_scores`` to each image's detections (input frame)."""
        K = self.keypoint_head.num_keypoints
        rois = self._keypoint_rois([res.bboxes for res in results_list])
        if len(rois) == 0:
            for res in results_list:
                res.keypoints = res.bboxes.new_zeros((0, K, 2))
                res.keypoint_scores = res.bboxes.new_zeros((0, K))
            return results_list
        heatmaps, offsets = self._keypoint_forward(x, rois)
        kpts, scores = self.keypoint_head.predict(heatmaps, offsets, rois[:, 1:])
        sizes = [len(res) for res in results_list]
        for res, k, s in zip(results_list, kpts.split(sizes), scores.split(sizes)):
            res.keypoints = k
            res.keypoint_scores = s
        return results_list
