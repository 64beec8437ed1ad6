"""ST-Embed's Temporal Instance Embedding (TIE) branch of TemporalNet (Jin et al. 2019, Sec. 3.3.2,
Eq. 7; supplementary Sec. 1.3, Fig. 3).

The low-level (stem) features, heatmaps (K) and spatial vector fields (SVF, 2K) of frames ``t-1``
and ``t`` are concatenated (in that order), reduced by a 1x1 conv, processed by one hourglass
stage (MMPose's ``HourglassModule``) and a few 3x3 convs, and mapped to the bi-directional
temporal vector fields (TVF), ``2K`` channels each (layout ``view(B, K, 2, H, W)``, heatmap px,
as the SVF):

- forward TVF ``T^(p)``, read at frame ``t``'s joints: ``p^t_jk - p^{t-1}_{.,k}`` (the offset
  from the person's centre in frame ``t-1`` to its joint in frame ``t``);
- backward TVF ``T'^(p)``, read at frame ``t-1``'s joints: ``p^{t-1}_jk - p^t_{.,k}``.

TIE ``= p - TVF(p)`` (the same formula as SIE ``= p - SVF(p)``: the codec's
:func:`~mmpose_track.codecs.spatial_embedding.sie_from_svf`): forward TIE at a frame-t joint is the
person's centre propagated to frame ``t-1``, backward TIE at a frame-(t-1) joint its centre in
frame ``t``. Both are refined by Pose-Guided Grouping (Alg. 1) independently, the forward one on
the pose mask of frame ``t``, the backward one on that of frame ``t-1``, and trained with the
grouping losses (Eq. 2-3) on every PGG iteration besides the L1 of Eq. 7.
"""
import copy
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmpose.models.backbones.hourglass import HourglassModule
from mmpose.registry import MODELS
from torch import Tensor

from mmpose_track.codecs.spatial_embedding import sie_from_svf
# importing st_embed_loss also registers KeypointVectorFieldLoss and GroupingLoss
from ..losses.st_embed_loss import sample_at_indices
from ..utils import masked_column_index, pose_guided_grouping, pose_mask, scatter_to_map
from .spatial_embedding_head import SpatialEmbeddingHead

__all__ = ['TemporalEmbeddingHead', 'sample_joint_vectors', 'joint_pixel_indices']


def joint_pixel_indices(keypoints: Tensor, heatmap_size: Tuple[int, int]) -> Tensor:
    """Flat heatmap index ``y * W + x`` of the nearest pixel of each joint, clamped into the map.

    Rounds as the codec does (``floor(p + 0.5)``).

    Args:
        keypoints (Tensor): ``(..., 2)`` joints in heatmap px (x, y).
        heatmap_size (tuple): ``(W, H)``.

    Returns:
        Tensor: long ``(...)``.
    """
    W, H = heatmap_size
    q = torch.floor(keypoints + 0.5).long()
    x = q[..., 0].clamp(0, W - 1)
    y = q[..., 1].clamp(0, H - 1)
    return y * W + x


def sample_joint_vectors(fields: Tensor, indices: Tensor) -> Tensor:
    """Each joint's own 2-channel group of a per-joint vector field at the joint's pixel.

    Args:
        fields (Tensor): ``(B, 2K, H, W)`` (channel ``2j`` = x, ``2j + 1`` = y of joint j), e.g.
            TIE / SIE maps.
        indices (Tensor): ``(B, N, K)`` flat pixel indices ``y * W + x`` (clamped into the map).

    Returns:
        Tensor: ``(B, N, K, 2)``, ``out[b, n, j] = fields[b, 2j:2j+2, idx[b, n, j]]``.
    """
    B, C, H, W = fields.shape
    K = C // 2
    if indices.dim() != 3 or indices.shape[0] != B or indices.shape[2] != K:
        raise ValueError(f'sample_joint_vectors: indices must be (B={B}, N, K={K}), got '
                         f'{tuple(indices.shape)}')
    every = sample_at_indices(fields, indices).reshape(B, indices.shape[1], K, K, 2)
    own = torch.arange(K, device=fields.device)
    return every[:, :, own, own]  # (B, N, K, 2)


