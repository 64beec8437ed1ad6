"""Re-identification network (MMDet's ``BaseReID`` layout without ``mmpretrain``)."""
from typing import Optional

import torch
from mmengine.model import BaseModel
from mmdet.registry import MODELS

from .builder import build_mmdet_module

__all__ = ['PersonReID']


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
        super().__init__(data_preprocessor=build_mmdet_module(data_preprocessor), init_cfg=init_cfg)
        self.backbone = build_mmdet_module(backbone)
        self.neck = build_mmdet_module(neck)
        self.head = build_mmdet_module(head)

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
