"""Person re-identification model for OGN's appearance cue (Zhang et al. 2019, Sec. 4.2).

MMDet 3.3's ``BaseReID``, ``LinearReIDHead`` and ``ReIDDataPreprocessor`` refuse to build without
``mmpretrain`` (they subclass / import its classifier and accuracy), which this stack does not pin.
These classes keep MMDet's ReID design and reuse its parts:

- :class:`PersonReID`: ``backbone -> neck -> head`` like ``BaseReID``; the backbone is any MMDet
  backbone (``ResNet``), the neck MMDet's ``GlobalAveragePooling``;
- :class:`PersonReIDHead`: MMDet's ``LinearReIDHead`` (same layers, ``forward``/``predict``,
  state-dict keys) trained with MMDet's ``TripletLoss`` (batch-hard) and ``CrossEntropyLoss``;
  only its ``mmpretrain`` check and top-k accuracy are replaced;
- :class:`PersonReIDDataPreprocessor`: ``ReIDDataPreprocessor`` without batch augments: stacks
  the ``(P*K, C, H, W)`` triplet batches of ``PackReIDInputs``, BGR->RGB, normalises.

All register into MMDet's ``MODELS`` (ReID configs use ``default_scope='mmdet'``).
``forward(mode='tensor')`` returns the ``(N, D)`` embeddings.
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseDataPreprocessor, BaseModel, BaseModule
from mmengine.registry import DefaultScope
from mmdet.models.reid.linear_reid_head import LinearReIDHead
from mmdet.registry import MODELS


def _build(cfg):
    """Build an MMDet module whatever the caller's default scope (MMPose configs use 'mmpose')."""
    if cfg is None or isinstance(cfg, nn.Module):
        return cfg
    with DefaultScope.overwrite_default_scope('mmdet'):
        return MODELS.build(cfg)


@MODELS.register_module()
class PersonReIDDataPreprocessor(BaseDataPreprocessor):
    """Stack ReID crops into ``(N, C, H, W)``, convert BGR to RGB, normalise.

    Accepts ``PackReIDInputs`` outputs: each sample ``(n, C, H, W)`` (``n = P*K`` with the triplet
    sampler, 1 without), as a list (``pseudo_collate``) or a stacked ``(B, n, C, H, W)`` tensor.
    """

    def __init__(self, mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375), to_rgb: bool = True) -> None:
        super().__init__()
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1), False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(-1, 1, 1), False)
        self.to_rgb = bool(to_rgb)

    def normalize(self, inputs: torch.Tensor) -> torch.Tensor:
        """``(N, C, H, W)`` raw BGR (0-255) -> network input."""
        inputs = inputs.float()
        if self.to_rgb and inputs.size(1) == 3:
            inputs = inputs.flip(1)
        return (inputs - self.mean) / self.std

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            inputs = torch.cat([x if x.dim() == 4 else x[None] for x in inputs], 0)
        elif inputs.dim() == 5:
            inputs = inputs.flatten(0, 1)
        return dict(inputs=self.normalize(inputs), data_samples=data.get('data_samples'))


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
        self.loss_cls = _build(loss_cls)
        self.loss_triplet = _build(loss_triplet)
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


@MODELS.register_module()
class PersonReID(BaseModel):
    """Re-identification network (MMDet ``BaseReID`` layout): backbone -> neck -> head.

    Args:
        backbone (dict): MMDet backbone, e.g. ``dict(type='ResNet', depth=50, out_indices=(3, ))``.
        neck (dict, optional): e.g. ``dict(type='GlobalAveragePooling')``.
        head (dict): :class:`PersonReIDHead` (or MMDet's ``LinearReIDHead`` where mmpretrain is
            installed).
        data_preprocessor (dict, optional): :class:`PersonReIDDataPreprocessor` by default.
    """

    def __init__(self, backbone: dict, neck: Optional[dict] = None, head: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None, init_cfg=None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='PersonReIDDataPreprocessor')
        super().__init__(data_preprocessor=_build(data_preprocessor), init_cfg=init_cfg)
        self.backbone = _build(backbone)
        self.neck = _build(neck)
        self.head = _build(head)

    def extract_feat(self, inputs: torch.Tensor):
        x = self.backbone(inputs)
        return self.neck(x) if self.neck is not None else x

    def embed(self, inputs: torch.Tensor) -> torch.Tensor:
        """``(N, C, H, W)`` normalised crops -> ``(N, D)`` embeddings."""
        return self.head(self.extract_feat(inputs))

    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = 'tensor'):
        if inputs.dim() == 5:
            inputs = inputs.flatten(0, 1)
        if mode == 'tensor':
            return self.embed(inputs)
        feats = self.extract_feat(inputs)
        if mode == 'loss':
            return self.head.loss(feats, data_samples)
        if mode == 'predict':
            return self.head.predict(feats, data_samples)
        raise RuntimeError(f'invalid mode "{mode}"')


__all__ = ['PersonReID', 'PersonReIDHead', 'PersonReIDDataPreprocessor']
