"""3D HRNet of the Clip Tracking Network (Wang et al. 2020, Sec. 3.1, Sec. 4.2/4.3, Table 8).

"Combining detection and tracking for human pose estimation in videos", Sec. 3.1: the Clip Tracking
Network is HRNet "inflated" to 3D: "in the first stage we use 311, 133 and 111 filters, while in
the second stage we use 333 filters" (T x H x W kernel sizes); the remaining stages run per frame.
Table 8 compares 3D filters in none / early (stages 1-2) / last / all stages. Sec. 4.2: the 3D
network is initialised from a 2D HRNet trained on single frames by "mean initialization", which
replicates each 2D filter over time and divides it by the temporal size.

This module reuses MMPose's ``HRNet`` unchanged (same module tree and parameter names) and only
swaps the selected ``nn.Conv2d`` of the selected stages for :class:`TemporalConv2d`, a ``Conv3d``
that consumes and produces frame-flattened ``(B*T, C, H, W)`` tensors. Everything else (stem,
transitions, fuse layers, downsample convs, BatchNorm) runs per frame in 2D.
"""
import copy
from typing import Iterable, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpose.models.backbones import HRNet
from mmpose.models.backbones.resnet import BasicBlock, Bottleneck
from mmpose.registry import MODELS
from torch import Tensor

__all__ = ['HRNet3D', 'TemporalConv2d', 'inflate_conv2d_weight', 'TEMPORAL_STAGE_PRESETS']

#: Table 8 rows: which HRNet stages (1 = ``layer1``, 2..4 = ``stage2..4``) get 3D filters.
TEMPORAL_STAGE_PRESETS = {
    'none': (),
    'early': (1, 2),
    'last': (4, ),
    'all': (1, 2, 3, 4),
}


def inflate_conv2d_weight(w2: Tensor, kt: int) -> Tensor:
    """Mean inflation of a 2D filter bank to 3D (Sec. 4.2, "mean initialization").

    Every temporal slice is the 2D filter divided by the temporal size,
    ``W3[:, :, t] = W2 / kt`` for ``t = 0..kt-1``, so that on a clip whose frames are all the same
    image the 3D convolution returns the 2D one at every frame (the ``kt`` taps sum to ``W2``).

    Args:
        w2 (Tensor): 2D weight ``(C_out, C_in/groups, kh, kw)``.
        kt (int): temporal kernel size (>= 1).

    Returns:
        Tensor: 3D weight ``(C_out, C_in/groups, kt, kh, kw)`` (new tensor, same dtype/device).
    """
    if w2.dim() != 4:
        raise ValueError(f'inflate_conv2d_weight: expected a 4D weight (C_out, C_in, kh, kw), '
                         f'got shape {tuple(w2.shape)}')
    kt = int(kt)
    if kt < 1:
        raise ValueError(f'inflate_conv2d_weight: kt must be >= 1, got {kt}')
    return (w2 / kt).unsqueeze(2).repeat(1, 1, kt, 1, 1)


