"""TemporalNet of ST-Embed (Jin et al. 2019, Sec. 3.3; supplementary Sec. 1.2-1.3, 2.2).

:class:`TemporalNet` is a :class:`~mmpose_track.models.pose_estimators.SpatialNet` (same
``backbone`` / ``head`` attributes, so a SpatialNet checkpoint loads through ``load_from``) with
two more branches on SpatialNet's shared low-level (stem) features:

- ``he_head`` (:class:`~mmpose_track.models.heads.HumanEmbeddingHead`): the human embedding HE of
  each person's box (Sec. 3.3.1, Eq. 6);
- ``tie_head`` (:class:`~mmpose_track.models.heads.TemporalEmbeddingHead`): forward / backward
  temporal vector fields of a frame pair and their TIE (Sec. 3.3.2, Eq. 7).

Training (supplementary Sec. 2.2: "we simply fix SpatialNet and train TemporalNet"): SpatialNet
(backbone and head) is frozen -- ``requires_grad=False`` and kept in eval mode -- and runs without
autograd; inputs are pairs ``(B, 2, 3, H, W)`` from ``PoseTrack18PairDataset`` +
``GenerateTemporalTarget`` + ``PackMultiFramePoseInputs`` (frame ``key_frames_inds[0]`` is t,
``ref_frames_inds[0]`` is "t-1", which the pair dataset may also draw after t). Losses: the HE
triplet loss over the people of both frames of every pair (identity = video id + track id, so the
same person in two pairs of one video is a positive), the TIE L1 of both directions and the TIE
grouping losses (PGG on the ground-truth pose mask of the frame the field is read in).

Test (frames of each video in order, one or more per batch): SpatialNet's people, plus per person
``embeddings (N, D)`` (HE) and ``tie (N, K, 2)`` (forward TIE at the person's joints: its centre
propagated to the previous frame) and per frame ``pred_pairwise['tie_backward'] (N_prev, K, 2)``
(backward TIE at the previous frame's people's joints, in that frame's order), which
:class:`~mmpose_track.tracking.trackers.EmbeddingTracker` reads (Eq. 8-9). Positions are in
original-image px, tensors stay on the model's device. The previous frame's stem, heatmaps, SVF
and joints are cached between calls; the first frame of a video (or a frame that does not follow
the cached one in its video) has ``tie`` = the people's own SIE (zero motion) and no
``tie_backward``.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType, SampleList
from torch import Tensor

from ..heads.spatial_embedding_head import bboxes_from_keypoints
from ..heads.temporal_embedding_head import joint_pixel_indices, sample_joint_vectors
from .frozen_base import FrozenBaseMixin
from .spatialnet import SpatialNet, input_to_image

__all__ = ['TemporalNet', 'expand_boxes']


def expand_boxes(boxes: Tensor, padding: float, min_size: float) -> Tensor:
    """Scale ``(N, 4)`` x1y1x2y2 boxes about their centres by ``padding``, sides >= ``min_size``
    (a float or a ``(2,)`` tensor ``(w, h)``).

    The paper's HE box "covers the corresponding human keypoints" (Sec. 3.3.1); a box tight on
    the joints cuts the head top and the feet, hence the padding.
    """
    centre = (boxes[:, :2] + boxes[:, 2:]) * 0.5
    half = ((boxes[:, 2:] - boxes[:, :2]) * padding).clamp(min=min_size) * 0.5
    return torch.cat([centre - half, centre + half], dim=1)


def _affine_to_image(meta: dict, like: Tensor) -> Tuple[Tensor, Tensor]:
    """``(a, b)`` with ``input_to_image(p) = p * a + b`` (the mapping is affine), on ``like``'s
    device: SpatialNet's one mapping applied to tensors without leaving the device."""
    args = (meta['input_size'], meta['input_center'], meta['input_scale'])
    b = input_to_image(np.zeros(2, np.float64), *args)
    a = input_to_image(np.ones(2, np.float64), *args) - b
    return like.new_tensor(a), like.new_tensor(b)


