"""Freezing the single-frame part of a two-stage estimator (ST-Embed's TemporalNet, TKMRNet)."""
from typing import List

import torch

__all__ = ['FrozenBaseMixin']


class FrozenBaseMixin:
    """Keeps ``backbone``, ``neck`` and ``head`` frozen: no gradient, and eval mode (batch-norm
    statistics) whatever :meth:`train` is asked, as both papers' second stages do.

    Put it before the MMPose estimator in the bases and call :meth:`freeze_base` at the end of
    ``__init__`` when freezing; :attr:`base_frozen` says whether it was.
    """
    base_frozen: bool = False

    def base_modules(self) -> List[torch.nn.Module]:
        """The single-frame modules: ``backbone``, ``neck`` (if any), ``head``."""
        return [m for m in (self.backbone, getattr(self, 'neck', None), self.head)
                if m is not None]

    def freeze_base(self) -> None:
        """No gradient to :meth:`base_modules`; they stay in eval mode from now on."""
        self.base_frozen = True
        for module in self.base_modules():
            for p in module.parameters():
                p.requires_grad_(False)
        self.train(self.training)

    def train(self, mode: bool = True):
        """As ``nn.Module.train``; frozen base modules stay in eval mode."""
        super().train(mode)
        if self.base_frozen:
            for module in self.base_modules():
                module.eval()
        return self