class TemporalConv2d(nn.Conv3d):
    """A ``Conv3d`` with a ``kt x kh x kw`` kernel applied to frame-flattened clips.

    Input and output are ``(B*T, C, H, W)`` (frame ``t`` of clip ``b`` at index ``b*T + t``), so it
    drops into MMPose's 2D blocks in place of an ``nn.Conv2d`` (followed by per-frame BatchNorm2d).
    Spatial stride / padding / dilation / groups / bias are those of the 2D conv; the temporal
    stride is 1 and time is padded by ``(kt-1)//2`` frames on each side with **replicate** padding.
    The paper does not say how clip borders are padded; replicate padding is our reconstruction:
    with it, mean inflation (:func:`inflate_conv2d_weight`) is exact on a static clip at every
    frame, border frames included, and a clip of one frame reduces to the 2D network.

    The clip length ``T`` is set by the owning backbone (:attr:`num_frames`) before each forward.

    The parameter is named ``weight`` (and ``bias``) as in ``nn.Conv2d``; a 4D ``weight`` met in a
    state dict is mean-inflated to 5D on load (2D checkpoint -> 3D model); a 5D one loads as is.

    Args:
        conv2d (nn.Conv2d): the 2D conv to replace (its hyper-parameters are copied; its weight
            is mean-inflated into the new one).
        kt (int): temporal kernel size (odd).
    """

    def __init__(self, conv2d: nn.Conv2d, kt: int = 3):
        kt = int(kt)
        if kt < 1 or kt % 2 == 0:
            raise ValueError(f'TemporalConv2d: temporal kernel must be odd and >= 1, got {kt}')
        if conv2d.padding_mode != 'zeros' or isinstance(conv2d.padding, str):
            raise ValueError(f'TemporalConv2d: only numeric zero padding is supported, got '
                             f'padding={conv2d.padding!r}, padding_mode={conv2d.padding_mode!r}')
        super().__init__(
            conv2d.in_channels,
            conv2d.out_channels,
            kernel_size=(kt, ) + tuple(conv2d.kernel_size),
            stride=(1, ) + tuple(conv2d.stride),
            padding=(0, ) + tuple(conv2d.padding),
            dilation=(1, ) + tuple(conv2d.dilation),
            groups=conv2d.groups,
            bias=conv2d.bias is not None,
            device=conv2d.weight.device,
            dtype=conv2d.weight.dtype)
        self.kt = kt
        self.num_frames = 1
        with torch.no_grad():
            self.weight.copy_(inflate_conv2d_weight(conv2d.weight, kt))
            if conv2d.bias is not None:
                self.bias.copy_(conv2d.bias)

    def forward(self, x: Tensor) -> Tensor:
        """Args: x (Tensor): ``(B*T, C, H, W)``. Returns: Tensor ``(B*T, C_out, H', W')``."""
        t = int(self.num_frames)
        n, c, h, w = x.shape
        if n % t:
            raise ValueError(f'TemporalConv2d: batch {n} is not a multiple of num_frames={t}')
        x = x.reshape(n // t, t, c, h, w).transpose(1, 2)  # (B, C, T, H, W)
        p = (self.kt - 1) // 2
        if p:
            x = F.pad(x, (0, 0, 0, 0, p, p), mode='replicate')
        y = super().forward(x)  # (B, C_out, T, H', W')
        return y.transpose(1, 2).reshape(n, y.shape[1], y.shape[3], y.shape[4])

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        key = prefix + 'weight'
        w = state_dict.get(key)
        if isinstance(w, Tensor) and w.dim() == 4:
            if tuple(w.shape[2:]) != tuple(self.kernel_size[1:]) or \
                    w.shape[:2] != self.weight.shape[:2]:
                error_msgs.append(f'{key}: cannot inflate a 2D weight of shape {tuple(w.shape)} '
                                  f'to {tuple(self.weight.shape)}')
            else:
                # Both torch's and MMEngine's load_state_dict hand modules a copy of the
                # caller's dict, so replacing the entry here does not touch the caller's.
                state_dict[key] = inflate_conv2d_weight(w, self.kt)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def extra_repr(self) -> str:
        return super().extra_repr() + ', frame-flattened, replicate time padding'


def _with_conv3d_init(init_cfg):
    """Extend every init entry that targets ``Conv2d`` to ``Conv3d`` too (the wrappers)."""
    if init_cfg is None:
        return None
    init_cfg = copy.deepcopy(init_cfg)
    for cfg in (init_cfg if isinstance(init_cfg, list) else [init_cfg]):
        layer = cfg.get('layer') if isinstance(cfg, dict) else None
        if layer is None:
            continue
        layers = [layer] if isinstance(layer, str) else list(layer)
        if 'Conv2d' in layers and 'Conv3d' not in layers:
            cfg['layer'] = layers + ['Conv3d']
    return init_cfg


def _resolve_stages(temporal_stages: Union[str, Iterable[int]]) -> Tuple[int, ...]:
    if isinstance(temporal_stages, str):
        if temporal_stages not in TEMPORAL_STAGE_PRESETS:
            raise ValueError(f'HRNet3D: temporal_stages must be one of '
                             f'{sorted(TEMPORAL_STAGE_PRESETS)} or a tuple of stage numbers '
                             f'in 1..4, got {temporal_stages!r}')
        return TEMPORAL_STAGE_PRESETS[temporal_stages]
    stages = tuple(sorted({int(s) for s in temporal_stages}))
    if any(s not in (1, 2, 3, 4) for s in stages):
        raise ValueError(f'HRNet3D: temporal_stages numbers must be in 1..4, got {stages}')
    return stages


@MODELS.register_module()
class HRNet3D(HRNet):
    """MMPose's HRNet with 3D filters in selected stages (Clip Tracking Network, Sec. 3.1).

    Which filters are inflated (our reading of Sec. 3.1 "in the first stage we use 311, 133 and 111
    filters, while in the second stage we use 333 filters"; the same rule for any selected stage):

    * Bottleneck blocks: ``conv1`` (1x1) -> 3x1x1 (:class:`TemporalConv2d`); ``conv2`` (3x3) and
      ``conv3`` (1x1) are the paper's 1x3x3 and 1x1x1 filters, i.e. per-frame 2D convs, so they
      stay ``nn.Conv2d`` (identical maths, same parameters).
    * BasicBlock blocks: both 3x3 convs -> 3x3x3.
    * Not inflated (the paper does not say; we keep them per-frame 2D): the stem (``conv1``,
      ``conv2``), the transition layers, the HRModule fuse layers, the residual ``downsample``
      1x1 convs; BatchNorm stays ``BatchNorm2d`` over ``(B*T, C, H, W)``.

    ``kt`` is ``temporal_kernel`` (3 in the paper). Time is padded with replicate padding (see
    :class:`TemporalConv2d`; a reconstructed choice that makes mean inflation exact on static
    clips).

    Loading: a 2D HRNet state dict (a bare backbone one, or a pose-estimator one with keys
    ``backbone.*`` when loaded into this backbone as the root module) loads with every inflated
    conv's 4D weight mean-inflated (Sec. 4.2); this goes through ``load_state_dict``, MMEngine's
    ``load_checkpoint`` / ``load_from`` and ``init_cfg=dict(type='Pretrained', checkpoint=...)``
    (use ``prefix='backbone.'`` there for a pose-estimator checkpoint, as in MMPose). A 5D
    (HRNet3D) checkpoint loads unchanged.

    Args:
        extra (dict): HRNet stage config, as for MMPose's ``HRNet``.
        temporal_stages (str | Sequence[int]): ``'early'`` (stages 1-2, the paper's model,
            default), ``'last'`` (stage 4), ``'all'`` (1-4), ``'none'`` (per-frame 2D HRNet), or a
            tuple of stage numbers in 1..4 (Table 8).
        temporal_kernel (int): temporal size ``kt`` of the 3D filters (odd). Default 3.
        num_frames (int, optional): clip length T. Needed to split a flat ``(B*T, C, H, W)``
            input into clips; when set, a 5D input must have this T. ``None``: T is read from a
            5D input and a 4D input is a batch of 1-frame clips.
        **kwargs: the other arguments of MMPose's ``HRNet`` (``in_channels``, ``norm_cfg``,
            ``norm_eval``, ``with_cp``, ``zero_init_residual``, ``frozen_stages``, ``init_cfg``).
            Any ``init_cfg`` entry whose ``layer`` lists ``Conv2d`` also covers ``Conv3d`` so the
            3D filters are initialised like the 2D ones.

    Returns of :meth:`forward`: the tuple of HRNet's output branches, each
    ``(B*T, C_i, H/4/2^i, W/4/2^i)`` with the frames flattened into the batch, frame-major within
    each clip (frame ``t`` of clip ``b`` at index ``b*T + t``), so MMPose's ``HeatmapHead`` and its
    per-frame targets work unchanged.
    """

    def __init__(self,
                 extra: dict,
                 temporal_stages: Union[str, Sequence[int]] = 'early',
                 temporal_kernel: int = 3,
                 num_frames: Optional[int] = None,
                 init_cfg=[
                     dict(type='Normal', std=0.001, layer=['Conv2d']),
                     dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
                 ],
                 **kwargs):
        super().__init__(extra, init_cfg=_with_conv3d_init(init_cfg), **kwargs)
        self.temporal_stages = _resolve_stages(temporal_stages)
        self.temporal_kernel = int(temporal_kernel)
        if num_frames is not None and int(num_frames) < 1:
            raise ValueError(f'HRNet3D: num_frames must be >= 1 or None, got {num_frames}')
        self.num_frames = None if num_frames is None else int(num_frames)
        self.in_channels = kwargs.get('in_channels', 3)
        for s in self.temporal_stages:
            self._inflate_stage(self.layer1 if s == 1 else getattr(self, f'stage{s}'))
        self._temporal_convs: List[TemporalConv2d] = [
            m for m in self.modules() if isinstance(m, TemporalConv2d)]
        self._freeze_stages()  # HRNet froze before the swap; re-freeze the new modules
        self._register_load_state_dict_pre_hook(self._strip_estimator_prefix)

    def _inflate_stage(self, stage: nn.Module) -> None:
        blocks = [m for m in stage.modules() if isinstance(m, (Bottleneck, BasicBlock))]
        for blk in blocks:
            names = ('conv1', ) if isinstance(blk, Bottleneck) else ('conv1', 'conv2')
            for name in names:
                conv = getattr(blk, name)
                if type(conv) is not nn.Conv2d:
                    raise ValueError(f'HRNet3D: can only inflate nn.Conv2d, got '
                                     f'{type(conv).__name__} (conv_cfg={self.conv_cfg})')
                setattr(blk, name, TemporalConv2d(conv, self.temporal_kernel))

    def _strip_estimator_prefix(self, state_dict, prefix, *args):
        """As the root module, accept a pose-estimator state dict (keys ``backbone.*``)."""
        if prefix != '':
            return
        own = set(self.state_dict().keys())
        if any(k in own for k in state_dict) or not any(k.startswith('backbone.')
                                                        for k in state_dict):
            return
        for k in list(state_dict.keys()):
            v = state_dict.pop(k)
            if k.startswith('backbone.'):
                state_dict[k[len('backbone.'):]] = v
        meta = getattr(state_dict, '_metadata', None)
        if isinstance(meta, dict):
            for k in list(meta.keys()):
                if k.startswith('backbone.'):
                    meta.setdefault(k[len('backbone.'):], meta[k])
            if 'backbone' in meta:
                meta.setdefault('', meta['backbone'])

    def train(self, mode: bool = True) -> 'HRNet3D':
        """As ``HRNet.train`` (frozen stages, ``norm_eval``), returning ``self`` like nn.Module."""
        super().train(mode)
        return self

    def _clip_length(self, x: Tensor) -> Tuple[Tensor, int]:
        """Flatten the input to ``(B*T, C, H, W)`` and return it with T."""
        c = self.in_channels
        t_cfg = self.num_frames
        expected = (f'(B, {t_cfg if t_cfg else "T"}, {c}, H, W) or '
                    f'(B*{t_cfg if t_cfg else "1"}, {c}, H, W)')
        if x.dim() == 5 and x.shape[2] == c and (t_cfg is None or x.shape[1] == t_cfg):
            b, t = x.shape[:2]
            return x.reshape(b * t, *x.shape[2:]), int(t)
        if x.dim() == 4 and x.shape[1] == c:
            t = t_cfg or 1
            if x.shape[0] % t == 0:
                return x, t
        raise ValueError(f'HRNet3D: expected input {expected}, got shape {tuple(x.shape)}')

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Args: x (Tensor): clips ``(B, T, C, H, W)``, or ``(B*T, C, H, W)`` with T =
        ``num_frames`` (T = 1 when ``num_frames`` is None).

        Returns:
            tuple[Tensor]: per-frame HRNet features, each ``(B*T, C_i, H_i, W_i)`` (index b*T+t).
        """
        x, t = self._clip_length(x)
        for m in self._temporal_convs:
            m.num_frames = t
        return super().forward(x)
