"""TKMRNet's temporal keypoint refinement module (Zhou et al. 2020, Sec. 3.3, Eq. 2, 6, Fig. 5).

The module "has the same structure as the keypoint prediction module" (SimpleBaseline: three x2
deconvolutions, then a 1x1 convolution of ``K`` channels, Sec. 3.1) "but is applied in a
different way": the output of its last deconvolution is the feature map ``H`` of a person crop,
and the final 1x1 convolution scores only ``n = 16`` local-maxima candidates per joint of the
keypoint head's heatmap, each represented by its Eq. 6 aggregate ``H̄(l)``: its own feature plus
the features of the same joint of the person's counterparts on the temporal path (found by
:func:`~mmpose_track.tracking.temporal_path_search` with the learned Eq. 5 similarity), weighted by
the keypoint matching module's probability ``W(l, l̂)``. The best re-scored candidate is the
refined keypoint. Training uses Eq. 2 at the candidates only.

Everything numeric is composed from :mod:`mmpose_track.models.utils.keypoint_matching`
(``gather_location_features``, ``temporal_context_aggregation``, ``rescore_candidates``,
``candidate_heatmap_targets``, ``select_refined_keypoints``); this file adds the module, the
loss bookkeeping and the video-level driver (:class:`DelayedKeypointRefiner`,
:func:`refine_video`).
"""
from collections import namedtuple
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmcv.cnn import build_conv_layer
from mmengine.model import BaseModule
from mmpose.models.heads import HeatmapHead
from mmpose.registry import MODELS
from torch import Tensor, nn

from mmpose_track.tracking.path_search import temporal_path_search
from ..utils.keypoint_matching import (candidate_heatmap_targets, gather_location_features,
                                       rescore_candidates, select_refined_keypoints,
                                       temporal_context_aggregation)

__all__ = ['KeypointRefinementHead', 'RefinedKeypoints', 'DelayedKeypointRefiner',
           'refine_video']

ArrayLike = Union[Tensor, np.ndarray]
OptIntSeq = Optional[Sequence[int]]

#: Output of :meth:`KeypointRefinementHead.refine`: ``keypoints (B, K, 2)`` int64 heatmap pixels,
#: ``keypoint_scores (B, K)`` (the refined response of the chosen candidate, ``-inf`` when the
#: joint has no valid candidate) and ``candidate_scores (B, K, n)`` (all refined responses,
#: ``-inf`` at padded candidates).
RefinedKeypoints = namedtuple('RefinedKeypoints', ['keypoints', 'keypoint_scores',
                                                   'candidate_scores'])