@MODELS.register_module()
class TemporalNet(FrozenBaseMixin, SpatialNet):
    """SpatialNet + HE branch + TIE branch (ST-Embed's TemporalNet).

    Args:
        backbone, head, train_cfg, test_cfg, data_preprocessor, init_cfg: as
            :class:`SpatialNet` (use :class:`~mmpose_track.models.data_preprocessors.
            MultiFramePoseDataPreprocessor` to train on pairs).
        he_head (dict): :class:`~mmpose_track.models.heads.HumanEmbeddingHead` config; its RoIs
            come in stem-feature px, so keep its ``spatial_scale`` at 1.
        tie_head (dict): :class:`~mmpose_track.models.heads.TemporalEmbeddingHead` config.
        freeze_spatial (bool): freeze SpatialNet (backbone + head) as the paper does.
        box_padding (float): HE boxes are the joints' box scaled by this about its centre.
        min_box_size (float): smallest HE box side, in input px.
        bbox_keypoint_thr (float): predicted joints scored above it span the HE box at test
            time (training: the visible ground-truth joints).
        pgg_mask (str): pose mask of the TIE grouping loss in training: ``'gt'`` (ground-truth
            heatmaps: every labelled joint lies in the mask) or ``'pred'`` (SpatialNet's
            heatmaps, as at test time).

    ``test_cfg`` keys besides SpatialNet's: ``tie_pgg`` (refine TIE by PGG before sampling it;
    default the TIE head's ``with_pgg``).
    """

    def __init__(self,
                 backbone: ConfigType,
                 head: ConfigType,
                 he_head: ConfigType,
                 tie_head: ConfigType,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptConfigType = None,
                 freeze_spatial: bool = True,
                 box_padding: float = 1.25,
                 min_box_size: float = 16.0,
                 bbox_keypoint_thr: float = 0.1,
                 pgg_mask: str = 'gt',
                 **kwargs):
        super().__init__(backbone=backbone, head=head, train_cfg=train_cfg, test_cfg=test_cfg,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg, **kwargs)
        if pgg_mask not in ('gt', 'pred'):
            raise ValueError(f'TemporalNet: pgg_mask must be "gt" or "pred", got {pgg_mask!r}')
        self.he_head = MODELS.build(he_head)
        self.tie_head = MODELS.build(tie_head)
        if self.he_head.spatial_scale != 1.0:
            raise ValueError('TemporalNet passes HE RoIs in stem-feature px: build he_head with '
                             f'spatial_scale=1.0, got {self.he_head.spatial_scale}')
        self.freeze_spatial = bool(freeze_spatial)
        self.box_padding = float(box_padding)
        self.min_box_size = float(min_box_size)
        self.bbox_keypoint_thr = float(bbox_keypoint_thr)
        self.pgg_mask = pgg_mask
        self._cache: Optional[dict] = None
        if self.freeze_spatial:
            self.freeze_base()

    def _spatial(self, inputs: Tensor) -> Dict[str, object]:
        """:meth:`extract_spatial`, without autograd when SpatialNet is frozen."""
        if self.freeze_spatial:
            with torch.no_grad():
                return self.extract_spatial(inputs)
        return self.extract_spatial(inputs)

    # ------------------------------------------------------------------ helpers
    def _stride(self, inputs: Tensor, stem: Tensor) -> np.ndarray:
        """Input px per stem / heatmap px ``(sx, sy)``; stem and heatmaps must share the grid."""
        return np.array([inputs.shape[-1] / stem.shape[-1], inputs.shape[-2] / stem.shape[-2]],
                        np.float64)

    def _he_rois(self, joints: Sequence[np.ndarray], scores: Sequence[np.ndarray], thr: float,
                 stride: np.ndarray, like: Tensor) -> Tensor:
        """RoIs ``(R, 5)`` in stem px of every person of every image.

        Args:
            joints: per image ``(N_b, K, 2)`` joints in stem / heatmap px.
            scores: per image ``(N_b, K)`` joint scores; joints scored above ``thr`` span the box
                (SpatialNet's :func:`bboxes_from_keypoints`).
        """
        boxes = []
        for b, (j, s) in enumerate(zip(joints, scores)):
            box = like.new_tensor(bboxes_from_keypoints(j, s, thr)).reshape(-1, 4)
            box = expand_boxes(box, self.box_padding, like.new_tensor(self.min_box_size / stride))
            boxes.append(torch.cat([box.new_full((len(box), 1), float(b)), box], dim=1))
        return torch.cat(boxes) if boxes else like.new_zeros((0, 5))

    # ------------------------------------------------------------------ training
    def _forward(self, inputs: Tensor, data_samples=None):
        """``mode='tensor'``: pairs ``(B, 2, 3, H, W)`` in ``PackMultiFramePoseInputs``' order
        (frame 0 the key frame t, frame 1 the reference t-1) -> ``(forward TVF, backward TVF)``;
        single frames -> SpatialNet's maps."""
        if inputs.dim() != 5:
            return super()._forward(inputs, data_samples)
        B, T = inputs.shape[:2]
        sp = self._spatial(inputs.flatten(0, 1))
        r = lambda x: x.reshape((B, T) + tuple(x.shape[1:]))  # noqa: E731
        stem, hm, svf = r(sp['stem']), r(sp['heatmaps']), r(sp['svf'])
        return self.tie_head(stem[:, 1], hm[:, 1], svf[:, 1], stem[:, 0], hm[:, 0], svf[:, 0])

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """HE triplet (Eq. 6) + TIE L1 (Eq. 7) + TIE grouping losses on frame pairs.

        Args:
            inputs (Tensor): ``(B, T, 3, H, W)`` (``T = 2``).
            data_samples (list[PoseTrackDataSample]): ``video_data_samples`` per frame with
                ``gt_instance_labels`` ``keypoint_indices``, ``temporal_vectors``,
                ``temporal_weights`` (``GenerateTemporalTarget``), ``gt_instances.track_ids``,
                ``gt_fields.heatmaps``; metainfo ``key_frames_inds`` / ``ref_frames_inds``.

        Returns:
            dict: ``loss_he``, ``loss_tvf_forward``, ``loss_tvf_backward`` and (TIE head
            ``with_pgg``) ``loss_tie_pgg_pull``, ``loss_tie_pgg_push``.
        """
        if inputs.dim() != 5:
            raise ValueError(f'TemporalNet.loss takes frame pairs (B, T, 3, H, W) '
                             f'(PackMultiFramePoseInputs + MultiFramePoseDataPreprocessor), got '
                             f'{tuple(inputs.shape)}')
        B, T = inputs.shape[:2]
        sp = self._spatial(inputs.flatten(0, 1))
        stem, hm, svf = sp['stem'], sp['heatmaps'], sp['svf']
        H, W = stem.shape[-2:]
        dev = stem.device
        key_pos, ref_pos = [], []
        for b, ds in enumerate(data_samples):
            k = int(ds.metainfo.get('key_frames_inds', [0])[0])
            refs = ds.metainfo.get('ref_frames_inds', [i for i in range(T) if i != k])
            key_pos.append(b * T + k)
            ref_pos.append(b * T + int(refs[0]))
        frames = [f for ds in data_samples for f in ds.video_data_samples]
        labels = []
        for f in frames:
            lab = f.gt_instance_labels
            where = f'image {f.metainfo.get("img_path", f.metainfo.get("img_id", "?"))}'
            for key in ('keypoint_indices', 'temporal_vectors', 'temporal_weights'):
                if key not in lab:
                    raise KeyError(f'TemporalNet.loss: gt_instance_labels.{key} missing for '
                                   f'{where} (pipeline: GenerateTarget with SpatialEmbedding, '
                                   'GenerateTemporalTarget)')
            track_ids = f.gt_instances.get('track_ids', None)
            if track_ids is None or len(track_ids) != len(lab.keypoint_indices):
                raise ValueError(f'TemporalNet.loss: gt_instances.track_ids of {where} must have '
                                 f'one id per person ({len(lab.keypoint_indices)}), got '
                                 f'{None if track_ids is None else len(track_ids)}')
            labels.append(lab)

        def per_frame(pos, key, dtype):
            return [torch.as_tensor(labels[p][key]).to(device=dev, dtype=dtype) for p in pos]

        # --- TIE branch (Eq. 7 + PGG grouping)
        kp, rp = torch.tensor(key_pos, device=dev), torch.tensor(ref_pos, device=dev)
        fwd, bwd = self.tie_head(stem[rp], hm[rp], svf[rp], stem[kp], hm[kp], svf[kp])
        if self.pgg_mask == 'gt':
            for f in frames:
                if 'heatmaps' not in f.get('gt_fields', {}):
                    raise KeyError(f'TemporalNet.loss: gt_fields.heatmaps missing for image '
                                   f'{f.metainfo.get("img_path", "?")} (pgg_mask="gt" needs the '
                                   'ground-truth heatmaps; or set pgg_mask="pred")')
            gt_hm = torch.stack([torch.as_tensor(f.gt_fields.heatmaps) for f in frames]).to(hm)
            mask_hm_cur, mask_hm_prev = gt_hm[kp], gt_hm[rp]
        else:
            mask_hm_cur, mask_hm_prev = hm[kp], hm[rp]
        losses = self.tie_head.loss(
            fwd, bwd,
            per_frame(key_pos, 'keypoint_indices', torch.long),
            per_frame(key_pos, 'temporal_vectors', fwd.dtype),
            per_frame(key_pos, 'temporal_weights', fwd.dtype),
            per_frame(ref_pos, 'keypoint_indices', torch.long),
            per_frame(ref_pos, 'temporal_vectors', fwd.dtype),
            per_frame(ref_pos, 'temporal_weights', fwd.dtype),
            heatmaps_cur=mask_hm_cur, heatmaps_prev=mask_hm_prev)

        # --- HE branch (Eq. 6) over the people of both frames of every pair
        K = hm.shape[1]
        stride = self._stride(inputs, stem)
        joints, scores, ids = [], [], []
        identity: Dict[tuple, int] = {}
        for b, ds in enumerate(data_samples):
            vid = ds.metainfo.get('video_id', b)
            for f in ds.video_data_samples:
                kidx = torch.as_tensor(f.gt_instance_labels.keypoint_indices).cpu().numpy()
                kidx = kidx.reshape(-1, K, 2)
                vis = (kidx[..., 1] > 0).astype(np.float32)
                joints.append(np.stack([kidx[..., 0] % W, kidx[..., 0] // W], -1)
                              .astype(np.float32))
                scores.append(vis)
                tids = np.asarray(f.gt_instances.track_ids).reshape(-1).astype(np.int64)
                valid = (tids >= 0) & (vis.sum(1) > 0)
                ids.extend(identity.setdefault((vid, int(t)), len(identity)) if v else -1
                           for t, v in zip(tids, valid))
        rois = self._he_rois(joints, scores, 0.5, stride, stem)
        emb = self.he_head(stem, rois)
        losses.update(self.he_head.loss(emb, torch.tensor(ids, dtype=torch.long, device=dev)))
        return losses

    # ------------------------------------------------------------------ test
    def reset_cache(self) -> None:
        """Forget the previous frame (a new video starts anyway when the video id changes)."""
        self._cache = None

    def predict(self, inputs: Tensor, data_samples: SampleList) -> SampleList:
        """People with ``embeddings`` and ``tie`` per frame, ``pred_pairwise['tie_backward']``.

        Args:
            inputs (Tensor): ``(B, 3, H, W)`` single frames, in video order (frame-level samples
                with metainfo ``video_id`` and ``frame_idx``).
            data_samples (list[PoseDataSample]): their samples.

        Returns:
            list[PoseDataSample]: SpatialNet's ``pred_instances`` (image px) plus
            ``embeddings (N, D)``, ``tie (N, K, 2)`` (image px, tensors on the model's device)
            and, when the previous frame of the video is known, ``pred_pairwise =
            dict(tie_backward=(N_prev, K, 2))``.
        """
        if inputs.dim() != 4:
            raise ValueError(f'TemporalNet.predict takes single frames (B, 3, H, W) in video '
                             f'order, got {tuple(inputs.shape)}')
        test_cfg = self.test_cfg or {}
        sp = self.extract_spatial(inputs)
        feats = sp['feats']
        if test_cfg.get('flip_test', False):
            feats = [feats, self.extract_feat(inputs.flip(-1))]
        preds = self.head.predict(feats, data_samples, test_cfg=test_cfg)
        instances, fields = preds if isinstance(preds, tuple) else (preds, None)
        stem, hm, svf = sp['stem'], sp['heatmaps'], sp['svf']
        if stem.shape[-2:] != hm.shape[-2:]:
            raise ValueError(f'TemporalNet: stem features {tuple(stem.shape[-2:])} and heatmaps '
                             f'{tuple(hm.shape[-2:])} must share one grid')
        B, K, H, W = hm.shape
        stride = self._stride(inputs, stem)
        # joints in heatmap px, before SpatialNet maps them to the image
        joints = [np.asarray(inst.keypoints, np.float32).reshape(-1, K, 2) / stride.astype(
            np.float32) for inst in instances]
        scores = [np.asarray(inst.keypoint_scores, np.float32).reshape(-1, K)
                  for inst in instances]

        # --- HE of every person of the batch, one RoI pass
        rois = self._he_rois(joints, scores, self.bbox_keypoint_thr, stride, stem)
        emb = self.he_head(stem, rois)
        counts = [len(j) for j in joints]
        emb_per_image = list(torch.split(emb, counts))

        # --- TIE: pair each frame with the previous one of its video (cache or batch)
        prev_of: List[Optional[dict]] = []
        cache = self._cache
        for b, ds in enumerate(data_samples):
            vid, fidx = ds.metainfo.get('video_id'), ds.metainfo.get('frame_idx')
            ok = (cache is not None and vid is not None and fidx is not None
                  and cache['video_id'] == vid and int(fidx) > cache['frame_idx'])
            prev_of.append(cache if ok else None)
            cache = dict(video_id=vid, frame_idx=-1 if fidx is None else int(fidx),
                         stem=stem[b:b + 1].detach(), heatmaps=hm[b:b + 1].detach(),
                         svf=svf[b:b + 1].detach(),
                         joints=torch.as_tensor(joints[b], device=stem.device))
        self._cache = cache
        paired = [b for b in range(B) if prev_of[b] is not None]
        tie_fwd: Dict[int, Tensor] = {}
        tie_bwd: Dict[int, Tensor] = {}
        if paired:
            cat = lambda key: torch.cat([prev_of[b][key] for b in paired])  # noqa: E731
            idx = torch.tensor(paired, device=stem.device)
            fwd, bwd = self.tie_head(cat('stem'), cat('heatmaps'), cat('svf'), stem[idx],
                                     hm[idx], svf[idx])
            use_pgg = test_cfg.get('tie_pgg', None)
            fmap = self.tie_head.tie_maps(fwd, hm[idx], use_pgg)
            bmap = self.tie_head.tie_maps(bwd, cat('heatmaps'), use_pgg)
            for i, b in enumerate(paired):
                cur_j = torch.as_tensor(joints[b], device=stem.device)
                prev_j = prev_of[b]['joints']
                tie_fwd[b] = sample_joint_vectors(
                    fmap[i:i + 1], joint_pixel_indices(cur_j, (W, H))[None])[0]
                tie_bwd[b] = sample_joint_vectors(
                    bmap[i:i + 1], joint_pixel_indices(prev_j, (W, H))[None])[0]

        results = self.add_pred_to_datasample(instances, fields, data_samples)
        scale = stem.new_tensor(stride)  # heatmap px -> input px
        for b, ds in enumerate(results):
            inst = ds.pred_instances
            a, off = _affine_to_image(ds.metainfo, stem)
            inst.embeddings = emb_per_image[b]
            if b in tie_fwd:
                inst.tie = tie_fwd[b] * scale * a + off
                ds.pred_pairwise = dict(tie_backward=tie_bwd[b] * scale * a + off)
            else:  # first frame of a video: zero motion, the people's own SIE
                inst.tie = torch.as_tensor(np.asarray(inst.sie, np.float32).reshape(-1, K, 2),
                                           device=stem.device)
        return results
