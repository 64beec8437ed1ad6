"""MMDet's ``LinearReIDHead`` without its ``mmpretrain`` requirement (ReID head of OGN's appearance
cue, Zhang et al. 2019, Sec. 4.2)."""
from typing import List, Optional, Tuple, Union

import torch
from mmengine.model import BaseModule
from mmdet.models.reid.linear_reid_head import LinearReIDHead
from mmdet.registry import MODELS

from .builder import build_mmdet_module

__all__ = ['PersonReIDHead']


@MODELS.register_module()
class PersonReIDHead(LinearReIDHead):
    """MMDet's ``LinearReIDHead`` without its ``mmpretrain`` requirement.

    ``fcs`` (``num_fcs`` x FC-BN-ReLU) -> ``fc_out`` (D = ``out_channels``) gives the embedding;
    training adds ``bn`` -> ``classifier`` over ``num_classes`` identities for the cross-entropy
    loss, next to the batch-hard triplet loss on the embedding.
    """

    def __init__(self,
                 num_fcs: int,
                 in_channels: int,
                 fc_channels: int,
                 out_channels: int,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None,
                 num_classes: Optional[int] = None,
                 loss_cls: Optional[dict] = None,
                 loss_triplet: Optional[dict] = None,
                 topk: Union[int, Tuple[int]] = (1, ),
                 init_cfg: Union[dict, List[dict]] = dict(
                     type='Normal', layer='Linear', mean=0, std=0.01, bias=0)):
        BaseModule.__init__(self, init_cfg=init_cfg)  # skips LinearReIDHead's mmpretrain check
        self.topk = (topk, ) if isinstance(topk, int) else tuple(topk)
        if loss_cls is None and loss_triplet is None:
            raise ValueError('choose at least one of loss_cls and loss_triplet')
        if loss_cls is not None and not isinstance(num_classes, int):
            raise TypeError('num_classes (number of identities) is needed with loss_cls')
        self.loss_cls = build_mmdet_module(loss_cls)
        self.loss_triplet = build_mmdet_module(loss_triplet)
        self.num_fcs = num_fcs
        self.in_channels = in_channels
        self.fc_channels = fc_channels
        self.out_channels = out_channels
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        self.num_classes = num_classes
        self._init_layers()

    def loss_by_feat(self, feats: torch.Tensor, data_samples) -> dict:
        losses = dict()
        gt_label = torch.cat([s.gt_label.label.reshape(-1) for s in data_samples])
        gt_label = gt_label.to(feats.device).long()
        if self.loss_triplet:
            losses['triplet_loss'] = self.loss_triplet(feats, gt_label)
        if self.loss_cls:
            cls_score = self.classifier(self.bn(feats))
            losses['ce_loss'] = self.loss_cls(cls_score, gt_label)
            with torch.no_grad():
                maxk = min(max(self.topk), cls_score.size(1))
                pred = cls_score.topk(maxk, dim=1).indices
                hit = pred == gt_label[:, None]
                for k in self.topk:
                    losses[f'accuracy_top-{k}'] = hit[:, :k].any(1).float().mean() * 100
        return losses
