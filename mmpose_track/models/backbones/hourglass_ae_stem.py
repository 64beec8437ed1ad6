"""SpatialNet's backbone: MMPose's ``HourglassAENet`` with its low-level features exposed.

ST-Embed (Jin et al. 2019, supplementary Sec. 1.1, Fig. 1): "Given an image, it first extracts
256-dimensional low-level feature maps by a few convolution layers. The extracted feature maps are
then processed by 4-stage stacked hourglass". Those low-level maps (the output of
``HourglassAENet.stem``, stride 4) are shared with TemporalNet (HE branch: RoIAlign on them; TIE
branch: concatenated with heatmaps and SVF of two frames), so the backbone returns them in front of
the per-stack outputs.
"""
import copy
from typing import Sequence, Tuple

import torch.nn as nn
from mmcv.cnn import ConvModule, MaxPool2d
from mmpose.models.backbones import HourglassAENet
from mmpose.registry import MODELS
from torch import Tensor

__all__ = ['HourglassAENetWithStem']


@MODELS.register_module()
class HourglassAENetWithStem(HourglassAENet):
    """``HourglassAENet`` whose forward also returns the stem features.

    Same layers, parameter names and initialisation as MMPose's ``HourglassAENet`` (so its
    checkpoints load), plus one optional argument to shrink the stem for tiny CPU configs.

    Args:
        stem_channels (Sequence[int]): the two inner widths of the stem
            (``conv7x7/2 -> c0``, ``conv3x3 -> c1``, maxpool, ``conv3x3 -> c1``,
            ``conv3x3 -> feat_channels``). Default ``(64, 128)`` is MMPose's stem exactly; tiny
            configs use e.g. ``(16, 32)``.
        **kwargs: the arguments of ``HourglassAENet`` (``downsample_times``, ``num_stacks``,
            ``out_channels``, ``stage_channels``, ``feat_channels``, ``norm_cfg``, ``init_cfg``).
            ``stage_channels[0]`` must equal ``feat_channels`` (as in MMPose).

    Returns of :meth:`forward`: ``(stem, out_1, ..., out_S)``: the stem features
    ``(B, feat_channels, H/4, W/4)`` (256 channels in the paper's model) and each stack's
    ``(B, out_channels, H/4, W/4)`` output (intermediate supervision uses all of them).
    """

    def __init__(self, *args, stem_channels: Sequence[int] = (64, 128), **kwargs):
        super().__init__(*args, **kwargs)
        stem_channels = tuple(int(c) for c in stem_channels)
        if len(stem_channels) != 2:
            raise ValueError(f'HourglassAENetWithStem: stem_channels must hold 2 widths, '
                             f'got {stem_channels}')
        if stem_channels != (64, 128):  # rebuild the stem narrower, same structure and names
            norm_cfg = copy.deepcopy(kwargs.get('norm_cfg', dict(type='BN', requires_grad=True)))
            feat = self.stem[-1].conv.out_channels
            c0, c1 = stem_channels
            self.stem = nn.Sequential(
                ConvModule(3, c0, 7, padding=3, stride=2, norm_cfg=norm_cfg),
                ConvModule(c0, c1, 3, padding=1, norm_cfg=norm_cfg),
                MaxPool2d(2, 2),
                ConvModule(c1, c1, 3, padding=1, norm_cfg=norm_cfg),
                ConvModule(c1, feat, 3, padding=1, norm_cfg=norm_cfg),
            )
        self.stem_channels = stem_channels

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """``(stem_feats, stack_1_out, ..., stack_S_out)``; the stack loop is MMPose's."""
        inter_feat = self.stem(x)
        outs = [inter_feat]
        for ind in range(self.num_stacks):
            hourglass_feat = self.hourglass_modules[ind](inter_feat)
            out_feat = self.out_convs[ind](hourglass_feat)
            outs.append(out_feat)
            if ind < self.num_stacks - 1:
                inter_feat = inter_feat + self.remap_out_convs[ind](out_feat) + \
                    self.remap_feature_convs[ind](hourglass_feat)
        return tuple(outs)
