"""TKMRNet's temporal keypoint matching module (Zhou et al. 2020, Sec. 3.2, Eq. 5, Fig. 2, 4).

On the shared backbone features, ``num_blocks`` basic blocks (three 3x3 convs of 256 channels and
a x2 deconvolution each in the paper) produce per-pixel matching features ``F`` at the keypoint
heatmap resolution. The ``k``-th keypoint of a person is represented by ``F(p^k)``, the feature
vector at its heatmap location; ``K`` classifiers ``G_k`` (fully connected 256-256-2 with a
softmax, one per joint type) take the concatenation ``[f_a^k, f_b^k]`` of two keypoints of the same
type and output the probability that they belong to the same person. Trained with the
cross-entropy on the sampled keypoint pairs (Fig. 4: positives : negatives = 1 : 4, sampled by
:mod:`mmpose_track.models.utils.keypoint_matching`). The tracker sums the ``K`` probabilities of a
detection pair inside the IoU gate (Eq. 5).

The whole-body variant TBM (Table 3 M4, Table 4 N3; ``mode='body'``) represents a person by one
feature vector and scores a pair with a single classifier of the same recipe: the similarity has
one "joint" (``G = 1``). The paper only says the feature vectors "represent human bodies"; the
global average of ``F`` over the person crop, standardised over its channels (layer norm without
parameters), is our reconstruction. The standardisation is ours too: the crop mean of the
BN + ReLU maps is dominated by the background and barely differs between people (on the tiny
synthetic model: std 0.03 across people against a mean of 0.45), and without it the classifier
stayed at the 1 : 4 prior for a whole tiny stage 2. Its training pairs come from
the same sampler with one pseudo-joint and no candidates: ``sample_keypoint_pairs(frame_ids,
track_ids, gt (P, 1, 3) = (cx, cy, 1), candidates (P, 1, 0, 2), ...)`` gives person pairs within
``tau`` frames, label 1 for the same id, 1 : 4.
"""
import math
from typing import Dict, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_upsample_layer
from mmengine.model import BaseModule
from mmpose.registry import MODELS
from torch import Tensor

from ..utils.keypoint_matching import gather_location_features

__all__ = ['GroupedLinear', 'KeypointMatchingHead']

ArrayLike = Union[Tensor, np.ndarray]