@MODELS.register_module()
class KeypointRefinementHead(BaseModule):
    """TKMRNet temporal keypoint refinement module (Sec. 3.3).

    Layers: the same as MMPose's :class:`~mmpose.models.heads.HeatmapHead` (built by its own
    ``_make_deconv_layers`` / ``_make_conv_layers``, same attribute names ``deconv_layers``,
    ``conv_layers``, ``final_layer``, so a stage-1 ``HeatmapHead`` state dict loads into it as
    an initialisation). :meth:`forward` stops before ``final_layer`` and returns ``H`` ("the
    output of the last deconvolution layer", Sec. 3.3; after the optional extra convs when
    ``conv_out_channels`` is set). ``final_layer`` (1x1, ``K`` outputs) is the per-joint
    scorer ``s_k(l) = w_k · H̄_k(l) + b_k`` of :func:`rescore_candidates`.

    Use:

    * inference, one person with its path: ``H = head(feats)``;
      :meth:`refine` ``(H, candidates, candidate_scores, context_features, context_valid,
      similarity)`` -> :data:`RefinedKeypoints`; whole videos: :func:`refine_video`.
    * training: ``resp = head.candidate_responses(head.candidate_features(H, cands), ctx, W,
      valid)``; ``head.loss(resp, cands, gt_keypoints)``.

    Args:
        in_channels (int): channels of the backbone map used (``feats[in_index]``).
        num_keypoints (int): ``K`` (the ``out_channels`` of ``final_layer``).
        deconv_out_channels, deconv_kernel_sizes, conv_out_channels, conv_kernel_sizes: as
            :class:`HeatmapHead` (three 256-channel x2 deconvolutions of kernel 4 by default;
            ``deconv_out_channels=None`` for HRNet, whose stride-4 map is already at heatmap
            resolution).
        tau (int): half temporal window τ (5): the context has ``T = 2τ + 1`` slots.
        num_candidates (int): ``n`` (16), candidates per joint (for the callers; the head takes
            any ``n``).
        sigma (float): σ of Eq. 2's Gaussian target (3, heatmap pixels).
        normalize (str): ``D`` of Eq. 6: ``'window'`` (``2τ + 1``, as printed) or ``'valid'``
            (``1 + #valid neighbours``), see :func:`temporal_context_aggregation`.
        loss_weight (float): factor on the loss.
        in_index (int): which backbone output (-1: the last, as MMPose's heads).
        init_cfg: default as :class:`HeatmapHead` (normal std 0.001 convs, BN weight 1).
    """

    def __init__(self,
                 in_channels: int = 2048,
                 num_keypoints: int = 17,
                 deconv_out_channels: OptIntSeq = (256, 256, 256),
                 deconv_kernel_sizes: OptIntSeq = (4, 4, 4),
                 conv_out_channels: OptIntSeq = None,
                 conv_kernel_sizes: OptIntSeq = None,
                 tau: int = 5,
                 num_candidates: int = 16,
                 sigma: float = 3.0,
                 normalize: str = 'window',
                 loss_weight: float = 1.0,
                 in_index: int = -1,
                 init_cfg: Optional[Union[dict, Sequence[dict]]] = None):
        if init_cfg is None:
            init_cfg = [dict(type='Normal', layer=['Conv2d', 'ConvTranspose2d'], std=0.001),
                        dict(type='Constant', layer='BatchNorm2d', val=1)]
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        if int(num_keypoints) < 1 or int(tau) < 0 or int(num_candidates) < 1:
            raise ValueError(f'{name}: need num_keypoints >= 1, tau >= 0, num_candidates >= 1, '
                             f'got {num_keypoints}, {tau}, {num_candidates}')
        if normalize not in ('window', 'valid'):
            raise ValueError(f"{name}: normalize must be 'window' or 'valid', got {normalize!r}")
        if not float(sigma) > 0:
            raise ValueError(f'{name}: sigma must be > 0, got {sigma}')
        self.in_channels = int(in_channels)
        self.num_keypoints = int(num_keypoints)
        self.tau = int(tau)
        self.num_candidates = int(num_candidates)
        self.sigma = float(sigma)
        self.normalize = normalize
        self.loss_weight = float(loss_weight)
        self.in_index = int(in_index)

        # the keypoint prediction module's layers (Sec. 3.1), built by HeatmapHead's builders
        ch = self.in_channels
        if deconv_out_channels:
            if deconv_kernel_sizes is None or len(deconv_out_channels) != len(
                    deconv_kernel_sizes):
                raise ValueError(f'{name}: deconv_out_channels and deconv_kernel_sizes must have '
                                 f'the same length, got {deconv_out_channels} and '
                                 f'{deconv_kernel_sizes}')
            self.deconv_layers = HeatmapHead._make_deconv_layers(
                self, ch, deconv_out_channels, deconv_kernel_sizes)
            ch = int(deconv_out_channels[-1])
        else:
            self.deconv_layers = nn.Identity()
        if conv_out_channels:
            if conv_kernel_sizes is None or len(conv_out_channels) != len(conv_kernel_sizes):
                raise ValueError(f'{name}: conv_out_channels and conv_kernel_sizes must have the '
                                 f'same length, got {conv_out_channels} and {conv_kernel_sizes}')
            self.conv_layers = HeatmapHead._make_conv_layers(self, ch, conv_out_channels,
                                                             conv_kernel_sizes)
            ch = int(conv_out_channels[-1])
        else:
            self.conv_layers = nn.Identity()
        self.feat_channels = ch  # C of H
        self.final_layer = build_conv_layer(
            dict(type='Conv2d', in_channels=ch, out_channels=self.num_keypoints, kernel_size=1))

    # ------------------------------------------------------------------ features
    def forward(self, feats: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Refinement features ``H`` (Sec. 3.3: the last deconvolution's output).

        Args:
            feats (Tensor | Sequence[Tensor]): backbone outputs; ``feats[in_index]`` (or the
                tensor itself) is ``(B, in_channels, h, w)``.

        Returns:
            Tensor: ``H`` ``(B, C, h', w')`` at heatmap resolution (``C = feat_channels``).
        """
        x = feats if isinstance(feats, Tensor) else feats[self.in_index]
        if x.dim() != 4 or x.size(1) != self.in_channels:
            raise ValueError(f'{type(self).__name__}: features must be (B, {self.in_channels}, '
                             f'H, W), got {tuple(x.shape)}')
        return self.conv_layers(self.deconv_layers(x))

    def heatmaps(self, H: Tensor) -> Tensor:
        """``final_layer`` on every pixel of ``H``: the responses without context, ``(B, K, h, w)``
        (equal to :meth:`candidate_responses` with no context at the candidates)."""
        return self.final_layer(H)

    def _check_maps(self, H: Tensor) -> None:
        if not isinstance(H, Tensor) or H.dim() != 4 or H.size(1) != self.feat_channels:
            raise ValueError(f'{type(self).__name__}: H must be (B, C={self.feat_channels}, h, w) '
                             f'from forward(), got {tuple(getattr(H, "shape", ()))}')

    def candidate_features(self, H: Tensor, candidates: ArrayLike) -> Tensor:
        """``H_{t,i}(l)`` at the candidates (and, with ``(B, K, 2)`` locations, ``H(l̂^k)``).

        Args:
            H (Tensor): ``(B, C, h, w)`` from :meth:`forward`.
            candidates (Tensor | np.ndarray): ``(B, K, n, 2)`` (or ``(B, K, 2)``) int ``(x, y)``
                heatmap pixels; ``(-1, -1)`` padding gives zero vectors.

        Returns:
            Tensor: ``(B, K, n, C)`` (or ``(B, K, C)``), :func:`gather_location_features`.
        """
        self._check_maps(H)
        return gather_location_features(H, candidates)

    # ---------------------------------------------------------------- re-scoring
    def candidate_responses(self,
                            candidate_features: Tensor,
                            context_features: Optional[Tensor] = None,
                            similarity: Optional[Tensor] = None,
                            context_valid: Optional[ArrayLike] = None,
                            candidate_scores: Optional[ArrayLike] = None) -> Tensor:
        """Refined responses of the candidates: Eq. 6 then the 1x1 scorer (Sec. 3.3).

        Args:
            candidate_features (Tensor): ``(B, K, n, C)`` ``H_{t,i}(l)``.
            context_features (Tensor, optional): ``(B, T, K, C)`` ``H_{t',i}(l̂^k_{t'})`` of the
                path's members (centre slot ``T // 2`` ignored). None: no context (``T = 1``;
                Table 3's M6 "refinement without context").
            similarity (Tensor, optional): ``(B, T, K, n)`` ``W(l, l̂^k_{t'})`` in ``[0, 1]``
                (:meth:`KeypointMatchingHead.context_similarity`); required with a context.
            context_valid (Tensor | np.ndarray, optional): ``(B, T)`` or ``(B, T, K)`` bool
                (``path >= 0``); None: all valid.
            candidate_scores (Tensor | np.ndarray, optional): ``(B, K, n)`` the candidates'
                heatmap responses; ``-inf`` (padding) makes the refined response ``-inf``.

        Returns:
            Tensor: ``(B, K, n)`` ``s_k(l) = w_k · H̄_k(l) + b_k`` (differentiable).
        """
        name = type(self).__name__
        if not isinstance(candidate_features, Tensor) or candidate_features.dim() != 4:
            raise ValueError(f'{name}: candidate_features must be (B, K, n, C), got '
                             f'{tuple(getattr(candidate_features, "shape", ()))}')
        B, K, n, C = candidate_features.shape
        if context_features is None:
            context_features = candidate_features.new_zeros((B, 1, K, C))
            similarity = candidate_features.new_zeros((B, 1, K, n))
            context_valid = torch.zeros((B, 1), dtype=torch.bool,
                                        device=candidate_features.device)
        elif similarity is None:
            raise ValueError(f'{name}: a context (context_features) needs its similarity '
                             f'W (B, T, K, n)')
        if context_valid is None:
            context_valid = torch.ones(context_features.shape[:2], dtype=torch.bool,
                                       device=candidate_features.device)
        agg = temporal_context_aggregation(candidate_features, context_features,
                                           similarity.to(candidate_features.dtype),
                                           context_valid, self.normalize)
        scores = rescore_candidates(agg, self.final_layer.weight, self.final_layer.bias)
        if candidate_scores is not None:
            cs = torch.as_tensor(candidate_scores, device=scores.device)
            if tuple(cs.shape) != (B, K, n):
                raise ValueError(f'{name}: candidate_scores must be (B, K, n)={(B, K, n)}, got '
                                 f'{tuple(cs.shape)}')
            scores = torch.where(cs > float('-inf'), scores,
                                 torch.full_like(scores, float('-inf')))
        return scores

    def refine(self,
               H: Tensor,
               candidates: ArrayLike,
               candidate_scores: Optional[ArrayLike] = None,
               context_features: Optional[Tensor] = None,
               context_valid: Optional[ArrayLike] = None,
               similarity: Optional[Tensor] = None) -> RefinedKeypoints:
        """Refine the keypoints of ``B`` people from their temporal context (Sec. 3.3, Fig. 5).

        ``l* = argmax_{l ∈ L^k} s_k(H̄(l))`` (Eq. 1 over the candidates, Eq. 6 aggregate). With no
        context (None, or every neighbour invalid) the choice is the single-frame one of the
        module (M6): ``argmax_l final_layer(H)(l)`` over the candidates (with ``'window'`` the
        responses are ``w·H(l)/(2τ+1) + b``: same order, smaller scale).

        Args:
            H (Tensor): ``(B, C, h, w)`` refinement features of the people (:meth:`forward`).
            candidates (Tensor | np.ndarray): ``(B, K, n, 2)`` int ``(x, y)`` heatmap pixels
                (``heatmap_candidates`` of the keypoint head's heatmaps).
            candidate_scores (Tensor | np.ndarray, optional): ``(B, K, n)``, ``-inf`` = padding.
            context_features (Tensor, optional): ``(B, T, K, C)`` ``H_{t'}(l̂^k_{t'})``.
            context_valid (Tensor | np.ndarray, optional): ``(B, T)`` / ``(B, T, K)`` bool.
            similarity (Tensor, optional): ``(B, T, K, n)`` ``W(l, l̂^k_{t'})``.

        Returns:
            :data:`RefinedKeypoints` (``keypoints (B, K, 2)`` int64 heatmap pixels, ``(-1, -1)``
            for a joint without a valid candidate; ``keypoint_scores (B, K)``;
            ``candidate_scores (B, K, n)``).
        """
        cand = torch.as_tensor(candidates, device=H.device)
        if cand.dim() != 4 or cand.shape[:2] != (H.shape[0], self.num_keypoints) or \
                cand.shape[-1] != 2:
            raise ValueError(f'{type(self).__name__}: candidates must be (B={H.shape[0]}, '
                             f'K={self.num_keypoints}, n, 2), got {tuple(cand.shape)}')
        feats = self.candidate_features(H, cand)
        scores = self.candidate_responses(feats, context_features, similarity, context_valid,
                                          candidate_scores)
        kp, ks = select_refined_keypoints(cand, scores)
        return RefinedKeypoints(kp, ks, scores)

    # ---------------------------------------------------------------------- loss
    def loss(self, responses: Tensor, candidates: ArrayLike,
             gt_keypoints: ArrayLike) -> Dict[str, Tensor]:
        """Eq. 2 on the sampled candidates only (Sec. 3.3), and the selection accuracy.

        ``L = loss_weight / (B K) · Σ_{b,k} v̄_b^k Σ_{l ∈ L_b^k} (s_k(l) − exp(−||l − l̄_b^k||² /
        σ²))²``: Eq. 2's per-heatmap squared error restricted to the candidates (padded
        candidates and joints with ``v = 0`` do not count; the ``1 / (N K)`` normaliser counts
        every joint, as printed). Training candidates are the ground truth plus the ``n``
        local maxima (:func:`keypoint_location_sets`: the maxima are the hard negatives).

        Args:
            responses (Tensor): ``(B, K, n)`` from :meth:`candidate_responses`.
            candidates (Tensor | np.ndarray): ``(B, K, n, 2)`` int ``(x, y)`` heatmap pixels.
            gt_keypoints (Tensor | np.ndarray): ``(B, K, 3)`` ``(x, y, v)`` heatmap pixels.

        Returns:
            dict: always ``loss_refine`` (scalar, connected to ``responses``; 0 when nothing
            counts) and ``acc_refine`` (no grad: the fraction of labelled joints whose best
            response is at the candidate of highest target, i.e. nearest the ground truth;
            0 when there is none).
        """
        name = type(self).__name__
        cand = torch.as_tensor(candidates, device=responses.device)
        if responses.dim() != 3 or tuple(cand.shape[:3]) != tuple(responses.shape) or \
                cand.dim() != 4:
            raise ValueError(f'{name}: loss needs responses (B, K, n) and candidates (B, K, n, '
                             f'2), got {tuple(responses.shape)} and {tuple(cand.shape)}')
        gt = torch.as_tensor(gt_keypoints, device=responses.device)
        if gt.dim() != 3 or tuple(gt.shape[:2]) != tuple(responses.shape[:2]):
            raise ValueError(f'{name}: gt_keypoints must be (B, K, 3) with (B, K)='
                             f'{tuple(responses.shape[:2])}, got {tuple(gt.shape)}')
        targets, weights = candidate_heatmap_targets(cand, gt, self.sigma)
        targets = targets.to(responses.dtype)
        weights = weights.to(responses.dtype)
        B, K, n = responses.shape
        if B * K * n == 0 or float(weights.sum()) <= 0:
            zero = responses.sum() * 0.0 if responses.numel() else responses.new_zeros(())
            zero = torch.nan_to_num(zero, nan=0.0, posinf=0.0, neginf=0.0)
            return dict(loss_refine=zero, acc_refine=zero.detach())
        diff = torch.where(weights > 0, responses - targets, torch.zeros_like(responses))
        loss = self.loss_weight * (weights * diff**2).sum() / (B * K)
        with torch.no_grad():
            labelled = weights.sum(-1) > 0  # (B, K)
            neg = torch.full_like(responses, float('-inf'))
            best_r = torch.where(weights > 0, responses, neg).argmax(-1)
            best_t = torch.where(weights > 0, targets, neg).argmax(-1)
            acc = ((best_r == best_t) & labelled).sum().to(responses.dtype) / labelled.sum()
        return dict(loss_refine=loss, acc_refine=acc)


# ------------------------------------------------------------------------------------------
# video-level refinement: path search with the learned similarity, then refine every person
# ------------------------------------------------------------------------------------------
_FRAME_FIELDS = ('keypoints', 'candidates', 'candidate_scores', 'refine_features',
                 'match_features')

#: ``pred_instances`` field (what :class:`~mmpose_track.models.pose_estimators.TKMRNet` predicts
#: with ``test_cfg.refine``) of each frame input of :class:`DelayedKeypointRefiner`;
#: ``keypoints`` / ``keypoint_scores`` / ``bboxes`` keep their MMPose names.
INSTANCE_FIELDS = dict(candidates='refine_candidates',
                       candidate_scores='refine_candidate_scores',
                       candidate_keypoints='refine_candidate_keypoints',
                       refine_features='refine_features',
                       match_features='refine_match_features')


class DelayedKeypointRefiner:
    """Temporal keypoint refinement of a video as a delayed online step, ``τ`` frames behind.

    **When it runs, and why.** Refinement of frame ``t`` needs the people of ``t+1 … t+τ``
    (the forward path, Sec. 3.3). We run it as a delayed online step: frame ``t`` is refined
    as soon as frame ``t + τ`` has been pushed (the last ``τ`` frames by :meth:`flush` at video
    end). The result equals a pass at video end (frame ``t`` depends only on frames
    ``[t−τ, t+τ]``: the path search never leaves that window), while (a) the memory is bounded
    by ``2τ + 1`` frames of per-person features (``K · n · (C + C_m)`` floats per person,
    ≈ 0.5 MB at ``K = 17``, ``n = 16``, ``C = C_m = 256``) instead of growing with the video,
    and (b) refined poses leave with a fixed latency of ``τ`` frames, so a streaming test loop
    can write them while the online tracker (which matches the unrefined poses, Eq. 5, and is
    not changed by refinement) keeps running frame by frame. :func:`refine_video` is the same
    step over a whole stored video.

    **Per frame** (one :meth:`push`): one batched call of the matching classifiers for all
    person pairs of the new frame and the previous one, ``G_k(f_t^k, f_{t-1}^k)`` at the
    people's arg-max locations (``N_t · N_{t−1}`` pairs, the Eq. 5 terms the path search
    reads; later frame first, the training order). Per refined frame: one
    :func:`temporal_path_search` per person (``2τ`` steps of table look-ups), then one batched
    context gather, :meth:`KeypointMatchingHead.context_similarity` ``W(l, l̂_{t'})`` and
    :meth:`KeypointRefinementHead.candidate_responses` for all people of the frame (chunks of
    ``batch_size`` people), vectorised over people, joints, candidates and the window.

    **Frame input** (a mapping; ``N`` people, possibly 0):

    * ``keypoints`` ``(N, K, 3)`` ``(x, y, score)`` in image coordinates: the default person
      boxes of Eq. 5's IoU gate (as the tracker); optional ``bboxes`` ``(N, 4)`` x1y1x2y2.
    * ``candidates`` ``(N, K, n, 2)`` int ``(x, y)`` heatmap pixels and ``candidate_scores``
      ``(N, K, n)`` (:func:`heatmap_candidates` of the keypoint head's heatmaps, sorted:
      candidate 0 is the arg-max ``l̂`` of Eq. 1).
    * ``refine_features`` ``(N, K, n, C)``: ``H(l)`` at the candidates
      (:meth:`KeypointRefinementHead.candidate_features`); ``[:, :, 0]`` is ``H(l̂)``, the
      person's context contribution to its neighbours.
    * ``match_features`` ``(N, K, n, C_m)``: the matching features ``F(l)`` at the candidates
      (:meth:`KeypointMatchingHead.keypoint_features`); ``[:, :, 0]`` is ``f^k = F(l̂^k)``.
    * optional ``candidate_keypoints`` ``(N, K, n, 2)``: the candidates in image coordinates
      (sub-pixel, through the person's crop, as the codec places the arg-max); then the
      output also holds the refined keypoints in the image.

    :meth:`push_instances` takes a frame's MMPose ``pred_instances`` instead (the fields named
    in :data:`INSTANCE_FIELDS`), which is how
    :class:`~mmpose_track.tracking.VideoTrackingStream` drives it.

    A joint whose candidate 0 is padding (``-inf``) gives no context; a person without any
    valid joint (all NaN keypoints) gets a zero box, so no neighbour passes the IoU gate and it
    is refined without context (its own candidates, or ``(-1, -1)`` / ``-inf`` without any).

    **Output** per refined frame ``t`` (a dict, numpy): ``keypoints`` ``(N, K, 2)`` int64
    refined heatmap pixels (map them to the image with the crop's transform, as the decoded
    keypoints), ``keypoint_scores`` ``(N, K)`` float32 refined responses, ``paths`` ``(N, 2τ+1)``
    int64 (person index on the path in frames ``t−τ … t+τ``, -1: none), ``candidate_index``
    ``(N, K)`` int64 (the chosen candidate, -1: none valid); with ``candidate_keypoints`` also
    ``image_keypoints`` ``(N, K, 2)`` float32 (the chosen candidate in the image; the input
    keypoint where no candidate is valid) and ``image_keypoint_scores`` ``(N, K)`` float32 (the
    keypoint head's heatmap response at it: unchanged where refinement keeps the arg-max, so
    refinement without effect leaves a pose exactly as predicted).

    With ``τ = 0`` (Table 3 M6, self-refinement) frames are refined as they arrive, and the
    matching classifiers are not run.

    Args:
        matching_head: :class:`KeypointMatchingHead` (keypoint mode): ``pairwise_similarity``
            and ``context_similarity``.
        refinement_head (KeypointRefinementHead): the scorer (and ``tau``, ``normalize``).
        tau (int, optional): half window (None: ``refinement_head.tau``).
        iou_thr (float): Eq. 5's IoU gate (0.1).
        min_similarity (float): see :func:`temporal_path_search`.
        batch_size (int): people per batched refinement call (memory of the classifiers'
            hidden layer: ``batch · T · K · n · hidden`` floats).
    """

    def __init__(self,
                 matching_head,
                 refinement_head: KeypointRefinementHead,
                 tau: Optional[int] = None,
                 iou_thr: float = 0.1,
                 min_similarity: float = 0.0,
                 batch_size: int = 16):
        self.matching_head = matching_head
        self.refinement_head = refinement_head
        self.tau = int(refinement_head.tau if tau is None else tau)
        if self.tau < 0 or int(batch_size) < 1:
            raise ValueError(f'DelayedKeypointRefiner: need tau >= 0 and batch_size >= 1, got '
                             f'{tau}, {batch_size}')
        self.iou_thr = float(iou_thr)
        self.min_similarity = float(min_similarity)
        self.batch_size = int(batch_size)
        self.reset()

    def reset(self) -> None:
        """Forget the buffered frames (start of a new video)."""
        self._frames: List[dict] = []  # buffer, frames [self._start, self._count)
        self._sims: List[np.ndarray] = []  # _sims[j]: (N_j, N_{j-1}, K), None for j = 0
        self._start = 0  # absolute index of self._frames[0]
        self._count = 0  # frames pushed
        self._next = 0  # next frame to refine
        self._shape = None  # (K, n, C, C_m) of the video

    # ---------------------------------------------------------------- input
    def _check_frame(self, frame: Mapping) -> dict:
        fid = self._count
        where = f'DelayedKeypointRefiner: frame {fid}'
        if not isinstance(frame, Mapping):
            raise TypeError(f'{where}: expected a mapping with {_FRAME_FIELDS}, got '
                            f'{type(frame).__name__}')
        missing = [k for k in _FRAME_FIELDS if k not in frame]
        if missing:
            raise ValueError(f'{where}: missing field(s) {missing}')
        rdev = self.refinement_head.final_layer.weight.device
        mdev = self.matching_head.fc1.weight.device
        out = dict(keypoints=np.asarray(_np(frame['keypoints']), dtype=np.float64))
        out['candidates'] = torch.as_tensor(frame['candidates'], device=rdev).long()
        out['candidate_scores'] = torch.as_tensor(frame['candidate_scores'], device=rdev).float()
        out['refine_features'] = torch.as_tensor(frame['refine_features'], device=rdev).float()
        out['match_features'] = torch.as_tensor(frame['match_features'], device=mdev).float()
        kp, cand = out['keypoints'], out['candidates']
        if cand.dim() != 4 or cand.shape[-1] != 2:
            raise ValueError(f'{where}: candidates must be (N, K, n, 2), got {tuple(cand.shape)}')
        N, K, n = cand.shape[:3]
        if kp.ndim != 3 or kp.shape[:2] != (N, K) or kp.shape[-1] not in (2, 3):
            raise ValueError(f'{where}: keypoints must be (N={N}, K={K}, 3), got {kp.shape}')
        for key, dims in (('candidate_scores', 3), ('refine_features', 4), ('match_features', 4)):
            v = out[key]
            if v.dim() != dims or tuple(v.shape[:3]) != (N, K, n):
                raise ValueError(f'{where}: {key} must be (N, K, n{", C" if dims == 4 else ""})='
                                 f'({N}, {K}, {n}{", C" if dims == 4 else ""}), got '
                                 f'{tuple(v.shape)}')
        C, Cm = out['refine_features'].shape[-1], out['match_features'].shape[-1]
        hK, hC = self.refinement_head.num_keypoints, self.refinement_head.feat_channels
        if C != hC or K != hK:
            raise ValueError(f'{where}: refine_features must be (N, K={hK}, n, C={hC}) for the '
                             f'refinement head, got {tuple(out["refine_features"].shape)}')
        shape = (K, n, C, Cm)
        if self._shape is not None and shape != self._shape:
            raise ValueError(f'{where}: (K, n, C, C_m)={shape} differs from the video\'s '
                             f'{self._shape}')
        self._shape = shape
        if frame.get('candidate_keypoints', None) is not None:
            ck = np.asarray(_np(frame['candidate_keypoints']), dtype=np.float64)
            if ck.shape != (N, K, n, 2):
                raise ValueError(f'{where}: candidate_keypoints must be (N, K, n, 2)='
                                 f'({N}, {K}, {n}, 2), got {ck.shape}')
            out['candidate_keypoints'] = ck
        if 'bboxes' in frame and frame['bboxes'] is not None:
            bb = np.asarray(_np(frame['bboxes']), dtype=np.float64).reshape(-1, 4)
            if len(bb) != N:
                raise ValueError(f'{where}: bboxes must be (N={N}, 4), got {bb.shape}')
            out['bboxes'] = bb
        return out

    # ---------------------------------------------------------------- steps
    def push(self, frame: Mapping) -> List[Tuple[int, dict]]:
        """Add the next frame; returns the frames refined now: ``[(t, result)]`` (at most one,
        ``t = pushed − 1 − τ``)."""
        fr = self._check_frame(frame)
        if self._frames and self.tau > 0:
            prev = self._frames[-1]
            self._sims.append(self._adjacent_similarity(fr, prev))
        else:
            self._sims.append(None)
        self._frames.append(fr)
        self._count += 1
        done = []
        while self._next <= self._count - 1 - self.tau:
            done.append((self._next, self._refine_frame(self._next)))
            self._next += 1
            self._trim()
        return done

    def flush(self) -> List[Tuple[int, dict]]:
        """Refine the frames still waiting (video end: fewer than τ future frames), then
        :meth:`reset`. Returns ``[(t, result)]`` in frame order."""
        done = []
        while self._next < self._count:
            done.append((self._next, self._refine_frame(self._next)))
            self._next += 1
        self.reset()
        return done

    def _trim(self) -> None:
        drop = max(0, (self._next - self.tau) - self._start)
        if drop:
            self._frames = self._frames[drop:]
            self._sims = [None] + self._sims[drop + 1:]
            self._start += drop

    @torch.no_grad()
    def _adjacent_similarity(self, cur: dict, prev: dict) -> np.ndarray:
        """``G_k(f_{t,i}^k, f_{t−1,j}^k)`` for all pairs, ``(N_t, N_{t−1}, K)`` (Eq. 5 terms)."""
        a, b = cur['match_features'][:, :, 0], prev['match_features'][:, :, 0]
        K = cur['candidates'].shape[1]
        if len(a) == 0 or len(b) == 0:
            return np.zeros((len(a), len(b), K))
        return self.matching_head.pairwise_similarity(a, b).double().cpu().numpy()

    def _empty_result(self, N: int, K: int, image: bool) -> dict:
        out = dict(keypoints=np.full((N, K, 2), -1, np.int64),
                   keypoint_scores=np.full((N, K), -np.inf, np.float32),
                   paths=np.full((N, 2 * self.tau + 1), -1, np.int64),
                   candidate_index=np.full((N, K), -1, np.int64))
        if image:
            out.update(image_keypoints=np.zeros((N, K, 2), np.float32),
                       image_keypoint_scores=np.zeros((N, K), np.float32))
        return out

    # ---------------------------------------------------------------- pred_instances
    @property
    def instance_keys(self) -> Tuple[str, ...]:
        """The ``pred_instances`` fields :meth:`push_instances` reads (and a caller may drop
        after pushing: the refiner keeps what it needs)."""
        return tuple(INSTANCE_FIELDS.values())

    def push_instances(self, pred_instances) -> List[Tuple[int, dict]]:
        """:meth:`push` of a frame's ``pred_instances`` (an MMEngine ``InstanceData``).

        Reads ``keypoints`` ``(N, K, 2)`` and ``keypoint_scores`` (image coordinates),
        ``bboxes`` when present, and the :data:`INSTANCE_FIELDS` (the model's refinement inputs).
        A frame without people may lack them (an empty frame keeps the frame count).

        Returns:
            list: ``[(t, result)]`` as :meth:`push`; the results hold ``image_keypoints`` and
            ``image_keypoint_scores``: the refined pose of frame ``t`` in the image.

        Raises:
            ValueError: people without the refinement fields (the model was not asked to
                predict them: ``test_cfg.refine``).
        """
        N = len(pred_instances) if pred_instances is not None else 0
        if N == 0:
            return self.push(self._empty_frame())
        missing = [f for f in INSTANCE_FIELDS.values() if f not in pred_instances]
        if missing or 'keypoints' not in pred_instances:
            raise ValueError(f'DelayedKeypointRefiner: frame {self._count} has {N} people but '
                             f'no {missing or ["keypoints"]} in pred_instances (predict them '
                             f'with the model\'s test_cfg.refine)')
        kp = np.asarray(_np(pred_instances.keypoints), np.float64)[..., :2]
        sc = pred_instances.get('keypoint_scores', None)
        sc = np.ones(kp.shape[:2]) if sc is None else np.asarray(_np(sc), np.float64)
        frame = {k: pred_instances.get(f) for k, f in INSTANCE_FIELDS.items()}
        frame['keypoints'] = np.concatenate([kp, sc.reshape(kp.shape[:2])[..., None]], -1)
        if 'bboxes' in pred_instances:
            frame['bboxes'] = pred_instances.bboxes
        return self.push(frame)

    def _empty_frame(self) -> dict:
        """A frame input without people, of the video's (or the heads') sizes."""
        head = self.refinement_head
        K, n, C, Cm = self._shape or (head.num_keypoints, head.num_candidates,
                                      head.feat_channels, self.matching_head.feat_channels)
        return dict(keypoints=np.zeros((0, K, 3)), candidates=np.zeros((0, K, n, 2), np.int64),
                    candidate_scores=np.zeros((0, K, n), np.float32),
                    candidate_keypoints=np.zeros((0, K, n, 2)),
                    refine_features=np.zeros((0, K, n, C), np.float32),
                    match_features=np.zeros((0, K, n, Cm), np.float32))

    @torch.no_grad()
    def _refine_frame(self, t: int) -> dict:
        tau, T = self.tau, 2 * self.tau + 1
        frames, sims, start = self._frames, self._sims, self._start
        lt = t - start
        cur = frames[lt]
        N, K, n = cur['candidates'].shape[:3]
        image = 'candidate_keypoints' in cur
        if N == 0:
            return self._empty_result(0, K, image)
        kps = [f['keypoints'] for f in frames]
        bboxes = [f['bboxes'] for f in frames] if all('bboxes' in f for f in frames) else None

        def similarity(fa: int, i: int, fb: int) -> np.ndarray:
            # adjacent frames only (the path moves one frame per step)
            return sims[fa][i] if fb == fa - 1 else sims[fb][:, i]

        paths = np.stack([
            temporal_path_search(kps, lt, i, tau, bboxes=bboxes, keypoint_similarity=similarity,
                                 iou_thr=self.iou_thr, min_similarity=self.min_similarity)
            for i in range(N)
        ])  # (N, T)

        # context: each path member's features at its own arg-max l̂ (candidate 0)
        rdev = cur['refine_features'].device
        mdev = cur['match_features'].device
        C, Cm = self._shape[2], self._shape[3]
        ctx_h = cur['refine_features'].new_zeros((N, T, K, C))
        ctx_f = cur['match_features'].new_zeros((N, T, K, Cm))
        valid = torch.zeros((N, T, K), dtype=torch.bool, device=rdev)
        for s in range(T):
            lf = lt - tau + s
            if s == tau or not 0 <= lf < len(frames):
                continue
            idx = torch.as_tensor(paths[:, s], device=rdev)
            has = idx >= 0
            if not bool(has.any()):
                continue
            fr, sel = frames[lf], idx.clamp(min=0)
            ctx_h[:, s] = fr['refine_features'][sel, :, 0] * has[:, None, None]
            ctx_f[:, s] = fr['match_features'][sel.to(mdev), :, 0] * has.to(mdev)[:, None, None]
            valid[:, s] = has[:, None] & (fr['candidate_scores'][sel, :, 0] > float('-inf'))

        kp_out, ks_out, idx_out = [], [], []
        for b0 in range(0, N, self.batch_size):
            sl = slice(b0, b0 + self.batch_size)
            W = self.matching_head.context_similarity(cur['match_features'][sl], ctx_f[sl])
            resp = self.refinement_head.candidate_responses(
                cur['refine_features'][sl], ctx_h[sl], W.to(rdev), valid[sl],
                cur['candidate_scores'][sl])
            kp, ks = select_refined_keypoints(cur['candidates'][sl], resp)
            kp_out.append(kp)
            ks_out.append(ks)
            # the same choice as an index (first maximum; -1 when no candidate is valid)
            idx = resp.argmax(-1)
            idx_out.append(torch.where((resp > float('-inf')).any(-1), idx,
                                       torch.full_like(idx, -1)))
        out = dict(keypoints=torch.cat(kp_out).cpu().numpy().astype(np.int64),
                   keypoint_scores=torch.cat(ks_out).float().cpu().numpy(),
                   paths=paths.astype(np.int64),
                   candidate_index=torch.cat(idx_out).cpu().numpy().astype(np.int64))
        if image:
            out.update(self._image_keypoints(cur, out['candidate_index']))
        return out

    @staticmethod
    def _image_keypoints(frame: dict, index: np.ndarray) -> dict:
        """The chosen candidates in the image and their heatmap responses; the input
        keypoint and score where no candidate is valid (``index < 0``)."""
        safe = np.maximum(index, 0)
        ck = np.take_along_axis(frame['candidate_keypoints'], safe[..., None, None], 2)[:, :, 0]
        cs = np.take_along_axis(frame['candidate_scores'].double().cpu().numpy(),
                                safe[..., None], 2)[..., 0]
        has = index >= 0
        orig = frame['keypoints']
        kp = np.where(has[..., None], ck, orig[..., :2])
        sc = np.where(has, cs, orig[..., 2] if orig.shape[-1] > 2 else 0.0)
        return dict(image_keypoints=kp.astype(np.float32),
                    image_keypoint_scores=sc.astype(np.float32))


def _np(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, Tensor) else np.asarray(x)


def refine_video(frames: Sequence[Mapping],
                 matching_head,
                 refinement_head: KeypointRefinementHead,
                 tau: Optional[int] = None,
                 iou_thr: float = 0.1,
                 min_similarity: float = 0.0,
                 batch_size: int = 16) -> List[dict]:
    """Refine every person of a stored video (Sec. 3.3): the :class:`DelayedKeypointRefiner`
    (a delayed online step, τ frames behind; see there for why) pushed every frame and flushed.

    Args:
        frames: per frame a mapping with ``keypoints``, ``candidates``, ``candidate_scores``,
            ``refine_features``, ``match_features`` (optional ``bboxes``), see
            :class:`DelayedKeypointRefiner`.
        matching_head, refinement_head, tau, iou_thr, min_similarity, batch_size: as there.

    Returns:
        list: per frame ``dict(keypoints (N, K, 2) int64 heatmap px, keypoint_scores (N, K),
        paths (N, 2τ+1))``. A one-frame video, and the first / last τ frames, are refined with
        the neighbours that exist (none: the single-frame choice of the module).
    """
    refiner = DelayedKeypointRefiner(matching_head, refinement_head, tau, iou_thr,
                                     min_similarity, batch_size)
    out: List[Optional[dict]] = [None] * len(frames)
    for fr in frames:
        for t, res in refiner.push(fr):
            out[t] = res
    for t, res in refiner.flush():
        out[t] = res
    return out
