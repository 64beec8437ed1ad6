"""ST-Embed's Human Embedding (HE) branch of TemporalNet (Jin et al. 2019, Sec. 3.3.1, Eq. 6;
supplementary Sec. 1.2, Fig. 2).

RoI-Align on the shared low-level (stem) feature maps over each person's box, ResNet-50
res5-style bottleneck blocks (res5a, res5b, res5c), global average pooling (GAP) of every block:
GAP(res5a) ++ GAP(res5b) -> a fully connected layer to the 1024-d mid-level feature (the
"devil is in the middle" fusion of [11] in the supplementary), concatenated with GAP(res5c)
(2048-d) into the 3072-d human embedding ``H``. Trained with the triplet loss of Eq. 6
(:func:`human_embedding_triplet_loss`).
"""
import copy
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule, initialize
from mmpose.models.backbones.resnet import Bottleneck, ResLayer
from mmpose.registry import MODELS
from torch import Tensor

__all__ = ['HumanEmbeddingHead', 'human_embedding_triplet_loss']


def human_embedding_triplet_loss(embeddings: Tensor,
                                 instance_ids: Tensor,
                                 margin: float = 0.3,
                                 reduction: str = 'mean') -> Tensor:
    r"""Triplet loss of ST-Embed Eq. 6 over every (anchor, positive, negative) triplet.

    .. math::
        L_{HE} = \sum_{k_1 = k_2,\ k_1 \ne k_3}
                 \max(0, \|H_{k_1} - H_{k_2}\|_2^2 - \|H_{k_1} - H_{k_3}\|_2^2 + \alpha)

    with *squared* Euclidean distances, ``k_1 = k_2`` meaning two different rows of the same
    instance (a row is never its own positive) and ``k_3`` a row of another instance. Every
    triplet is used (no mining), as the equation sums over all of them.

    Why not MMDet's ``TripletLoss``: it mines the hardest positive and negative per anchor
    (batch-hard, Hermans et al.), uses the *non-squared* distance, loops in Python over the
    anchors, and fails on an anchor without negatives (a frame with one person); Eq. 6 is none
    of these.

    Computed without the ``(R, R, R)`` triplet tensor: per anchor the negative distances are
    sorted once; for a positive with threshold ``t = d_ap + alpha`` the sum over negatives of
    ``max(0, t - d_an)`` is ``count(d_an < t) * t - sum_{d_an < t} d_an``, read off a cumulative
    sum with ``searchsorted``: ``O(R^2 log R)`` time and ``O(R^2)`` memory, differentiable
    through ``d_ap`` and the sorted ``d_an``.

    Args:
        embeddings (Tensor): ``(R, D)`` human embeddings.
        instance_ids (Tensor): ``(R,)`` integer identities (e.g. track ids made unique over the
            batch); rows with a negative id are ignored.
        margin (float): ``alpha`` (0.3 in the paper).
        reduction (str): ``'mean'`` over the valid triplets (default; the printed sum grows
            with the number of people in the batch) or ``'sum'`` (Eq. 6 as printed).

    Returns:
        Tensor: scalar loss; 0 (connected to ``embeddings``) when there is no valid triplet.
    """
    if embeddings.dim() != 2:
        raise ValueError(f'human_embedding_triplet_loss: embeddings must be (R, D), got '
                         f'{tuple(embeddings.shape)}')
    if instance_ids.shape != embeddings.shape[:1]:
        raise ValueError(f'human_embedding_triplet_loss: instance_ids must be '
                         f'({embeddings.size(0)},), got {tuple(instance_ids.shape)}')
    if reduction not in ('mean', 'sum'):
        raise ValueError(f'human_embedding_triplet_loss: reduction must be mean or sum, '
                         f'got {reduction!r}')
    zero = embeddings.sum() * 0.0
    keep = instance_ids >= 0
    if not bool(keep.all()):
        embeddings, instance_ids = embeddings[keep], instance_ids[keep]
    R = embeddings.size(0)
    if R < 3:
        return zero
    x = embeddings.to(torch.promote_types(embeddings.dtype, torch.float32))
    sq = (x * x).sum(1)
    dist = (sq[:, None] + sq[None, :] - 2.0 * (x @ x.t())).clamp(min=0.0)  # (R, R) squared L2
    same = instance_ids[:, None] == instance_ids[None, :]
    eye = torch.eye(R, dtype=torch.bool, device=x.device)
    pos = same & ~eye  # (anchor, positive)
    neg = ~same  # (anchor, negative)
    if not bool(pos.any()) or not bool(neg.any()):
        return zero
    big = torch.finfo(dist.dtype).max
    neg_sorted, _ = torch.where(neg, dist, torch.full_like(dist, big)).sort(dim=1)
    finite = neg_sorted < big
    csum = torch.cat([dist.new_zeros((R, 1)),
                      torch.where(finite, neg_sorted, torch.zeros_like(neg_sorted)).cumsum(1)], 1)
    thr = dist + margin  # (R, R): threshold of anchor a with positive p
    cnt = torch.searchsorted(neg_sorted.detach().contiguous(), thr.detach().contiguous())
    cnt = torch.minimum(cnt, finite.sum(1, keepdim=True))
    per_pair = cnt.to(thr.dtype) * thr - csum.gather(1, cnt)  # (R, R)
    total = (per_pair * pos).sum()
    if reduction == 'sum':
        return total.to(embeddings.dtype) + zero
    num_triplets = (pos.sum(1) * neg.sum(1)).sum().clamp(min=1)
    return (total / num_triplets).to(embeddings.dtype) + zero


