"""SpatialNet head of ST-Embed (Jin et al. 2019, Sec. 3.1-3.2, 3.4; supplementary Sec. 1.1, 2.1).

The head has no layers of its own: each hourglass stack of :class:`HourglassAENetWithStem` already
ends in a 1x1 conv with ``C = K + L*K + 2K + 6`` channels (as MMPose's AE hourglass ends in
``K + L*K``), split here into

``[heatmaps (K) | KE tags (L*K, MMPose AE layout view(B, L, K, H, W)) |
SVF (2K, view(B, K, 2, H, W): x, y of joint j) | ordinal maps (6: l2r, r2l, t2b, b2t, f2n, n2f)]``.

The layout is the same for every Table 3 row: the switches ``use_ke`` / ``use_sie`` / ``use_aux``
/ ``with_pgg`` turn the *losses* and the *decoding terms* on and off, not channels, so one backbone
config (and checkpoint) serves every row; unsupervised channels are simply not used.

Losses, on every stack (intermediate supervision, as the AE hourglass; summed over stacks):

- ``loss_heatmap``: Eq. 1, MSE to the Gaussian heatmaps (max over people), averaged over pixels
  as in Newell et al.'s AE code, whose detection : tag weights 1 : 1e-3 the paper inherits;
- ``loss_ke_pull`` / ``loss_ke_push``: Eq. 2-3 on the KE tags (weight 1e-3);
- ``loss_ordinal``: Eq. 4 on the six ordinal maps (weight 1e-4);
- ``loss_svf``: Eq. 5, L1 on the spatial vector fields (weight 1e-4);
- ``loss_pgg_pull`` / ``loss_pgg_push`` (``with_pgg``): Eq. 2-3 on every iteration of Pose-Guided
  Grouping (Alg. 1) run over the ground-truth pose mask (weight 1e-4), on the last stack (all
  stacks with ``pgg_all_stacks``: PGG's memory grows with the mask's pixel count squared).

The PGG embedding of a pixel ``p`` (training and test alike) is ``[KE_j*(p), SIE_j*(p) /
sie_scale]`` with ``j*(p) = argmax_j C_j(p)`` the joint type whose heatmap is largest at ``p``
(ground truth in training, prediction at test time) and ``SIE_j(p) = p - SVF_j(p)`` the predicted
person centre (Sec. 3.1.2); the KE and SIE parts are joined by the codec's
:func:`~mmpose_track.codecs.spatial_embedding.combine_embeddings` (the one definition of the
combined tag, also used by the AE decoding). The GBMS bandwidth ``delta = 5`` is read in heatmap
pixels of SIE (``pose_guided_grouping`` gets ``bandwidth = pgg_bandwidth / sie_scale`` on the
tag-unit embedding; see ``pgg_bandwidth`` below for why not 5 tag units).

Decoding (``predict``): heatmaps (optionally flip-averaged), combined tags ``[KE, SIE/sie_scale]``
per joint type, PGG refinement on the predicted mask (``tau = 0.2``) with the refined embedding of
each masked pixel written back into every joint type's channel at that pixel, then the codec's
associative-embedding greedy decoding (:meth:`SpatialEmbedding.batch_decode`). Each person also
carries ``ke (K, L)`` and ``sie (K, 2)`` sampled at its decoded joints (after PGG where used).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.structures import InstanceData, PixelData
from mmpose.models.heads.base_head import BaseHead
from mmpose.models.utils.tta import flip_heatmaps
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.utils.typing import ConfigType, OptConfigType, OptSampleList, Predictions
from torch import Tensor

from mmpose_track.codecs.spatial_embedding import combine_embeddings, sie_from_svf
from ..losses import st_embed_loss  # noqa: F401  (registers KeypointEmbeddingLoss & co.)
from ..utils import masked_column_index, pose_guided_grouping, pose_mask, scatter_to_map

__all__ = ['SpatialEmbeddingHead', 'bboxes_from_keypoints']

NUM_ORDINAL = 6  # l2r, r2l, t2b, b2t, f2n, n2f (Sec. 3.1.1)


def bboxes_from_keypoints(keypoints: np.ndarray, scores: np.ndarray, thr: float) -> np.ndarray:
    """``(N, 4)`` x1y1x2y2 boxes around each person's joints scored above ``thr``.

    A person with no joint above ``thr`` gets the box of all its joints.

    Args:
        keypoints: ``(N, K, 2)``; scores: ``(N, K)``; thr: score threshold.
    Returns:
        ``(N, 4)`` float32 (``(0, 4)`` for no person).
    """
    keypoints = np.asarray(keypoints, dtype=np.float32).reshape(-1, scores.shape[-1], 2)
    if len(keypoints) == 0:
        return np.zeros((0, 4), np.float32)
    sel = scores > thr
    sel[~sel.any(axis=1)] = True
    lo = np.where(sel[..., None], keypoints, np.inf).min(axis=1)
    hi = np.where(sel[..., None], keypoints, -np.inf).max(axis=1)
    return np.concatenate([lo, hi], axis=1).astype(np.float32)


def _pad_stack(arrays: Sequence, shape_tail: Tuple[int, ...], dtype, device) -> Tensor:
    """Stack per-image ``(N_b, *tail)`` arrays into ``(B, max N_b, *tail)``, zero-padded."""
    tensors = [torch.as_tensor(np.asarray(a) if not isinstance(a, Tensor) else a)
               .to(device=device, dtype=dtype).reshape((-1, ) + shape_tail) for a in arrays]
    n_max = max([t.shape[0] for t in tensors] + [0])
    out = torch.zeros((len(tensors), n_max) + shape_tail, dtype=dtype, device=device)
    for b, t in enumerate(tensors):
        out[b, :t.shape[0]] = t
    return out


@MODELS.register_module()
class SpatialEmbeddingHead(BaseHead):
    """Splits SpatialNet's stack outputs; ST-Embed's losses (Eq. 1-5, PGG) and decoding.

    Args:
        num_keypoints (int): K.
        tag_dim (int): L, KE dimension per joint type. Defaults to 1.
        stem_in_feats (bool): ``feats[0]`` is the stem (as :class:`HourglassAENetWithStem`
            returns) and is skipped; the stack outputs are ``feats[1:]``. Defaults to True.
        use_ke (bool): KE loss and KE in the decoding tag (Table 3 "KE").
        use_sie (bool): SVF loss and SIE in the decoding tag (Table 3 "SIE").
        use_aux (bool): ordinal auxiliary loss (Table 3 "+aux").
        with_pgg (bool): PGG grouping loss in training and PGG refinement before decoding
            (``test_cfg['use_pgg']`` overrides the latter). Stage 1 trains without, stage 2
            fine-tunes with it (Sec. 3.4).
        pgg_iters (int): R of Alg. 1 (1 in the paper).
        pgg_bandwidth (float): GBMS bandwidth ``delta`` (the paper: 5) in heatmap PIXELS of
            SIE: PGG groups ``sie_scale * [KE, SIE / sie_scale] = [sie_scale * KE, SIE]``, i.e.
            it calls :func:`~mmpose_track.models.utils.pose_guided_grouping` on the tag-unit
            embedding with ``bandwidth = pgg_bandwidth / sie_scale`` (GBMS is equivariant to
            scaling the embedding and the bandwidth together). A bandwidth of 5 *tag* units
            would blur people whose tags differ by the ~1-3 units Eq. 3 pushes them apart into
            one cluster; 5 px of person centre is the scale at which one person's joints agree
            and different people do not.
        pgg_mask_thr (float): tau of the pose mask (0.2).
        pgg_all_stacks (bool): PGG loss on every stack instead of the last one.
        sie_scale (float, optional): heatmap px of SIE distance worth one tag unit; ``None``
            takes the decoder's ``sie_scale``.
        bbox_keypoint_thr (float): joints scored above it span the predicted box.
        keypoint_loss / ke_loss / aux_loss / svf_loss / pgg_loss (dict): loss configs; their
            ``loss_weight`` carries the paper's 1 : 1e-3 : 1e-4 : 1e-4 and 1e-4.
        decoder (dict): a ``SpatialEmbedding`` codec config.
        init_cfg (dict, optional): unused (the head has no layers).
    """

    def __init__(self,
                 num_keypoints: int,
                 tag_dim: int = 1,
                 stem_in_feats: bool = True,
                 use_ke: bool = True,
                 use_sie: bool = True,
                 use_aux: bool = True,
                 with_pgg: bool = False,
                 pgg_iters: int = 1,
                 pgg_bandwidth: float = 5.0,
                 pgg_mask_thr: float = 0.2,
                 pgg_all_stacks: bool = False,
                 sie_scale: Optional[float] = None,
                 bbox_keypoint_thr: float = 0.1,
                 keypoint_loss: ConfigType = dict(
                     type='KeypointMSELoss', use_target_weight=False, loss_weight=1.0),
                 ke_loss: ConfigType = dict(type='KeypointEmbeddingLoss', loss_weight=1e-3),
                 aux_loss: ConfigType = dict(type='OrdinalEmbeddingLoss', loss_weight=1e-4),
                 svf_loss: ConfigType = dict(type='KeypointVectorFieldLoss', loss_weight=1e-4),
                 pgg_loss: ConfigType = dict(type='GroupingLoss', loss_weight=1e-4),
                 decoder: OptConfigType = None,
                 init_cfg: OptConfigType = None):
        super().__init__(init_cfg=init_cfg)
        if not (use_ke or use_sie):
            raise ValueError('SpatialEmbeddingHead: use_ke and use_sie are both False; the '
                             'decoding needs at least one embedding')
        self.num_keypoints = int(num_keypoints)
        self.tag_dim = int(tag_dim)
        self.stem_in_feats = bool(stem_in_feats)
        self.use_ke, self.use_sie, self.use_aux = bool(use_ke), bool(use_sie), bool(use_aux)
        self.with_pgg = bool(with_pgg)
        self.pgg_iters = int(pgg_iters)
        self.pgg_bandwidth = float(pgg_bandwidth)
        self.pgg_mask_thr = float(pgg_mask_thr)
        self.pgg_all_stacks = bool(pgg_all_stacks)
        self.bbox_keypoint_thr = float(bbox_keypoint_thr)
        self._sie_scale = sie_scale

        self.keypoint_loss_module = MODELS.build(keypoint_loss)
        self.ke_loss_module = MODELS.build(ke_loss) if self.use_ke else None
        self.aux_loss_module = MODELS.build(aux_loss) if self.use_aux else None
        self.svf_loss_module = MODELS.build(svf_loss) if self.use_sie else None
        self.pgg_loss_module = MODELS.build(pgg_loss) if self.with_pgg else None
        self.decoder = KEYPOINT_CODECS.build(decoder) if decoder is not None else None

    # ------------------------------------------------------------------ layout
    @property
    def out_channels(self) -> int:
        """``C = K + L*K + 2K + 6``: the channels each stack must output."""
        K, L = self.num_keypoints, self.tag_dim
        return K + L * K + 2 * K + NUM_ORDINAL

    @property
    def sie_scale(self) -> float:
        """Heatmap px of SIE distance worth one tag unit (head arg, else the decoder's)."""
        scale = self._sie_scale
        if scale is None and self.decoder is not None:
            scale = getattr(self.decoder, 'sie_scale', None)
        if scale is None:
            raise ValueError('SpatialEmbeddingHead: sie_scale is not set (give it to the head '
                             'or use a SpatialEmbedding decoder)')
        return float(scale)

    @property
    def _tag_parts(self) -> List[int]:
        """Rows of the ``(L + 2)`` combined tag used for grouping: KE rows, then SIE x, y."""
        L = self.tag_dim
        return ([*range(L)] if self.use_ke else []) + ([L, L + 1] if self.use_sie else [])

    def split(self, out: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """Split one stack's ``(B, C, H, W)`` output.

        Returns:
            ``heatmaps (B, K, H, W)``, ``tags (B, L*K, H, W)``, ``svf (B, 2K, H, W)``,
            ``ordinal (B, 6, H, W)`` (views of ``out``).
        """
        if out.ndim != 4 or out.shape[1] != self.out_channels:
            raise ValueError(f'SpatialEmbeddingHead: a stack output must be (B, {self.out_channels}'
                             f', H, W) = K + L*K + 2K + 6 channels, got {tuple(out.shape)}')
        K, L = self.num_keypoints, self.tag_dim
        hm, tags, svf, ordinal = torch.split(out, [K, L * K, 2 * K, NUM_ORDINAL], dim=1)
        return hm, tags, svf, ordinal

    def _stack_outputs(self, feats: Sequence[Tensor]) -> Sequence[Tensor]:
        if not isinstance(feats, (tuple, list)) or not all(isinstance(f, Tensor) for f in feats):
            raise TypeError('SpatialEmbeddingHead: feats must be a tuple of tensors '
                            '(stem, stack_1, ..., stack_S)')
        outs = feats[1:] if self.stem_in_feats else feats
        if len(outs) == 0:
            raise ValueError('SpatialEmbeddingHead: feats hold no stack output')
        return outs

    def forward_stacks(self, feats: Sequence[Tensor]
                       ) -> List[Tuple[Tensor, Tensor, Tensor, Tensor]]:
        """:meth:`split` of every stack output (stem skipped), first stack first."""
        return [self.split(o) for o in self._stack_outputs(feats)]

    def forward(self, feats: Sequence[Tensor]) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """The last stack's ``(heatmaps, tags, svf, ordinal)`` (see :meth:`split`)."""
        return self.split(self._stack_outputs(feats)[-1])

    # --------------------------------------------------------------- embedding
    def combined_tags(self, tags: Tensor, svf: Tensor) -> Tensor:
        """Full combined tag ``[KE, SIE / sie_scale]`` per joint type, ``(B, L + 2, K, H, W)``.

        SIE = ``p - SVF(p)`` (Sec. 3.1.2, :func:`sie_from_svf`), joined to KE by
        :func:`combine_embeddings` (AE layout, reshaped here to separate the rows).
        """
        B, _, H, W = tags.shape
        full = combine_embeddings(tags, sie_from_svf(svf), self.sie_scale)
        return full.reshape(B, self.tag_dim + 2, self.num_keypoints, H, W)

    @staticmethod
    def pixel_embedding(full: Tensor, heatmaps: Tensor) -> Tensor:
        """Per-pixel embedding of the joint type with the largest heatmap at each pixel.

        Args:
            full: ``(B, D, K, H, W)`` per-joint embeddings; heatmaps: ``(B, K, H, W)``.
        Returns:
            ``(B, D, H, W)``: ``full[b, :, argmax_j heatmaps[b, j, y, x], y, x]``.
        """
        B, D, K, H, W = full.shape
        j = heatmaps.argmax(dim=1)  # (B, H, W)
        idx = j[:, None, None].expand(B, D, 1, H, W)
        return torch.gather(full, 2, idx).squeeze(2)

    def _pgg(self, emb: Tensor, mask: Tensor) -> List[Tensor]:
        return pose_guided_grouping(emb, mask, num_iters=self.pgg_iters,
                                    bandwidth=self.pgg_bandwidth / self.sie_scale)

    def refine_with_pgg(self, full: Tensor, heatmaps: Tensor) -> Tensor:
        """PGG (Alg. 1) on the predicted pose mask; refined values written back.

        The embedding ``X`` of each masked pixel is the grouping part (:attr:`_tag_parts`) of
        :meth:`pixel_embedding`; after ``R`` GBMS iterations the refined vector replaces the
        grouping part of *every* joint type's tag at that pixel (``scatter_to_map``), so the AE
        decoding reads the refined embedding whichever joint it picks there.

        Args:
            full: ``(B, L + 2, K, H, W)`` from :meth:`combined_tags`; heatmaps ``(B, K, H, W)``.
        Returns:
            ``(B, L + 2, K, H, W)``, a new tensor.
        """
        parts = self._tag_parts
        masks = pose_mask(heatmaps, thr=self.pgg_mask_thr)  # (B, H, W)
        pix = self.pixel_embedding(full, heatmaps)[:, parts]  # (B, D, H, W)
        out = full.clone()
        for b in range(full.shape[0]):  # images differ in N; the work inside is vectorised
            refined = self._pgg(pix[b], masks[b])[-1]
            rmap = scatter_to_map(pix[b], masks[b], refined)  # (D, H, W)
            sel = out[b, parts]
            out[b, parts] = torch.where(masks[b], rmap[:, None], sel)
        return out

    # -------------------------------------------------------------------- loss
    def _targets(self, batch_data_samples: Sequence, ref: Tensor) -> Dict[str, Tensor]:
        """Batch the codec's targets; per-person arrays zero-padded to the largest N."""
        K, dev, dt = self.num_keypoints, ref.device, ref.dtype
        fields = [d.gt_fields for d in batch_data_samples]
        labels = [d.gt_instance_labels for d in batch_data_samples]
        for d, lab in zip(batch_data_samples, labels):
            for key in ('keypoint_indices', 'keypoint_weights', 'spatial_vectors', 'order_keys',
                        'order_key_weights'):
                if key not in lab:
                    img = d.metainfo.get('img_path', d.metainfo.get('img_id', '?'))
                    raise KeyError(f'SpatialEmbeddingHead.loss: gt_instance_labels.{key} missing '
                                   f'for image {img} (encode with SpatialEmbedding)')
        t = dict(
            heatmaps=torch.stack([torch.as_tensor(f.heatmaps) for f in fields]).to(ref),
            keypoint_indices=_pad_stack([x.keypoint_indices for x in labels], (K, 2),
                                        torch.long, dev),
            keypoint_weights=_pad_stack([x.keypoint_weights for x in labels], (K, ), dt, dev),
            spatial_vectors=_pad_stack([x.spatial_vectors for x in labels], (K, 2), dt, dev),
            order_keys=_pad_stack([x.order_keys for x in labels], (3, ), dt, dev),
            order_key_weights=_pad_stack([x.order_key_weights for x in labels], (3, ), dt, dev))
        if all('heatmap_mask' in f for f in fields):
            m = torch.stack([torch.as_tensor(f.heatmap_mask) for f in fields]).to(ref)
            t['heatmap_mask'] = m[:, None] if m.ndim == 3 else m
        return t

    def pgg_loss(self, tags: Tensor, svf: Tensor, gt_heatmaps: Tensor,
                 keypoint_indices: Tensor) -> Tuple[Tensor, Tensor]:
        """PGG grouping loss (Sec. 3.2: Eq. 2-3 on every iteration of Alg. 1), mean over images.

        Per image: mask = GT pose mask (max_j C*_j > tau); X = grouping part of
        ``[KE, SIE / sie_scale]`` at the GT-argmax joint of each masked pixel; the loss module
        gets the ``R + 1`` outputs of PGG and, per person and joint, the column of the joint's
        pixel in ``X`` (``-1``: invisible or outside the mask).

        Args:
            tags ``(B, L*K, H, W)``, svf ``(B, 2K, H, W)``, gt_heatmaps ``(B, K, H, W)``,
            keypoint_indices ``(B, N, K, 2)`` ``[y*W + x, visible]``.
        Returns:
            ``(pull, push)`` scalars (with the loss module's weight).
        """
        B, _, H, W = tags.shape
        full = self.combined_tags(tags, svf)
        pix = self.pixel_embedding(full, gt_heatmaps)[:, self._tag_parts]
        masks = pose_mask(gt_heatmaps, thr=self.pgg_mask_thr)
        idx = keypoint_indices[..., 0].clamp(0, H * W - 1)
        vis = keypoint_indices[..., 1] > 0
        pulls, pushes = [], []
        for b in range(B):  # N differs per image; PGG and the loss are vectorised inside
            outs = self._pgg(pix[b], masks[b])
            col = masked_column_index(masks[b])[idx[b]]
            cols = torch.where(vis[b], col, torch.full_like(col, -1))
            pull, push = self.pgg_loss_module(outs, cols)
            pulls.append(pull)
            pushes.append(push)
        return torch.stack(pulls).mean(), torch.stack(pushes).mean()

    def loss(self, feats: Sequence[Tensor], batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:
        """Losses of every stack (intermediate supervision), summed over stacks.

        Args:
            feats: ``(stem, stack_1, ..., stack_S)`` from the backbone.
            batch_data_samples: samples encoded by ``SpatialEmbedding``: ``gt_fields.heatmaps``
                (optional ``heatmap_mask``) and ``gt_instance_labels`` with ``keypoint_indices``,
                ``keypoint_weights``, ``spatial_vectors``, ``order_keys``, ``order_key_weights``.
            train_cfg: unused.
        Returns:
            dict: ``loss_heatmap``; ``loss_ke_pull``, ``loss_ke_push`` (use_ke);
            ``loss_ordinal`` (use_aux); ``loss_svf`` (use_sie); ``loss_pgg_pull``,
            ``loss_pgg_push`` (with_pgg).
        """
        stacks = self.forward_stacks(feats)
        t = self._targets(batch_data_samples, stacks[-1][0])
        kidx = t['keypoint_indices']
        losses: Dict[str, Tensor] = {}

        def add(name, value):
            losses[name] = losses[name] + value if name in losses else value

        last = len(stacks) - 1
        for s, (hm, tags, svf, ordinal) in enumerate(stacks):
            add('loss_heatmap', self.keypoint_loss_module(hm, t['heatmaps'], None,
                                                          t.get('heatmap_mask')))
            if self.use_ke:
                pull, push = self.ke_loss_module(tags, kidx)
                add('loss_ke_pull', pull)
                add('loss_ke_push', push)
            if self.use_aux:
                add('loss_ordinal', self.aux_loss_module(ordinal, kidx, t['order_keys'],
                                                         t['order_key_weights']))
            if self.use_sie:
                add('loss_svf', self.svf_loss_module(svf, kidx, t['spatial_vectors'],
                                                     t['keypoint_weights']))
            if self.with_pgg and (self.pgg_all_stacks or s == last):
                pull, push = self.pgg_loss(tags, svf, t['heatmaps'], kidx)
                add('loss_pgg_pull', pull)
                add('loss_pgg_push', push)
        return losses

    # ----------------------------------------------------------------- predict
    def _check_finite(self, maps: Dict[str, Tensor], batch_data_samples) -> None:
        for name, x in maps.items():
            bad = ~torch.isfinite(x.flatten(1)).all(dim=1)
            if bad.any():
                b = int(bad.nonzero()[0, 0])
                meta = batch_data_samples[b].metainfo if batch_data_samples else {}
                img = meta.get('img_path', meta.get('img_id', f'#{b}'))
                raise ValueError(f'SpatialEmbeddingHead.predict: non-finite values in the '
                                 f'predicted {name} of image {img}')

    def predict(self, feats, batch_data_samples: OptSampleList,
                test_cfg: ConfigType = {}) -> Predictions:
        """Decode people from the last stack.

        Args:
            feats: the backbone tuple, or ``[feats, feats_of_flipped_input]`` with
                ``test_cfg['flip_test']``: flip test averages the *heatmaps* (MMPose's
                ``flip_heatmaps``, symmetric joints swapped); KE, SVF and the ordinal maps come from
                the unflipped input. Multi-scale test is not supported.
            batch_data_samples: for ``flip_indices`` and error messages.
            test_cfg: ``flip_test``, ``shift_heatmap`` (True), ``use_pgg`` (default
                ``with_pgg``), ``output_heatmaps``.
        Returns:
            list of ``InstanceData`` (or ``(instances, pixel_data)`` with ``output_heatmaps``),
            one per image, in INPUT px: ``keypoints (N, K, 2)``, ``keypoint_scores (N, K)``,
            ``bboxes (N, 4)`` x1y1x2y2 over the joints scored above ``bbox_keypoint_thr``,
            ``bbox_scores (N,)`` mean keypoint score, ``ke (N, K, L)``, ``sie (N, K, 2)``
            (the predicted person centre at each joint, SIE = p - SVF(p)).
        """
        if test_cfg.get('multiscale_test', False):
            raise ValueError('SpatialEmbeddingHead.predict: multiscale_test is not supported')
        if test_cfg.get('flip_test', False):
            if not (isinstance(feats, list) and len(feats) == 2):
                raise ValueError('SpatialEmbeddingHead.predict: flip_test needs [feats, '
                                 'feats_flipped]')
            hm, tags, svf, ordinal = self.forward(feats[0])
            hm_flip = self.forward(feats[1])[0]
            flip_indices = batch_data_samples[0].metainfo['flip_indices']
            hm_flip = flip_heatmaps(hm_flip, flip_indices=flip_indices, flip_mode='heatmap',
                                    shift_heatmap=test_cfg.get('shift_heatmap', True))
            hm = (hm + hm_flip) * 0.5
        else:
            hm, tags, svf, ordinal = self.forward(feats)
        preds = self.decode_maps(hm, tags, svf, batch_data_samples,
                                 use_pgg=test_cfg.get('use_pgg', self.with_pgg))
        if test_cfg.get('output_heatmaps', False):
            fields = [PixelData(heatmaps=h, tags=t, svf=v, ordinal=o)
                      for h, t, v, o in zip(hm.detach(), tags.detach(), svf.detach(),
                                            ordinal.detach())]
            return preds, fields
        return preds

    @torch.no_grad()
    def decode_maps(self, heatmaps: Tensor, tags: Tensor, svf: Tensor,
                    batch_data_samples: OptSampleList = None,
                    use_pgg: Optional[bool] = None) -> List[InstanceData]:
        """Maps -> people (see :meth:`predict` for the fields), input px.

        Args:
            heatmaps ``(B, K, H, W)``, tags ``(B, L*K, H, W)``, svf ``(B, 2K, H, W)``.
            use_pgg: PGG refinement before decoding (default ``with_pgg``).
        """
        if self.decoder is None:
            raise RuntimeError('SpatialEmbeddingHead: no decoder set (give a SpatialEmbedding '
                               'codec config as decoder=...)')
        self._check_finite(dict(heatmaps=heatmaps, tags=tags, svf=svf), batch_data_samples)
        use_pgg = self.with_pgg if use_pgg is None else bool(use_pgg)
        B, K, H, W = heatmaps.shape
        L = self.tag_dim
        full = self.combined_tags(tags, svf)  # (B, L+2, K, H, W)
        if use_pgg:
            full = self.refine_with_pgg(full, heatmaps)
        dec_tags = full[:, self._tag_parts].reshape(B, -1, H, W)
        out = self.decoder.batch_decode(heatmaps, dec_tags)
        batch_kpts, batch_scores = out[0], out[1]

        scale = np.asarray(self.decoder.scale_factor, np.float32).reshape(2)
        full_flat = full.reshape(B, L + 2, K, H * W)
        preds = []
        for b in range(B):
            kpts = np.asarray(batch_kpts[b], np.float32)[..., :2].reshape(-1, K, 2)
            scores = np.asarray(batch_scores[b], np.float32).reshape(-1, K)
            n = len(kpts)
            # embeddings at each decoded joint (nearest heatmap pixel)
            hm_xy = np.rint(kpts / scale).astype(np.int64)
            x = np.clip(hm_xy[..., 0], 0, W - 1)
            y = np.clip(hm_xy[..., 1], 0, H - 1)
            flat = torch.as_tensor((y * W + x).T.copy(), device=full.device)  # (K, N)
            emb = torch.gather(full_flat[b], 2, flat[None].expand(L + 2, K, n))  # (L+2, K, N)
            emb = emb.permute(2, 1, 0).float().cpu().numpy()  # (N, K, L+2)
            ke = emb[..., :L]
            sie = emb[..., L:] * self.sie_scale * scale  # heatmap px -> input px
            preds.append(InstanceData(
                keypoints=kpts, keypoint_scores=scores,
                bboxes=bboxes_from_keypoints(kpts, scores, self.bbox_keypoint_thr),
                bbox_scores=scores.mean(axis=1) if n else np.zeros((0, ), np.float32),
                ke=np.ascontiguousarray(ke, dtype=np.float32),
                sie=np.ascontiguousarray(sie, dtype=np.float32)))
        return preds
