"""ReID data preprocessor: MMDet's ``ReIDDataPreprocessor`` without batch augments (and without
its ``mmpretrain`` requirement)."""
from typing import Sequence

import torch
from mmengine.model import BaseDataPreprocessor
from mmdet.registry import MODELS

__all__ = ['PersonReIDDataPreprocessor']


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