@MODELS.register_module()
class TemporalEmbeddingHead(BaseModule):
    """TIE branch: ``[stem, heatmaps, SVF]`` of ``t-1`` and ``t`` -> forward / backward TVF.

    Architecture (supplementary Fig. 3): concat (``2 * (C_stem + 3K)`` channels) ->
    ``ConvModule`` 1x1 to ``feat_channels`` -> ``HourglassModule(depth, stage_channels,
    stage_blocks)`` -> ``num_convs`` x ``ConvModule`` 3x3 -> 1x1 conv to ``4K`` channels
    ``[forward TVF (2K) | backward TVF (2K)]``. The feature maps' side must be divisible by
    ``2 ** depth``.

    Losses (:meth:`loss`):

    - ``loss_tvf_forward`` / ``loss_tvf_backward``: Eq. 7's two L1 terms
      (:class:`~mmpose_track.models.losses.KeypointVectorFieldLoss`, each normalised by its own
      number of valid joints, ``1/(J K^t)`` and ``1/(J K^{t-1})``);
    - ``loss_tie_pgg_pull`` / ``loss_tie_pgg_push`` (``with_pgg``): Eq. 2-3 on every iteration of
      PGG run on the forward TIE over frame ``t``'s pose mask plus the same on the backward TIE
      over frame ``t-1``'s (:class:`~mmpose_track.models.losses.GroupingLoss`, mean over images).
      The PGG embedding of a pixel is the TIE of the joint type whose heatmap is largest there
      (:meth:`SpatialEmbeddingHead.pixel_embedding`, as SpatialNet's PGG on SIE), in heatmap px.

    Args:
        num_keypoints (int): K.
        stem_channels (int): channels of the low-level features (256).
        feat_channels (int): width after the 1x1 reduction.
        hourglass_depth (int): down-samplings of the hourglass stage.
        stage_channels (Sequence[int], optional): ``depth + 1`` widths (``stage_channels[0] ==
            feat_channels``); default all ``feat_channels``.
        stage_blocks (Sequence[int], optional): ``depth + 1`` block counts; default all 2.
        num_convs (int): 3x3 convs after the hourglass.
        with_pgg (bool): PGG grouping losses in training, PGG refinement in :meth:`tie_maps`.
        pgg_iters (int): R of Alg. 1 (1).
        pgg_bandwidth (float): GBMS bandwidth in heatmap px (5).
        pgg_mask_thr (float): tau of the pose mask (0.2).
        loss_tvf (dict): L1 loss config (``KeypointVectorFieldLoss``).
        loss_grouping (dict): grouping loss config (``GroupingLoss``). The paper gives no TIE
            loss weights; the defaults 1 : 1 keep SpatialNet's SIE : PGG ratio (1e-4 : 1e-4).
        norm_cfg (dict): norm of the conv blocks.
        init_cfg (dict | list[dict], optional): MMEngine init.
    """

    def __init__(self,
                 num_keypoints: int,
                 stem_channels: int = 256,
                 feat_channels: int = 256,
                 hourglass_depth: int = 4,
                 stage_channels: Optional[Sequence[int]] = None,
                 stage_blocks: Optional[Sequence[int]] = None,
                 num_convs: int = 2,
                 with_pgg: bool = True,
                 pgg_iters: int = 1,
                 pgg_bandwidth: float = 5.0,
                 pgg_mask_thr: float = 0.2,
                 loss_tvf: dict = dict(type='KeypointVectorFieldLoss', loss_weight=1.0),
                 loss_grouping: dict = dict(type='GroupingLoss', loss_weight=1.0),
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 init_cfg: Optional[dict] = dict(
                     type='Normal', layer=['Conv2d'], std=0.001)):
        super().__init__(init_cfg=init_cfg)
        K = int(num_keypoints)
        self.num_keypoints = K
        self.stem_channels = int(stem_channels)
        self.hourglass_depth = int(hourglass_depth)
        self.with_pgg = bool(with_pgg)
        self.pgg_iters = int(pgg_iters)
        self.pgg_bandwidth = float(pgg_bandwidth)
        self.pgg_mask_thr = float(pgg_mask_thr)
        if stage_channels is None:
            stage_channels = [feat_channels] * (hourglass_depth + 1)
        if stage_blocks is None:
            stage_blocks = [2] * (hourglass_depth + 1)
        if len(stage_channels) != hourglass_depth + 1 or len(stage_blocks) != hourglass_depth + 1 \
                or stage_channels[0] != feat_channels:
            raise ValueError(f'{type(self).__name__}: stage_channels and stage_blocks need '
                             f'hourglass_depth + 1 = {hourglass_depth + 1} entries and '
                             f'stage_channels[0] == feat_channels = {feat_channels}, got '
                             f'{list(stage_channels)} and {list(stage_blocks)}')
        self.in_channels = 2 * (self.stem_channels + 3 * K)
        self.reduce = ConvModule(self.in_channels, feat_channels, 1,
                                 norm_cfg=copy.deepcopy(norm_cfg))
        self.hourglass = HourglassModule(hourglass_depth, list(stage_channels),
                                         list(stage_blocks), norm_cfg=copy.deepcopy(norm_cfg))
        self.convs = nn.Sequential(*[
            ConvModule(feat_channels, feat_channels, 3, padding=1,
                       norm_cfg=copy.deepcopy(norm_cfg)) for _ in range(num_convs)
        ])
        self.final = nn.Conv2d(feat_channels, 4 * K, 1)
        self.loss_tvf_module = MODELS.build(loss_tvf)
        self.loss_grouping_module = MODELS.build(loss_grouping) if self.with_pgg else None

    # ------------------------------------------------------------------ forward
    def forward(self, stem_prev: Tensor, heatmaps_prev: Tensor, svf_prev: Tensor,
                stem_cur: Tensor, heatmaps_cur: Tensor, svf_cur: Tensor) -> Tuple[Tensor, Tensor]:
        """Forward and backward TVF of the pair ``(t-1, t)``.

        Args:
            stem_prev (Tensor): ``(B, C_stem, H, W)`` low-level features of frame ``t-1``.
            heatmaps_prev (Tensor): ``(B, K, H, W)``; svf_prev (Tensor): ``(B, 2K, H, W)``.
            stem_cur, heatmaps_cur, svf_cur: the same for frame ``t``.

        Returns:
            tuple[Tensor, Tensor]: forward TVF ``(B, 2K, H, W)`` (read at frame t's joints) and
            backward TVF ``(B, 2K, H, W)`` (read at frame t-1's joints), heatmap px.
        """
        K = self.num_keypoints
        parts = (stem_prev, heatmaps_prev, svf_prev, stem_cur, heatmaps_cur, svf_cur)
        names = ('stem_prev', 'heatmaps_prev', 'svf_prev', 'stem_cur', 'heatmaps_cur', 'svf_cur')
        want = (self.stem_channels, K, 2 * K) * 2
        ref = stem_cur.shape
        for x, name, c in zip(parts, names, want):
            if x.dim() != 4 or x.shape[1] != c or x.shape[0] != ref[0] or x.shape[2:] != ref[2:]:
                raise ValueError(f'{type(self).__name__}: {name} must be ({ref[0]}, {c}, '
                                 f'{ref[2]}, {ref[3]}), got {tuple(x.shape)}')
        step = 2 ** self.hourglass_depth
        if ref[2] % step or ref[3] % step:
            raise ValueError(f'{type(self).__name__}: feature maps {ref[2]}x{ref[3]} are not '
                             f'divisible by 2 ** hourglass_depth = {step}')
        x = torch.cat([p.to(stem_cur.dtype) for p in parts], dim=1)
        x = self.convs(self.hourglass(self.reduce(x)))
        out = self.final(x)
        return out[:, :2 * K], out[:, 2 * K:]

    # --------------------------------------------------------------------- TIE
    def pixel_tie(self, tie: Tensor, heatmaps: Tensor) -> Tensor:
        """``(B, 2, H, W)`` TIE of the joint type with the largest heatmap at each pixel."""
        B, C, H, W = tie.shape
        full = tie.reshape(B, C // 2, 2, H, W).transpose(1, 2)  # (B, 2, K, H, W)
        return SpatialEmbeddingHead.pixel_embedding(full, heatmaps)

    def tie_maps(self, tvf: Tensor, heatmaps: Tensor, use_pgg: Optional[bool] = None) -> Tensor:
        """TIE ``= p - TVF(p)`` (heatmap px), refined by PGG on the pose mask of ``heatmaps``.

        With PGG (Alg. 1), each masked pixel's embedding is :meth:`pixel_tie`; after ``R``
        iterations the refined vector replaces the TIE of *every* joint type at that pixel (as
        SpatialNet's refinement), so a joint read anywhere in the mask gets the refined value.

        Args:
            tvf (Tensor): ``(B, 2K, H, W)`` forward (with frame t's heatmaps) or backward (with
                frame t-1's) TVF.
            heatmaps (Tensor): ``(B, K, H, W)`` of the frame the field is read in.
            use_pgg (bool, optional): default ``with_pgg``.

        Returns:
            Tensor: ``(B, 2K, H, W)`` TIE.
        """
        tie = sie_from_svf(tvf)
        if not (self.with_pgg if use_pgg is None else use_pgg):
            return tie
        B, C, H, W = tie.shape
        K = C // 2
        masks = pose_mask(heatmaps, thr=self.pgg_mask_thr)
        pix = self.pixel_tie(tie, heatmaps)
        out = tie.reshape(B, K, 2, H, W).clone()
        for b in range(B):  # N differs per image; PGG is vectorised inside
            refined = pose_guided_grouping(pix[b], masks[b], self.pgg_iters,
                                           self.pgg_bandwidth)[-1]
            rmap = scatter_to_map(pix[b], masks[b], refined)  # (2, H, W)
            out[b] = torch.where(masks[b], rmap[None], out[b])
        return out.reshape(B, C, H, W)

    # -------------------------------------------------------------------- loss
    def grouping_loss(self, tvf: Tensor, heatmaps: Tensor,
                      keypoint_indices: Tensor) -> Tuple[Tensor, Tensor]:
        """PGG grouping loss of one TIE direction, mean over images.

        Args:
            tvf (Tensor): ``(B, 2K, H, W)``.
            heatmaps (Tensor): ``(B, K, H, W)`` of the frame the TIE is read in (its pose mask
                and per-pixel joint type).
            keypoint_indices (Tensor | list[Tensor]): ``(B, N, K, 2)`` ``[y * W + x, visible]``
                of that frame's people, or a list of ``B`` tensors ``(N_b, K, 2)``.

        Returns:
            tuple[Tensor, Tensor]: ``(pull, push)`` with the grouping loss's weight.
        """
        B, _, H, W = tvf.shape
        if len(keypoint_indices) != B:
            raise ValueError(f'{type(self).__name__}: keypoint_indices hold {len(keypoint_indices)}'
                             f' images, the fields {B}')
        pix = self.pixel_tie(sie_from_svf(tvf), heatmaps)
        masks = pose_mask(heatmaps, thr=self.pgg_mask_thr)
        pulls, pushes = [], []
        for b in range(B):  # N differs per image; PGG and the loss are vectorised inside
            kidx = torch.as_tensor(keypoint_indices[b], device=tvf.device)
            idx = kidx[..., 0].long().clamp(0, H * W - 1)
            outs = pose_guided_grouping(pix[b], masks[b], self.pgg_iters, self.pgg_bandwidth)
            col = masked_column_index(masks[b])[idx]
            cols = torch.where(kidx[..., 1] > 0, col, torch.full_like(col, -1))
            pull, push = self.loss_grouping_module(outs, cols)
            pulls.append(pull)
            pushes.append(push)
        return torch.stack(pulls).mean(), torch.stack(pushes).mean()

    def loss(self,
             tvf_forward: Tensor,
             tvf_backward: Tensor,
             keypoint_indices_cur: Tensor,
             forward_vectors: Tensor,
             forward_weights: Tensor,
             keypoint_indices_prev: Tensor,
             backward_vectors: Tensor,
             backward_weights: Tensor,
             heatmaps_cur: Optional[Tensor] = None,
             heatmaps_prev: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Eq. 7 (both directions) and, with ``with_pgg``, the TIE grouping losses.

        Args:
            tvf_forward, tvf_backward (Tensor): ``(B, 2K, H, W)`` from :meth:`forward`.
            keypoint_indices_cur (Tensor): ``(B, N, K, 2)`` ``[y * W + x, visible]``, frame t.
                Every per-person argument may also be a list of ``B`` tensors ``(N_b, ...)``
                (``gt_instance_labels`` as packed).
            forward_vectors (Tensor): ``(B, N, K, 2)`` ``q^t_jk - c^{t-1}_k`` (codec's
                ``encode_temporal``); forward_weights (Tensor): ``(B, N, K)``.
            keypoint_indices_prev, backward_vectors, backward_weights: the same for frame t-1
                (``q^{t-1}_jk - c^t_k``), ``(B, M, K, ...)``.
            heatmaps_cur, heatmaps_prev (Tensor, optional): ``(B, K, H, W)`` heatmaps giving the
                pose masks (ground truth in training); needed with ``with_pgg``.

        Returns:
            dict: ``loss_tvf_forward``, ``loss_tvf_backward`` and, with ``with_pgg``,
            ``loss_tie_pgg_pull``, ``loss_tie_pgg_push`` (sum of both directions).
        """
        losses = dict(
            loss_tvf_forward=self.loss_tvf_module(tvf_forward, keypoint_indices_cur,
                                                  forward_vectors, forward_weights),
            loss_tvf_backward=self.loss_tvf_module(tvf_backward, keypoint_indices_prev,
                                                   backward_vectors, backward_weights))
        if self.with_pgg:
            if heatmaps_cur is None or heatmaps_prev is None:
                raise ValueError(f'{type(self).__name__}.loss: with_pgg needs heatmaps_cur and '
                                 'heatmaps_prev (the pose masks of both frames)')
            pull_f, push_f = self.grouping_loss(tvf_forward, heatmaps_cur, keypoint_indices_cur)
            pull_b, push_b = self.grouping_loss(tvf_backward, heatmaps_prev,
                                                keypoint_indices_prev)
            losses.update(loss_tie_pgg_pull=pull_f + pull_b, loss_tie_pgg_push=push_f + push_b)
        return losses
