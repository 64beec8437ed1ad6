"""Losses of the Offset-guided Network (OGN, Zhang et al. 2019).

- :class:`MaskedSmoothL1Loss`: the Smooth L1 of the offset branch, computed only inside the disks
  of radius R around the keypoints (Sec. 3.1.2: "the offset loss is only computed within a disk of
  radius R from each keypoint"), averaged over the disk elements. The heatmap branch uses MMPose's
  ``SmoothL1Loss(use_target_weight=True)`` over the whole map (Sec. 3.1.3 / 3.1.4: Smooth L1 for
  both branches, simply added).
- :class:`SpatialSoftmaxLoss`: the "softmax" loss type of Table 4 rows FAIR, a, b (Mask R-CNN's
  keypoint loss: cross-entropy of a softmax over the H x W positions of each keypoint's map). The
  target distribution is the OGN disk normalised to sum 1 (Mask R-CNN's one-hot label spread over
  the disk so that it matches the offset branch's support).
"""
import torch
import torch.nn.functional as F
from mmpose.registry import MODELS
from torch import Tensor, nn

__all__ = ['MaskedSmoothL1Loss', 'SpatialSoftmaxLoss']


@MODELS.register_module()
class MaskedSmoothL1Loss(nn.Module):
    """Smooth L1 averaged over the elements where ``mask > 0`` (0 when the mask is empty).

    Args:
        beta (float): Smooth L1 transition point (``F.smooth_l1_loss``'s ``beta``).
        loss_weight (float): multiplier (the paper sums the two branches: 1).
    """

    def __init__(self, beta: float = 1.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.beta = beta
        self.loss_weight = loss_weight

    def forward(self, output: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        mask = mask.to(output.dtype)
        loss = F.smooth_l1_loss(output, target, reduction='none', beta=self.beta) * mask
        return loss.sum() / mask.sum().clamp(min=1.0) * self.loss_weight


@MODELS.register_module()
class SpatialSoftmaxLoss(nn.Module):
    """Cross-entropy of a spatial softmax per keypoint map (Mask R-CNN keypoint loss).

    ``output``/``target``: ``(B, K, H, W)``; ``target_weight``: ``(B, K)``. Each target map is
    normalised to a distribution; maps with no mass or zero weight do not count. Averaged over the
    counted maps.
    """

    def __init__(self, use_target_weight: bool = True, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.use_target_weight = use_target_weight
        self.loss_weight = loss_weight

    def forward(self, output: Tensor, target: Tensor, target_weight: Tensor = None) -> Tensor:
        B, K = output.shape[:2]
        logp = F.log_softmax(output.reshape(B, K, -1), dim=-1)
        t = target.reshape(B, K, -1).to(logp.dtype)
        mass = t.sum(-1)
        t = t / mass.clamp(min=1e-12)[..., None]
        w = (mass > 0).to(logp.dtype)
        if self.use_target_weight and target_weight is not None:
            w = w * target_weight.reshape(B, K).to(logp.dtype)
        ce = -(t * logp).sum(-1)
        return (ce * w).sum() / w.sum().clamp(min=1.0) * self.loss_weight