@MODELS.register_module()
class HumanEmbeddingHead(BaseModule):
    """ST-Embed HE branch: RoI-Align -> res5 blocks -> GAP mid + high level -> ``H``.

    RoI-Align uses ``mmcv.ops.RoIAlign`` (CPU and, where mmcv was built with CUDA ops, CUDA);
    ``roi_op='torchvision'`` uses ``torchvision.ops.roi_align`` instead (same numbers with
    ``aligned=True``: the CUDA alternative when mmcv lacks compiled CUDA ops).

    The res5 blocks are MMPose's ``ResLayer`` of ``Bottleneck`` blocks (ResNet-50's ``layer4``
    with the default channels; the first block strides by ``res5_stride``). The paper initialises
    them from an ImageNet ResNet-50: ``res5_init_cfg=dict(type='Pretrained',
    checkpoint='torchvision://resnet50', prefix='layer4.')`` (loaded in :meth:`init_weights`;
    with ``in_channels != 1024`` the shape-mismatched ``res5a`` input convs stay random, logged by
    MMEngine).

    Output: ``embed_dims = mid_channels + res5_channels`` (1024 + 2048 = 3072).

    Args:
        in_channels (int): channels of the low-level features (256 in the paper).
        res5_channels (int): output channels of every res5 block (2048; bottleneck width / 4).
        num_blocks (int): res5 blocks (3: res5a, res5b, res5c); GAP of all but the last feeds
            the mid-level fc.
        mid_channels (int): the mid-level fc output (1024).
        roi_output_size (tuple[int, int]): RoI-Align output ``(h, w)``.
        spatial_scale (float): feature px per box px (1 / stride of the features when boxes
            are in input pixels; 1 when boxes are in feature-map pixels).
        sampling_ratio (int): RoI-Align samples per bin (0: adaptive).
        aligned (bool): RoI-Align's half-pixel alignment (as Detectron2 / MMDet).
        res5_stride (int): stride of res5a.
        roi_op (str): ``'mmcv'`` or ``'torchvision'``.
        margin (float): triplet margin ``alpha`` (0.3).
        loss_weight (float): weight of ``loss_he``.
        reduction (str): triplet reduction, see :func:`human_embedding_triplet_loss`.
        normalize (bool): apply Eq. 6 to L2-normalised embeddings (not in the paper, whose ``H``
            is unnormalised; with a random init the raw distances often exceed the margin
            already, while the tracker compares normalised embeddings by default).
        norm_cfg (dict): norm of the res5 blocks.
        res5_init_cfg (dict, optional): init of the res5 blocks only (ImageNet, see above).
        init_cfg (dict | list[dict], optional): MMEngine init of the whole head.
    """

    def __init__(self,
                 in_channels: int = 256,
                 res5_channels: int = 2048,
                 num_blocks: int = 3,
                 mid_channels: int = 1024,
                 roi_output_size: Sequence[int] = (16, 8),
                 spatial_scale: float = 1.0,
                 sampling_ratio: int = 0,
                 aligned: bool = True,
                 res5_stride: int = 2,
                 roi_op: str = 'mmcv',
                 margin: float = 0.3,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean',
                 normalize: bool = False,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 res5_init_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if num_blocks < 2:
            raise ValueError(f'{type(self).__name__}: num_blocks must be >= 2 (mid-level GAP of '
                             f'all but the last block), got {num_blocks}')
        if roi_op not in ('mmcv', 'torchvision'):
            raise ValueError(f'{type(self).__name__}: roi_op must be "mmcv" or "torchvision", '
                             f'got {roi_op!r}')
        self.in_channels = in_channels
        self.res5_channels = res5_channels
        self.num_blocks = num_blocks
        self.mid_channels = mid_channels
        self.roi_output_size = tuple(int(s) for s in roi_output_size)
        self.spatial_scale = float(spatial_scale)
        self.sampling_ratio = int(sampling_ratio)
        self.aligned = bool(aligned)
        self.roi_op = roi_op
        self.margin = float(margin)
        self.loss_weight = float(loss_weight)
        self.reduction = reduction
        self.normalize = bool(normalize)
        self.res5_init_cfg = copy.deepcopy(res5_init_cfg)
        self.embed_dims = mid_channels + res5_channels

        if roi_op == 'mmcv':
            from mmcv.ops import RoIAlign
            self.roi_align = RoIAlign(self.roi_output_size, self.spatial_scale,
                                      sampling_ratio=self.sampling_ratio, aligned=self.aligned)
        else:
            self.roi_align = None
        self.res5 = ResLayer(Bottleneck, num_blocks, in_channels, res5_channels,
                             stride=res5_stride, norm_cfg=copy.deepcopy(norm_cfg))
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.mid_fc = nn.Linear(res5_channels * (num_blocks - 1), mid_channels)

    def init_weights(self):
        super().init_weights()
        if self.res5_init_cfg is not None:
            initialize(self.res5, self.res5_init_cfg)

    def extract_rois(self, feats: Tensor, rois: Tensor) -> Tensor:
        """RoI-Align ``(R, C, h, w)`` of ``rois`` ``(R, 5)`` ``[batch_idx, x1, y1, x2, y2]``."""
        if self.roi_op == 'mmcv':
            return self.roi_align(feats, rois.to(feats.dtype))
        from torchvision.ops import roi_align
        return roi_align(feats, rois.to(feats.dtype), self.roi_output_size, self.spatial_scale,
                         self.sampling_ratio if self.sampling_ratio > 0 else -1, self.aligned)

    def forward(self, feats: Tensor, rois: Tensor) -> Tensor:
        """Human embeddings of the boxes.

        Args:
            feats (Tensor): ``(B, C, H, W)`` low-level features.
            rois (Tensor): ``(R, 5)`` ``[batch_idx, x1, y1, x2, y2]``, box coordinates such
                that ``coord * spatial_scale`` is in feature-map px.

        Returns:
            Tensor: ``(R, mid_channels + res5_channels)`` ``[mid-level fc | GAP(res5c)]``;
            ``(0, D)`` when ``R = 0``.
        """
        if feats.dim() != 4 or feats.size(1) != self.in_channels:
            raise ValueError(f'{type(self).__name__}: feats must be (B, {self.in_channels}, H, W),'
                             f' got {tuple(feats.shape)}')
        if rois.dim() != 2 or rois.size(1) != 5:
            raise ValueError(f'{type(self).__name__}: rois must be (R, 5) [batch_idx, x1, y1, '
                             f'x2, y2], got {tuple(rois.shape)}')
        if rois.size(0) == 0:
            return feats.new_zeros((0, self.embed_dims)) + self.mid_fc.bias.sum() * 0.0
        x = self.extract_rois(feats, rois)
        pooled = []
        for block in self.res5:
            x = block(x)
            pooled.append(self.gap(x).flatten(1))
        mid = self.mid_fc(torch.cat(pooled[:-1], dim=1))
        return torch.cat([mid, pooled[-1]], dim=1)

    def loss(self, embeddings: Tensor, instance_ids: Tensor) -> Dict[str, Tensor]:
        """``dict(loss_he=...)``: Eq. 6 (:func:`human_embedding_triplet_loss`) x ``loss_weight``
        (on L2-normalised embeddings with ``normalize``).

        Args:
            embeddings (Tensor): ``(R, D)`` from :meth:`forward`.
            instance_ids (Tensor): ``(R,)`` identities unique over the batch (negative: ignored).
        """
        if self.normalize:
            embeddings = nn.functional.normalize(embeddings, dim=1)
        loss = human_embedding_triplet_loss(embeddings, instance_ids, self.margin,
                                            self.reduction)
        return dict(loss_he=loss * self.loss_weight)

