"""Build MMDet modules whatever the caller's default scope."""
import torch.nn as nn
from mmengine.registry import DefaultScope
from mmdet.registry import MODELS

__all__ = ['build_mmdet_module']


def build_mmdet_module(cfg):
    """Build an MMDet module from ``cfg`` in MMDet's scope (MMPose configs use ``'mmpose'``).

    Args:
        cfg (dict | nn.Module | None): a config, an already built module or ``None``.

    Returns:
        nn.Module | None: the module (``cfg`` itself when it is a module or ``None``).
    """
    if cfg is None or isinstance(cfg, nn.Module):
        return cfg
    with DefaultScope.overwrite_default_scope('mmdet'):
        return MODELS.build(cfg)