class GroupedLinear(nn.Module):
    """``G`` independent fully connected layers applied to ``G`` groups at once.

    ``out[..., g, :] = x[..., g, :] @ weight[g] + bias[g]``: one ``torch.einsum`` instead of a
    Python loop over the groups (the ``K`` joint types of the ``G_k`` classifiers). Initialised
    like ``G`` separate ``nn.Linear(in_features, out_features)`` (uniform in
    ``+-1/sqrt(in_features)``).

    Args:
        num_groups (int): ``G``.
        in_features (int): input size of every group.
        out_features (int): output size of every group.
        bias (bool): add a per-group bias.
    """

    def __init__(self, num_groups: int, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        self.num_groups = int(num_groups)
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.weight = nn.Parameter(torch.empty(num_groups, in_features, out_features))
        self.bias = nn.Parameter(torch.empty(num_groups, out_features)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        """Args: x (Tensor): ``(..., G, in_features)``.

        Returns:
            Tensor: ``(..., G, out_features)``.
        """
        out = torch.einsum('...gi,gio->...go', x, self.weight)
        return out if self.bias is None else out + self.bias

    def extra_repr(self) -> str:
        return (f'num_groups={self.num_groups}, in_features={self.in_features}, '
                f'out_features={self.out_features}, bias={self.bias is not None}')


@MODELS.register_module()
class KeypointMatchingHead(BaseModule):
    """TKMRNet temporal keypoint matching module (Sec. 3.2): basic blocks -> ``F``; ``G_k``.

    Feature branch: ``num_blocks`` blocks of ``num_convs`` 3x3 ``ConvModule`` (conv-BN-ReLU,
    ``feat_channels``) each, the last ``num_deconvs`` blocks followed by a x2 deconvolution
    (deconv-BN-ReLU, as SimpleBaseline's). The paper has 4 blocks of 3 convs of 256 channels and a
    deconv each; ``num_deconvs`` sets how many of them upsample, so that ``F`` lands on the heatmap
    resolution for the backbone's stride: ``out_stride = in_stride / 2 ** num_deconvs`` (ResNet C5,
    stride 32 -> heatmaps at stride 4: 3; HRNet, stride 4: 0; None: every block, as printed).
    The blocks without deconv come first, where the maps are smallest.

    Classifiers: ``G = K`` (``mode='keypoint'``, TKM) or ``G = 1`` (``mode='body'``, TBM)
    three-layer perceptrons ``2C -> hidden -> hidden -> 2`` with ReLU between the layers and a
    softmax at the end, vectorised over the groups (:class:`GroupedLinear`). Class 1 means "same
    person". The first layer is applied to each side separately (``W [a; b] = W_a a + W_b b``), so
    scoring ``N x M`` pairs costs ``O((N + M) C h + N M h^2)`` and the leading dimensions of the
    two sides broadcast (:meth:`pairwise_similarity`).

    How the tracker reaches the classifiers: the estimator stores
    :meth:`instance_features` ``(N, G, C)`` as ``pred_instances.keypoint_features`` and passes
    :meth:`pairwise_similarity` (bound to this head, so on the model's device) as the
    ``keypoint_similarity`` callable of :class:`~mmpose_track.tracking.KeypointMatchingTracker`,
    which computes Eq. 5 ``I(IoU >= 0.1) * sum_k G_k(f_{t,i}^k, f_{t-1,j}^k)``. In TBM mode the
    sum has one term (at most 1), so the tracker's ``match_thr`` (5.0 for the sum over 17 joints)
    must be set accordingly (e.g. 0.3).

    Args:
        in_channels (int): channels of the backbone feature map used (``feats[in_index]``).
        num_keypoints (int): ``K``.
        feat_channels (int): ``C``, channels of every conv / deconv and of ``F`` (256).
        num_blocks (int): basic blocks (4).
        num_convs (int): 3x3 convs per block (3).
        num_deconvs (int, optional): blocks followed by a x2 deconv, the last ones (None: all).
        deconv_kernel_size (int): 4 (padding 1), 3 (padding 1, output padding 1) or 2.
        hidden_channels (int): units of the two hidden fully connected layers (256).
        mode (str): ``'keypoint'`` (TKM, one classifier per joint type) or ``'body'`` (TBM, one
            feature vector per person, one classifier).
        in_index (int): which backbone output to use (-1: the last, as MMPose's heads).
        norm_cfg (dict): norm of the convs and deconvs.
        loss (dict): the classification loss, ``mmdet.CrossEntropyLoss`` (softmax) by default.
        init_cfg (dict | list[dict], optional): MMEngine init config.
    """

    MODES = ('keypoint', 'body')

    def __init__(self,
                 in_channels: int = 2048,
                 num_keypoints: int = 17,
                 feat_channels: int = 256,
                 num_blocks: int = 4,
                 num_convs: int = 3,
                 num_deconvs: Optional[int] = None,
                 deconv_kernel_size: int = 4,
                 hidden_channels: int = 256,
                 mode: str = 'keypoint',
                 in_index: int = -1,
                 norm_cfg: dict = dict(type='BN'),
                 loss: dict = dict(type='mmdet.CrossEntropyLoss', use_sigmoid=False,
                                   loss_weight=1.0),
                 init_cfg: Optional[Union[dict, Sequence[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        if mode not in self.MODES:
            raise ValueError(f"{name}: mode must be 'keypoint' (TKM) or 'body' (TBM), got {mode!r}")
        if num_deconvs is None:
            num_deconvs = num_blocks
        if not 0 <= num_deconvs <= num_blocks:
            raise ValueError(f'{name}: num_deconvs must be in [0, num_blocks={num_blocks}], got '
                             f'{num_deconvs}')
        if num_keypoints < 1 or feat_channels < 1 or hidden_channels < 1 or num_convs < 0:
            raise ValueError(f'{name}: num_keypoints, feat_channels, hidden_channels must be >= 1 '
                             f'and num_convs >= 0')
        if deconv_kernel_size not in (2, 3, 4):
            raise ValueError(f'{name}: deconv_kernel_size must be 2, 3 or 4, got '
                             f'{deconv_kernel_size}')
        self.in_channels = int(in_channels)
        self.num_keypoints = int(num_keypoints)
        self.feat_channels = int(feat_channels)
        self.num_blocks = int(num_blocks)
        self.num_convs = int(num_convs)
        self.num_deconvs = int(num_deconvs)
        self.hidden_channels = int(hidden_channels)
        self.mode = mode
        self.in_index = int(in_index)
        self.num_groups = self.num_keypoints if mode == 'keypoint' else 1

        # ---- feature branch: basic blocks (Sec. 3.2, "four basic blocks")
        layers = []
        ch = self.in_channels
        pad, out_pad = {4: (1, 0), 3: (1, 1), 2: (0, 0)}[deconv_kernel_size]
        for b in range(self.num_blocks):
            for _ in range(self.num_convs):
                layers.append(ConvModule(ch, self.feat_channels, 3, padding=1,
                                         norm_cfg=norm_cfg, act_cfg=dict(type='ReLU')))
                ch = self.feat_channels
            if b >= self.num_blocks - self.num_deconvs:
                layers.append(build_upsample_layer(
                    dict(type='deconv', in_channels=ch, out_channels=self.feat_channels,
                         kernel_size=deconv_kernel_size, stride=2, padding=pad,
                         output_padding=out_pad, bias=False)))
                layers.append(nn.BatchNorm2d(self.feat_channels) if norm_cfg is not None else
                              nn.Identity())
                layers.append(nn.ReLU(inplace=True))
                ch = self.feat_channels
        self.blocks = nn.Sequential(*layers)
        self.out_channels = ch  # == feat_channels unless there is no layer at all

        # ---- classifiers G_k: 2C -> h -> h -> 2, softmax (Sec. 3.2)
        G, C, h = self.num_groups, self.out_channels, self.hidden_channels
        self.fc1 = GroupedLinear(G, 2 * C, h)
        self.fc2 = GroupedLinear(G, h, h)
        self.fc3 = GroupedLinear(G, h, 2)
        self.loss_module = MODELS.build(loss)

    # ------------------------------------------------------------------ features
    def forward(self, feats: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Per-pixel matching features ``F`` (Sec. 3.2).

        Args:
            feats (Tensor | Sequence[Tensor]): backbone outputs; ``feats[in_index]`` (or the
                tensor itself) is ``(B, in_channels, h, w)``.

        Returns:
            Tensor: ``(B, C, h * 2**num_deconvs, w * 2**num_deconvs)``.
        """
        x = feats if isinstance(feats, Tensor) else feats[self.in_index]
        if x.dim() != 4 or x.size(1) != self.in_channels:
            raise ValueError(f'{type(self).__name__}: features must be (B, {self.in_channels}, '
                             f'H, W), got {tuple(x.shape)}')
        return self.blocks(x)

    @staticmethod
    def keypoint_features(feature_maps: Tensor, locations: ArrayLike) -> Tensor:
        """Features ``F(p)`` at heatmap locations (Sec. 3.2: ``f^k = F(p^k)``).

        Float locations (e.g. decoded keypoints) are rounded to the nearest pixel
        (``floor(v + 0.5)``, non-finite values to -1); the gathering is
        :func:`~mmpose_track.models.utils.gather_location_features` (a location outside the map,
        such as the ``(-1, -1)`` of a padded candidate, gives a zero vector).

        Args:
            feature_maps (Tensor): ``(B, C, H, W)`` from :meth:`forward`.
            locations (Tensor | np.ndarray): ``(B, ..., 2)`` ``(x, y)`` in heatmap pixels (e.g.
                ``(B, K, 2)`` one location per joint, ``(B, K, n, 2)`` candidates).

        Returns:
            Tensor: ``(B, ..., C)``, ``out[b, ..., :] = feature_maps[b, :, y, x]``.
        """
        loc = torch.as_tensor(locations, device=feature_maps.device)
        if loc.is_floating_point():  # nearest pixel; NaN / inf -> (-1): a zero vector
            loc = torch.where(torch.isfinite(loc), torch.floor(loc + 0.5), loc.new_tensor(-1.0))
        return gather_location_features(feature_maps, loc.long())

    def body_features(self, feature_maps: Tensor) -> Tensor:
        """TBM person feature: the global average of ``F`` over the crop, standardised over its
        ``C`` channels (see the module docstring), ``(B, 1, C)``."""
        pooled = feature_maps.mean(dim=(2, 3))
        return F.layer_norm(pooled, pooled.shape[-1:])[:, None]

    def instance_features(self, feature_maps: Tensor,
                          keypoints: Optional[ArrayLike] = None) -> Tensor:
        """What a person is matched by: ``(B, G, C)``.

        Args:
            feature_maps (Tensor): ``(B, C, H, W)`` from :meth:`forward`.
            keypoints (Tensor | np.ndarray, optional): ``(B, K, 2)`` predicted ``(x, y)`` in
                heatmap pixels (Eq. 1's argmax); needed in ``'keypoint'`` mode, ignored in
                ``'body'`` mode.

        Returns:
            Tensor: ``(B, K, C)`` keypoint features (TKM) or ``(B, 1, C)`` body features (TBM).
        """
        if self.mode == 'body':
            return self.body_features(feature_maps)
        if keypoints is None:
            raise ValueError(f"{type(self).__name__}: mode='keypoint' needs keypoints (B, K, 2)")
        kp = torch.as_tensor(keypoints, device=feature_maps.device)
        if kp.dim() != 3 or kp.shape[1] != self.num_keypoints:
            raise ValueError(f'{type(self).__name__}: keypoints must be (B, K={self.num_keypoints}'
                             f', 2), got {tuple(kp.shape)}')
        return self.keypoint_features(feature_maps, kp[..., :2])

    # --------------------------------------------------------------- classifiers
    def _check_pair(self, feat_a: Tensor, feat_b: Tensor) -> None:
        G, C = self.num_groups, self.out_channels
        for nm, f in (('feat_a', feat_a), ('feat_b', feat_b)):
            if f.dim() < 2 or f.shape[-2:] != (G, C):
                raise ValueError(f'{type(self).__name__}: {nm} must be (..., {G}, {C}) '
                                 f'({self.mode} mode), got {tuple(f.shape)}')

    def logits(self, feat_a: Tensor, feat_b: Tensor) -> Tensor:
        """Classifier scores of ``G_k([f_a^k, f_b^k])`` before the softmax (Sec. 3.2).

        Args:
            feat_a (Tensor): ``(..., G, C)``, the first half of the concatenation (the current
                frame's person in Eq. 5).
            feat_b (Tensor): ``(..., G, C)``, the second half (the previous frame's person);
                the leading dimensions of both broadcast.

        Returns:
            Tensor: ``(..., G, 2)``; index 1 is "same person".
        """
        self._check_pair(feat_a, feat_b)
        C = self.out_channels
        w1 = self.fc1.weight
        h = (torch.einsum('...gi,gio->...go', feat_a, w1[:, :C])
             + torch.einsum('...gi,gio->...go', feat_b, w1[:, C:]) + self.fc1.bias)
        h = self.fc2(F.relu(h))
        return self.fc3(F.relu(h))

    def similarity(self, feat_a: Tensor, feat_b: Tensor) -> Tensor:
        """``G_k(f_a^k, f_b^k)``: softmax probability of "same person", the terms of Eq. 5.

        Args:
            feat_a (Tensor): ``(..., G, C)``.
            feat_b (Tensor): ``(..., G, C)`` (leading dimensions broadcast).

        Returns:
            Tensor: ``(..., G)`` in ``[0, 1]``.
        """
        return self.logits(feat_a, feat_b).softmax(dim=-1)[..., 1]

    @torch.no_grad()
    def pairwise_similarity(self, feat_a: ArrayLike, feat_b: ArrayLike) -> Tensor:
        """All pairs, the tracker's ``keypoint_similarity`` callable (Eq. 5 before the sum).

        Runs on the head's device and dtype (numpy inputs are moved there).

        Args:
            feat_a (Tensor | np.ndarray): ``(N, G, C)`` features of the current detections.
            feat_b (Tensor | np.ndarray): ``(M, G, C)`` features of the tracks (previous frame).

        Returns:
            Tensor: ``(N, M, G)``, ``out[i, j, k] = G_k(f_a[i, k], f_b[j, k])``.
        """
        p = self.fc1.weight
        a = torch.as_tensor(feat_a, device=p.device, dtype=p.dtype)
        b = torch.as_tensor(feat_b, device=p.device, dtype=p.dtype)
        if a.dim() != 3 or b.dim() != 3:
            raise ValueError(f'{type(self).__name__}: pairwise_similarity needs (N, G, C) and '
                             f'(M, G, C), got {tuple(a.shape)} and {tuple(b.shape)}')
        return self.similarity(a[:, None], b[None])

    @torch.no_grad()
    def paired_similarity(self, feat_a: ArrayLike, feat_b: ArrayLike) -> Tensor:
        """Aligned pairs, the tracker's ``keypoint_pair_similarity`` callable: ``G_k`` of only
        the pairs that pass Eq. 5's IoU gate (the tracker picks them), on the head's device.

        Args:
            feat_a (Tensor | np.ndarray): ``(P, G, C)`` features of the detections of the pairs.
            feat_b (Tensor | np.ndarray): ``(P, G, C)`` features of their tracks.

        Returns:
            Tensor: ``(P, G)``, ``out[p, k] = G_k(f_a[p, k], f_b[p, k])``.
        """
        p = self.fc1.weight
        a = torch.as_tensor(feat_a, device=p.device, dtype=p.dtype)
        b = torch.as_tensor(feat_b, device=p.device, dtype=p.dtype)
        if a.dim() != 3 or a.shape != b.shape:
            raise ValueError(f'{type(self).__name__}: paired_similarity needs two (P, G, C), got '
                             f'{tuple(a.shape)} and {tuple(b.shape)}')
        return self.similarity(a, b)

    def pair_logits(self, feat_a: Tensor, feat_b: Tensor,
                    joint: Optional[ArrayLike] = None) -> Tensor:
        """Scores of sampled pairs, each through the classifier of its own joint type.

        For the output of :func:`~mmpose_track.models.utils.sample_keypoint_pairs` (``M`` pairs
        of mixed joints). The pairs are grouped by joint (stable sort, padded to the largest
        group) and scored in one batched :meth:`logits` call: no loop over joints, no per-pair
        copy of the weights.

        Args:
            feat_a (Tensor): ``(M, C)`` features of the first keypoints (later frame).
            feat_b (Tensor): ``(M, C)`` features of the second keypoints.
            joint (Tensor | np.ndarray, optional): ``(M,)`` joint type in ``[0, G)`` of every
                pair (None: all 0, the TBM classifier).

        Returns:
            Tensor: ``(M, 2)``, ``out[m] = logits of G_{joint[m]}([feat_a[m], feat_b[m]])``.
        """
        G, C = self.num_groups, self.out_channels
        if feat_a.dim() != 2 or feat_a.shape != feat_b.shape or feat_a.size(1) != C:
            raise ValueError(f'{type(self).__name__}: pair_logits needs feat_a, feat_b (M, {C}), '
                             f'got {tuple(feat_a.shape)} and {tuple(feat_b.shape)}')
        M = feat_a.size(0)
        if joint is None:
            j = torch.zeros(M, dtype=torch.long, device=feat_a.device)
        else:
            j = torch.as_tensor(joint, device=feat_a.device).long()
        if j.shape != (M, ):
            raise ValueError(f'{type(self).__name__}: joint must be ({M},), got {tuple(j.shape)}')
        if M == 0:
            return feat_a.new_zeros((0, 2)) + self.fc3.bias.sum() * 0.0
        if int(j.min()) < 0 or int(j.max()) >= G:
            raise ValueError(f'{type(self).__name__}: joint must lie in [0, {G}) ({self.mode} '
                             f'mode), got [{int(j.min())}, {int(j.max())}]')
        order = torch.sort(j, stable=True).indices
        js = j[order]
        counts = torch.bincount(j, minlength=G)
        starts = torch.cumsum(counts, 0) - counts
        rank = torch.arange(M, device=j.device) - starts[js]
        L = int(counts.max())
        pad_a = feat_a.new_zeros((L, G, C)).index_put((rank, js), feat_a[order])
        pad_b = feat_b.new_zeros((L, G, C)).index_put((rank, js), feat_b[order])
        out_sorted = self.logits(pad_a, pad_b)[rank, js]  # (M, 2) in sorted order
        return out_sorted.new_empty(out_sorted.shape).index_put((order, ), out_sorted)

    def context_similarity(self, candidate_features: Tensor, context_features: Tensor) -> Tensor:
        """``W(l, l_hat_{t'}^k)`` of Eq. 6: matching probability of every candidate of frame ``t``
        with each path member's best location.

        Pairs are fed in the training order of :func:`sample_keypoint_pairs` (later frame
        first): ``G_k([F_t(l), F_{t'}(l_hat)])`` for past slots ``t' <= t`` and
        ``G_k([F_{t'}(l_hat), F_t(l)])`` for future slots ``t' > t`` (slot ``T // 2`` is ``t``).

        Args:
            candidate_features (Tensor): ``(B, K, n, C)`` matching features ``F_t(l)`` of the
                ``n`` candidates per joint (:meth:`keypoint_features`).
            context_features (Tensor): ``(B, T, K, C)`` matching features ``F_{t'}(l_hat^k)`` of
                the ``T = 2 tau + 1`` path members at their own arg-max.

        Returns:
            Tensor: ``(B, T, K, n)`` in ``[0, 1]``, the ``similarity`` argument of
            :func:`~mmpose_track.models.utils.temporal_context_aggregation`.
        """
        if self.mode != 'keypoint':
            raise ValueError(f"{type(self).__name__}: context_similarity needs mode='keypoint'")
        if candidate_features.dim() != 4 or context_features.dim() != 4 or \
                context_features.shape[0] != candidate_features.shape[0] or \
                context_features.shape[2] != candidate_features.shape[1]:
            raise ValueError(f'{type(self).__name__}: context_similarity needs (B, K, n, C) and '
                             f'(B, T, K, C), got {tuple(candidate_features.shape)} and '
                             f'{tuple(context_features.shape)}')
        T = context_features.shape[1]
        c = T // 2
        cand = candidate_features.permute(0, 2, 1, 3)[:, None]  # (B, 1, n, K, C)
        past = self.similarity(cand, context_features[:, :c + 1, None])  # (B, c+1, n, K)
        future = self.similarity(context_features[:, c + 1:, None], cand)  # (B, T-c-1, n, K)
        return torch.cat([past, future], dim=1).permute(0, 1, 3, 2)

    # ---------------------------------------------------------------------- loss
    def loss(self, logits: Tensor, labels: ArrayLike,
             weights: Optional[ArrayLike] = None) -> Dict[str, Tensor]:
        """Cross-entropy of the sampled pairs (Sec. 3.2, Fig. 4) and their accuracy.

        Args:
            logits (Tensor): ``(..., 2)`` of the sampled pairs, from :meth:`pair_logits`
                (``(M, 2)``) or :meth:`logits` (``(..., G, 2)``).
            labels (Tensor | np.ndarray): ``(...)``, 1 for the ground-truth pair of the same id,
                0 otherwise (``KeypointPairs.label``); negative values are ignored.
            weights (Tensor | np.ndarray, optional): ``(...)`` per-pair weights (0: ignored).

        Returns:
            dict: ``loss_match`` (the configured loss, averaged over the pairs that count; 0,
            connected to ``logits``, when none does) and ``acc_match`` (their accuracy, no grad).
        """
        lab = torch.as_tensor(labels, device=logits.device).long()
        if logits.shape[-1] != 2 or lab.shape != logits.shape[:-1]:
            raise ValueError(f'{type(self).__name__}: logits must be (..., 2) and labels their '
                             f'(...), got {tuple(logits.shape)} and {tuple(lab.shape)}')
        w = (lab >= 0).to(logits.dtype)
        if weights is not None:
            wt = torch.as_tensor(weights, device=logits.device, dtype=logits.dtype)
            if wt.shape != lab.shape:
                raise ValueError(f'{type(self).__name__}: weights must be {tuple(lab.shape)}, got '
                                 f'{tuple(wt.shape)}')
            w = w * wt
        if lab.numel() > 0 and int(lab.max()) > 1:
            raise ValueError(f'{type(self).__name__}: labels must be 0, 1 or negative (ignored)')
        flat_logits = logits.reshape(-1, 2)
        flat_lab = lab.clamp(min=0).reshape(-1)
        flat_w = w.reshape(-1)
        n = flat_w.sum()
        if flat_logits.size(0) == 0 or float(n) <= 0:
            zero = logits.sum() * 0.0
            return dict(loss_match=zero, acc_match=zero.detach())
        loss = self.loss_module(flat_logits, flat_lab, weight=flat_w, avg_factor=n)
        with torch.no_grad():
            correct = (flat_logits.argmax(-1) == flat_lab).to(flat_w.dtype)
            acc = (correct * flat_w).sum() / n
        return dict(loss_match=loss, acc_match=acc)
