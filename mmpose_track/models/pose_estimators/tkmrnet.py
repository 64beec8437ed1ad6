"""TKMRNet: top-down pose estimation with learned keypoint matching and refinement (Zhou et al.
2020, "Temporal Keypoint Matching and Refinement Network for Pose Estimation and Tracking",
Sec. 3.1-3.3, Eq. 1-2, 5-6, Fig. 2, 4, 5).

:class:`TKMRNet` is MMPose's :class:`~mmpose.models.pose_estimators.TopdownPoseEstimator`
(``backbone`` + SimpleBaseline ``HeatmapHead`` as ``head``, so a stage-1 MMPose checkpoint loads
through ``load_from`` unchanged) with two more heads on the shared backbone features:

- ``matching_head`` (:class:`~mmpose_track.models.heads.KeypointMatchingHead`, Sec. 3.2): per-pixel
  matching features ``F`` and the ``K`` classifiers ``G_k``;
- ``refine_head`` (:class:`~mmpose_track.models.heads.KeypointRefinementHead`, Sec. 3.3): the
  keypoint module's structure, re-scoring ``n`` candidates from the Eq. 6 aggregate. When a
  checkpoint without ``refine_head.*`` keys is loaded (stage 1's) and in :meth:`init_weights`,
  its layers are initialised from ``head``'s (same names, same shapes).

**Stage 2 training** (``freeze_single_frame=True``): backbone (+ neck) and ``head`` are frozen
(``requires_grad=False``, kept in eval mode, run without autograd); only the two new heads learn.
Inputs are clips ``(B, T, 3, H, W)`` (``PoseTrack18ClipDataset`` + ``ApplyToFrames`` +
``PackMultiFramePoseInputs(pack_transformed=True)`` + ``MultiFramePoseDataPreprocessor``) or
single person crops ``(B, 3, H, W)``; every frame of every sample is one *person example*
(video id, frame index, track id, ground-truth joints in heatmap px):

- matching loss (Sec. 3.2, Fig. 4): the examples of the batch that share a video are pooled and
  :func:`~mmpose_track.models.utils.sample_keypoint_pairs` draws keypoint location pairs over the
  ground truth + ``n`` local maxima of the frozen head's heatmaps (ids = track ids; positives : 
  negatives = 1 : 4, pairs within ``tau`` frames). ``PoseTrack18ClipDataset`` packs one person
  tube per sample, so the *other ids* of a video come from the other samples of the batch from
  the same video (:class:`~mmpose_track.datasets.samplers.VideoBatchSampler` fills each batch
  from one video, as the stage-2 configs do; a batch with one person per video trains on same-id
  pairs only: the GT pair positive, its candidates negative).
  Border frames duplicated by the clip (same frame, same track) count once. Logits
  :meth:`KeypointMatchingHead.pair_logits`, loss :meth:`KeypointMatchingHead.loss`.
- refinement loss (Sec. 3.3): on the key frame of each clip, the candidates are
  :func:`~mmpose_track.models.utils.keypoint_location_sets` (GT first, then the ``n`` maxima); the
  context is the clip itself (the tube is one person, so its path is known: slot
  ``tau + frame offset``, slots beyond ``tau`` or repeated dropped), each member's refinement
  feature at its own arg-max ``l_hat`` weighted by ``W(l, l_hat)`` =
  :meth:`KeypointMatchingHead.context_similarity` (detached: the classifiers learn from their own
  loss only); :meth:`KeypointRefinementHead.candidate_responses` + its Eq. 2 loss at the
  candidates. Single frames (``T = 1``) train the no-context module (Table 3 M6).

Examples without a visible joint give no pair and no refinement weight: the losses are then an
exact 0 connected to the graph (defined gradients, all zero).

**Predict** (single frames, one person box per data sample, as ``TopdownPoseEstimator``):
MMPose's ``keypoints`` / ``keypoint_scores`` plus ``pred_instances.keypoint_features (N, K, C)``
(``(N, 1, C)`` in TBM mode): ``F`` at the decoded keypoints (rounded to the nearest heatmap
pixel, i.e. the heatmap arg-max; a joint MMPose's codec decodes as ``(-1, -1)``, heatmap maximum
<= 0, gets a zero vector), tensors on the model's device; and per sample
``pred_pairwise = dict(keypoint_similarity=matching_head.pairwise_similarity,
keypoint_pair_similarity=matching_head.paired_similarity)``.

**Test-time refinement** (Sec. 3.3; Table 3 M6 / M7, Table 4 N5 / N6), switched by
``test_cfg.refine``: ``None`` (off, M5), ``'self'`` (self-refinement: the candidates re-scored
without temporal context, M6) or ``'context'`` (Eq. 6 over the temporal path, M7). With it,
:meth:`predict` adds per person the refinement inputs
(:data:`~mmpose_track.models.heads.keypoint_refinement_head.INSTANCE_FIELDS`): the ``n`` local
maxima of each joint's heatmap (the flip-averaged one when ``flip_test``) in heatmap pixels and in
the image (sub-pixel as the codec decodes, through the person's crop; candidate 0 is the decoded
keypoint itself), their heatmap responses, and the refinement features ``H(l)`` and matching
features ``F(l)`` at them. :meth:`video_refiner` returns the
:class:`~mmpose_track.models.heads.DelayedKeypointRefiner` that the tracking loops hand to
:class:`~mmpose_track.tracking.VideoTrackingStream`: every frame is pushed after it is tracked
and refined ``tau`` frames later (``tau = 0`` for ``'self'``); the refined keypoints replace
the predicted ones in place and the bulky inputs are dropped from the frame once pushed.
Tracking (Eq. 5) uses the unrefined poses, as the paper's pipeline orders them (estimation,
matching, then refinement along the found paths).

**How the tracker reaches the classifiers**: ``VideoTrackingStream`` merges each frame's
``pred_pairwise`` and hands its entries to the tracker as per-frame features;
:class:`~mmpose_track.tracking.trackers.KeypointMatchingTracker` declares
``keypoint_features`` a tensor key (kept on the model's device in the track memory) and calls the
bound methods ``keypoint_pair_similarity(f_det, f_track)`` (the pairs inside the IoU gate only)
or ``keypoint_similarity`` (all pairs) — i.e. ``G_k`` of this model's ``matching_head``, on its
device — for Eq. 5 ``I(IoU >= 0.1) * sum_k G_k(f_t^k, f_{t-1}^k)``. No weights are copied: the
callables are bound methods of the live head.
"""
from typing import Dict, Optional, Tuple

import numpy as np
import torch
from mmpose.models.pose_estimators import TopdownPoseEstimator
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType, OptMultiConfig, SampleList
from torch import Tensor

from ..utils.keypoint_matching import (candidate_subpixel_offsets, heatmap_candidates,
                                       keypoint_location_sets, sample_keypoint_pairs)
from .frozen_base import FrozenBaseMixin

__all__ = ['TKMRNet']

#: ``head`` sub-modules whose weights initialise ``refine_head`` (same names in both).
_SHARED_LAYERS = ('deconv_layers.', 'conv_layers.', 'final_layer.')
#: ``test_cfg.refine`` values: off, self-refinement (M6), with temporal context (M7).
_REFINE_MODES = (None, 'self', 'context')


@MODELS.register_module()
class TKMRNet(FrozenBaseMixin, TopdownPoseEstimator):
    """TKMRNet (Sec. 3): top-down pose network + temporal keypoint matching + refinement.

    Args:
        backbone, neck, head, train_cfg, test_cfg, data_preprocessor, init_cfg, metainfo: as
            :class:`TopdownPoseEstimator` (``head``: a SimpleBaseline ``HeatmapHead``; use
            :class:`~mmpose_track.models.data_preprocessors.MultiFramePoseDataPreprocessor` to
            train on clips).
        matching_head (dict): :class:`KeypointMatchingHead` config; its maps must have the
            heatmap resolution (``num_deconvs``).
        refine_head (dict): :class:`KeypointRefinementHead` config (``tau``, ``num_candidates``
            are read from it).
        freeze_single_frame (bool): freeze backbone, neck and keypoint head (stage 2).
        init_refine_from_head (bool): initialise ``refine_head`` from ``head`` (see module doc).
        nms_kernel (int): window of :func:`heatmap_candidates`.
        neg_per_pos (int): negatives per positive pair (4).
        max_positives (int, optional): cap on the positive pairs per video group.
        ignore_radius (float): see :func:`sample_keypoint_pairs`.
        seed (int, optional): seed of the pair sampler's ``numpy.random.Generator``.
        gt_negative_frac (float): share of the negative pairs taken from the ground-truth
            keypoints of different ids (see :func:`sample_keypoint_pairs`; 0: uniform).
        refine_context (bool): train the refinement module with the clip as temporal context
            (Eq. 6, M7); False trains it on the key frame alone (self-refinement, M6).

    ``test_cfg`` keys besides MMPose's: ``refine`` (``None`` | ``'self'`` | ``'context'``, see
    the module docstring), ``refine_iou_thr`` (Eq. 5's gate in the path search, 0.1),
    ``refine_batch_size`` (people per batched refinement call, 16).
    """

    def __init__(self,
                 backbone: ConfigType,
                 head: ConfigType,
                 matching_head: ConfigType,
                 refine_head: ConfigType,
                 neck: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 metainfo: Optional[dict] = None,
                 freeze_single_frame: bool = True,
                 init_refine_from_head: bool = True,
                 nms_kernel: int = 5,
                 neg_per_pos: int = 4,
                 max_positives: Optional[int] = None,
                 ignore_radius: float = 2.0,
                 seed: Optional[int] = None,
                 refine_context: bool = True,
                 gt_negative_frac: float = 0.0):
        super().__init__(backbone=backbone, neck=neck, head=head, train_cfg=train_cfg,
                         test_cfg=test_cfg, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg, metainfo=metainfo)
        self.matching_head = MODELS.build(matching_head)
        self.refine_head = MODELS.build(refine_head)
        if self.refine_head.num_keypoints != self.matching_head.num_keypoints:
            raise ValueError(f'TKMRNet: matching_head.num_keypoints '
                             f'({self.matching_head.num_keypoints}) != refine_head.num_keypoints '
                             f'({self.refine_head.num_keypoints})')
        self.tau = self.refine_head.tau
        self.num_candidates = self.refine_head.num_candidates
        self.freeze_single_frame = bool(freeze_single_frame)
        self.init_refine_from_head = bool(init_refine_from_head)
        self.nms_kernel = int(nms_kernel)
        self.neg_per_pos = int(neg_per_pos)
        self.max_positives = max_positives
        self.ignore_radius = float(ignore_radius)
        self._rng = np.random.default_rng(seed)
        self.refine_context = bool(refine_context)
        self.gt_negative_frac = float(gt_negative_frac)
        mode = self.test_cfg.get('refine', None)
        if mode not in _REFINE_MODES:
            raise ValueError(f"TKMRNet: test_cfg.refine must be one of {_REFINE_MODES}, got "
                             f"{mode!r}")
        if self.freeze_single_frame:
            self.freeze_base()

    # ------------------------------------------------------------------ weights
    def init_weights(self) -> None:
        super().init_weights()
        if self.init_refine_from_head:
            sd = {'head.' + k: v for k, v in self.head.state_dict().items()}
            own = self.refine_head.state_dict()
            with torch.no_grad():
                for k, v in self._refine_keys_from_head(sd, '', own).items():
                    own[k[len('refine_head.'):]].copy_(v)

    def _refine_keys_from_head(self, state_dict: dict, prefix: str, own: dict) -> dict:
        """``{prefix + 'refine_head.' + name: value}`` for every ``head`` layer of ``state_dict``
        whose name and shape match one of ``refine_head`` (``own``: its state dict)."""
        out = {}
        hp = prefix + 'head.'
        for key, val in state_dict.items():
            if not key.startswith(hp):
                continue
            name = key[len(hp):]
            if name.startswith(_SHARED_LAYERS) and name in own and \
                    tuple(own[name].shape) == tuple(val.shape):
                out[prefix + 'refine_head.' + name] = val
        return out

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # a stage-1 checkpoint (no refine_head.*): the refinement module starts from the head
        if self.init_refine_from_head and \
                not any(k.startswith(prefix + 'refine_head.') for k in state_dict):
            state_dict.update(self._refine_keys_from_head(state_dict, prefix,
                                                          self.refine_head.state_dict()))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def _frozen_feats(self, inputs: Tensor) -> Tuple[tuple, Tensor]:
        """Backbone (+ neck) features and the keypoint head's heatmaps, without autograd when
        the single-frame network is frozen."""
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze_single_frame):
            feats = self.extract_feat(inputs)
            heatmaps = self.head.forward(feats)
        return feats, heatmaps

    # ------------------------------------------------------------------ training
    @staticmethod
    def _frame_gt(ds, heatmap_wh: Tuple[int, int]) -> np.ndarray:
        """Ground truth ``(K, 3)`` ``(x, y, v)`` in heatmap px of a one-person frame sample.

        Input-space joints are ``gt_instances.transformed_keypoints`` (``PackPoseInputs(
        pack_transformed=True)``; exact under any augmentation) or else ``keypoints`` mapped
        through ``input_center`` / ``input_scale`` (exact without rotation). ``v`` is
        ``gt_instance_labels.keypoint_weights`` when packed (0 outside the heatmap), else
        ``keypoints_visible``.
        """
        meta = ds.metainfo
        gi = ds.gt_instances
        if 'transformed_keypoints' in gi and np.asarray(gi.transformed_keypoints).ndim == 3:
            kp = np.asarray(gi.transformed_keypoints, np.float64)[0, :, :2]
        else:
            kp = np.asarray(gi.keypoints, np.float64)[0, :, :2]
            c = np.asarray(meta['input_center'], np.float64).reshape(2)
            s = np.asarray(meta['input_scale'], np.float64).reshape(2)
            size = np.asarray(meta['input_size'], np.float64).reshape(2)
            kp = (kp - c + 0.5 * s) / s * size
        labels = ds.get('gt_instance_labels', None)
        if labels is not None and 'keypoint_weights' in labels:
            vis = np.asarray(torch.as_tensor(labels.keypoint_weights).cpu(), np.float64)[0]
        else:
            vis = np.asarray(gi.keypoints_visible, np.float64).reshape(-1, kp.shape[0])[0]
        size = np.asarray(meta['input_size'], np.float64).reshape(2)
        kp = kp * np.asarray(heatmap_wh, np.float64) / size
        return np.concatenate([kp, (vis > 0).astype(np.float64)[:, None]], 1)

    def _examples(self, data_samples: SampleList, T: int,
                  heatmap_wh: Tuple[int, int]) -> Dict[str, np.ndarray]:
        """Per frame of the flattened batch (``b * T + t``): video, frame, track, GT, slot."""
        video, frame, track, gts, key = [], [], [], [], []
        for b, s in enumerate(data_samples):
            frames = s.video_data_samples if hasattr(s, 'video_data_samples') else [s]
            if len(frames) != T:
                raise ValueError(f'TKMRNet.loss: sample {b} has {len(frames)} frame samples for '
                                 f'{T} input frames')
            meta = s.metainfo
            k = int(meta.get('key_frames_inds', [0])[0]) if T > 1 else 0
            clip_idx = meta.get('clip_frame_idx')
            for t, ds in enumerate(frames):
                fm = ds.metainfo
                vid = fm.get('video_id', meta.get('video_id'))
                fi = fm.get('frame_idx', clip_idx[t] if clip_idx is not None else None)
                tid = meta.get('track_id')
                if tid is None and 'track_ids' in ds.gt_instances:
                    tid = np.asarray(ds.gt_instances.track_ids).reshape(-1)[0]
                if vid is None or fi is None or tid is None:
                    raise ValueError(f'TKMRNet.loss: sample {b} frame {t} lacks video_id / '
                                     f'frame_idx / track_id (PoseTrack18ClipDataset + '
                                     f'PackMultiFramePoseInputs pack them)')
                video.append(str(vid))
                frame.append(int(fi))
                track.append(int(tid))
                gts.append(self._frame_gt(ds, heatmap_wh))
                key.append(t == k)
        return dict(video=np.asarray(video), frame=np.asarray(frame, np.int64),
                    track=np.asarray(track, np.int64), gt=np.stack(gts),
                    key=np.asarray(key, bool))

    def _matching_loss(self, F_maps: Tensor, loc_sets: np.ndarray, ex: dict,
                       candidates: np.ndarray, heatmap_wh) -> Dict[str, Tensor]:
        """Sec. 3.2 / Fig. 4: pairs per video group of the batch, cross-entropy of ``G_k``."""
        P = len(ex['frame'])
        body = self.matching_head.mode == 'body'
        # one example per (video, frame, track): border copies of a clip count once
        _, first = np.unique(np.stack([np.unique(ex['video'], return_inverse=True)[1],
                                       ex['frame'], ex['track']], 1), axis=0, return_index=True)
        keep = np.zeros(P, bool)
        keep[first] = True
        pa, pb, joint, sa, sb, label = [], [], [], [], [], []
        for vid in np.unique(ex['video']):
            idx = np.nonzero((ex['video'] == vid) & keep)[0]
            if body:  # TBM: one pseudo-joint at the crop centre, no candidates
                W, H = heatmap_wh
                gt = np.tile(np.array([[[(W - 1) / 2, (H - 1) / 2, 1.0]]]), (len(idx), 1, 1))
                cand = np.zeros((len(idx), 1, 0, 2), np.int64)
            else:
                gt, cand = ex['gt'][idx], candidates[idx]
            pr = sample_keypoint_pairs(ex['frame'][idx], ex['track'][idx], gt, cand, heatmap_wh,
                                       self._rng, tau=self.tau, neg_per_pos=self.neg_per_pos,
                                       max_positives=self.max_positives,
                                       ignore_radius=self.ignore_radius,
                                       gt_negative_frac=self.gt_negative_frac)
            pa.append(idx[pr.person_a])
            pb.append(idx[pr.person_b])
            joint.append(pr.joint)
            sa.append(pr.slot_a)
            sb.append(pr.slot_b)
            label.append(pr.label)
        cat = lambda xs: torch.as_tensor(np.concatenate(xs), device=F_maps.device)  # noqa: E731
        pa, pb, joint, sa, sb, label = map(cat, (pa, pb, joint, sa, sb, label))
        if body:
            feats = self.matching_head.body_features(F_maps)[:, :, None]  # (P, 1, 1, C)
        else:
            feats = self.matching_head.keypoint_features(F_maps, loc_sets)  # (P, K, 1+n, C)
        logits = self.matching_head.pair_logits(feats[pa, joint, sa], feats[pb, joint, sb],
                                                joint)
        return self.matching_head.loss(logits, label)

    def _refine_loss(self, H_maps: Tensor, F_maps: Tensor, loc_sets: np.ndarray,
                     argmax: np.ndarray, ex: dict, B: int, T: int) -> Dict[str, Tensor]:
        """Sec. 3.3: Eq. 6 on the key frames with the clip as the temporal path, Eq. 2 at the
        candidates (GT + n maxima)."""
        dev = H_maps.device
        K = self.refine_head.num_keypoints
        S = 2 * self.tau + 1
        key = np.nonzero(ex['key'])[0]  # one per sample, in sample order
        locs = torch.as_tensor(loc_sets[key], device=dev)  # (B, K, 1+n, 2)
        cand_h = self.refine_head.candidate_features(H_maps[key], locs)  # (B, K, 1+n, C)
        if T == 1 or not self.refine_context:  # no temporal context: M6
            resp = self.refine_head.candidate_responses(cand_h)
            return self.refine_head.loss(resp, locs, ex['gt'][key])
        # context slots: tau + frame offset to the key frame; beyond tau / repeated -> invalid
        frames = ex['frame'].reshape(B, T)
        slot = self.tau + frames - frames[np.arange(B), key - np.arange(B) * T][:, None]
        valid = (slot >= 0) & (slot < S)
        valid[np.arange(B), key - np.arange(B) * T] = False
        for b in range(B):  # first occurrence of a slot only (clips are short: T <= 2 tau + 1)
            _, first = np.unique(slot[b], return_index=True)
            rep = np.ones(T, bool)
            rep[first] = False
            valid[b] &= ~rep
        bb, tt = np.nonzero(valid)
        ctx_loc = torch.as_tensor(argmax.reshape(B, T, K, 2)[bb, tt], device=dev)  # (V, K, 2)
        flat = torch.as_tensor(bb * T + tt, device=dev)
        ctx_h_v = self.refine_head.candidate_features(H_maps[flat], ctx_loc)  # (V, K, C)
        ctx_h = H_maps.new_zeros((B, S, K, ctx_h_v.shape[-1]))
        slot_t = torch.as_tensor(slot[bb, tt], device=dev)
        bb_t = torch.as_tensor(bb, device=dev)
        ctx_h[bb_t, slot_t] = ctx_h_v
        ctx_valid = torch.zeros((B, S), dtype=torch.bool, device=dev)
        ctx_valid[bb_t, slot_t] = True
        with torch.no_grad():  # W(l, l_hat): the classifiers learn from their own loss only
            if self.matching_head.mode == 'body':
                fb = self.matching_head.body_features(F_maps)  # (BT, 1, C)
                ctx_f = fb.new_zeros((B, S, 1, fb.shape[-1]))
                ctx_f[bb_t, slot_t] = fb[flat]
                sim = self.matching_head.similarity(fb[key][:, None], ctx_f)  # (B, S, 1)
                sim = sim[..., None].expand(B, S, K, locs.shape[2])
            else:
                cand_f = self.matching_head.keypoint_features(F_maps[key], locs)
                ctx_f = F_maps.new_zeros((B, S, K, F_maps.shape[1]))
                ctx_f[bb_t, slot_t] = self.matching_head.keypoint_features(F_maps[flat], ctx_loc)
                sim = self.matching_head.context_similarity(cand_f, ctx_f)  # (B, S, K, 1+n)
        resp = self.refine_head.candidate_responses(cand_h, ctx_h, sim, ctx_valid)
        return self.refine_head.loss(resp, locs, ex['gt'][key])

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Stage-2 losses: ``loss_match`` / ``acc_match`` (Sec. 3.2) and ``loss_refine`` /
        ``acc_refine`` (Sec. 3.3); see the module docstring.

        Args:
            inputs (Tensor): clips ``(B, T, 3, H, W)`` or person crops ``(B, 3, H, W)``.
            data_samples (list): ``PoseTrackDataSample`` (clips; metainfo ``video_id``,
                ``track_id``, ``key_frames_inds``, per frame ``frame_idx`` and the GT) or
                ``PoseDataSample`` (crops; metainfo ``video_id``, ``frame_idx``,
                ``gt_instances.track_ids``).

        Returns:
            dict: the losses (with ``freeze_single_frame=False`` also the keypoint head's).
        """
        if inputs.dim() == 4:
            B, T = inputs.shape[0], 1
        elif inputs.dim() == 5:
            B, T = inputs.shape[:2]
        else:
            raise ValueError(f'TKMRNet.loss takes (B, T, 3, H, W) or (B, 3, H, W), got '
                             f'{tuple(inputs.shape)}')
        x = inputs.flatten(0, 1) if inputs.dim() == 5 else inputs
        feats, heatmaps = self._frozen_feats(x)
        F_maps = self.matching_head(feats)
        H_maps = self.refine_head(feats)
        hw = tuple(heatmaps.shape[-2:])
        if tuple(F_maps.shape[-2:]) != hw or tuple(H_maps.shape[-2:]) != hw:
            raise ValueError(f'TKMRNet: matching maps {tuple(F_maps.shape[-2:])} and refinement '
                             f'maps {tuple(H_maps.shape[-2:])} must have the heatmap size {hw} '
                             f'(set matching_head.num_deconvs / refine_head deconvs)')
        heatmap_wh = (hw[1], hw[0])
        ex = self._examples(data_samples, T, heatmap_wh)
        hm = heatmaps.detach()
        cand, _ = heatmap_candidates(hm, self.num_candidates, self.nms_kernel)  # (BT, K, n, 2)
        cand = cand.cpu().numpy()
        loc_sets, _ = keypoint_location_sets(ex['gt'], cand, heatmap_wh)  # (BT, K, 1+n, 2)
        losses = dict()
        if not self.freeze_single_frame:
            frames = [f for s in data_samples
                      for f in (s.video_data_samples if hasattr(s, 'video_data_samples') else
                                [s])]
            losses.update(self.head.loss(feats, frames, train_cfg=self.train_cfg))
        losses.update(self._matching_loss(F_maps, loc_sets, ex, cand, heatmap_wh))
        losses.update(self._refine_loss(H_maps, F_maps, loc_sets, cand[:, :, 0], ex, B, T))
        return losses

    # ------------------------------------------------------------------ refinement
    def video_refiner(self):
        """The per-video refinement step of ``test_cfg.refine`` for the tracking loops.

        Returns:
            DelayedKeypointRefiner | None: ``tau`` frames behind with ``'context'``, ``tau = 0``
            with ``'self'``; None when refinement is off.
        """
        from ..heads.keypoint_refinement_head import DelayedKeypointRefiner
        refine = self.test_cfg.get('refine', None)
        if refine is None:
            return None
        return DelayedKeypointRefiner(
            self.matching_head, self.refine_head, tau=0 if refine == 'self' else self.tau,
            iou_thr=self.test_cfg.get('refine_iou_thr', 0.1),
            batch_size=self.test_cfg.get('refine_batch_size', 16))

    def _add_refinement_inputs(self, feats, F_maps: Tensor, heatmaps: Tensor,
                               pred_instances: list, data_samples: SampleList) -> None:
        """Per person: candidates, their responses, image positions and features (the
        ``INSTANCE_FIELDS``), one batched pass for the whole batch (one person per sample)."""
        if any(len(p) != 1 for p in pred_instances):
            raise ValueError('TKMRNet: test_cfg.refine needs one person box per data sample '
                             '(top-down crops)')
        B, K, h, w = heatmaps.shape
        cand, cscore = heatmap_candidates(heatmaps, self.num_candidates, self.nms_kernel)
        H_maps = self.refine_head(feats)
        refine_f = self.refine_head.candidate_features(H_maps, cand)  # (B, K, n, C)
        match_f = self.matching_head.keypoint_features(F_maps, cand)  # (B, K, n, C_m)
        # image positions: the codec's quarter-pixel shift, its scale to the input, the crop
        # (add_pred_to_datasample's transform), all people at once
        sub = (cand.to(heatmaps.dtype) + candidate_subpixel_offsets(heatmaps, cand)).cpu()
        meta = [ds.metainfo for ds in data_samples]

        def per_sample(key):  # (B, 1, 1, 2)
            return np.stack([np.asarray(m[key], np.float64).reshape(2)
                             for m in meta])[:, None, None]

        size, center, scale = (per_sample(k) for k in ('input_size', 'input_center',
                                                          'input_scale'))
        factor = getattr(getattr(self.head, 'decoder', None), 'scale_factor', None)
        factor = size / np.array([w, h], np.float64) if factor is None else np.asarray(
            factor, np.float64)
        ck = sub.double().numpy() * factor  # (B, K, n, 2) input px
        ck[:, :, 0] = np.concatenate([np.asarray(p.keypoints, np.float64)[:, :, :2]
                                      for p in pred_instances])  # the decoded keypoints
        ck = ck / size * scale + center - 0.5 * scale
        ck[(cscore == float('-inf')).cpu().numpy()] = np.nan  # padding
        ck = ck.astype(np.float32)
        for b, p in enumerate(pred_instances):  # one person per sample: slices, no work
            p.refine_candidates = cand[b:b + 1]
            p.refine_candidate_scores = cscore[b:b + 1]
            p.refine_candidate_keypoints = ck[b:b + 1]
            p.refine_features = refine_f[b:b + 1]
            p.refine_match_features = match_f[b:b + 1]

    # ------------------------------------------------------------------ predict
    def predict(self, inputs: Tensor, data_samples: SampleList) -> SampleList:
        """MMPose's top-down prediction plus ``pred_instances.keypoint_features`` and
        ``pred_pairwise`` (see the module docstring).

        Args:
            inputs (Tensor): ``(B, 3, H, W)`` person crops (one box per data sample).
            data_samples (list[PoseDataSample]): with ``input_size`` etc., as MMPose's.

        Returns:
            list[PoseDataSample]: ``pred_instances.keypoint_features`` ``(N, G, C)`` tensors on
            the model's device (``G = K``, or 1 in TBM mode).
        """
        if inputs.dim() != 4:
            raise ValueError(f'TKMRNet.predict takes single frames (B, 3, H, W), got '
                             f'{tuple(inputs.shape)}')
        refine = self.test_cfg.get('refine', None)
        # refinement samples the candidates on the heatmaps the codec decodes
        test_cfg = self.test_cfg if refine is None else dict(self.test_cfg, output_heatmaps=True)
        feats = self.extract_feat(inputs)
        if self.test_cfg.get('flip_test', False):
            preds = self.head.predict([feats, self.extract_feat(inputs.flip(-1))], data_samples,
                                      test_cfg=test_cfg)
        else:
            preds = self.head.predict(feats, data_samples, test_cfg=test_cfg)
        pred_instances, pred_fields = preds if isinstance(preds, tuple) else (preds, None)
        F_maps = self.matching_head(feats)  # (B, C, h, w)
        h, w = F_maps.shape[-2:]
        counts = [len(p) for p in pred_instances]
        owners = torch.as_tensor(np.repeat(np.arange(len(counts)), counts), device=F_maps.device,
                                 dtype=torch.long)
        if self.matching_head.mode == 'body':
            kf = self.matching_head.instance_features(F_maps)[owners]
        else:
            kps = []
            for p, ds in zip(pred_instances, data_samples):  # input px -> heatmap px
                size = np.asarray(ds.metainfo['input_size'], np.float64).reshape(2)
                kp = np.asarray(p.keypoints, np.float64)[..., :2].reshape(len(p), -1, 2)
                kps.append(kp * np.array([w, h], np.float64) / size)
            kp = np.concatenate(kps) if kps else np.zeros((0, self.matching_head.num_keypoints,
                                                           2))
            kf = self.matching_head.instance_features(F_maps[owners], kp)
        start = 0
        for p, n in zip(pred_instances, counts):
            p.keypoint_features = kf[start:start + n]
            start += n
        if refine is not None:
            heatmaps = torch.stack([f.heatmaps for f in pred_fields]).to(F_maps.device)
            self._add_refinement_inputs(feats, F_maps, heatmaps, pred_instances, data_samples)
            if not self.test_cfg.get('output_heatmaps', False):
                pred_fields = None
        results = self.add_pred_to_datasample(pred_instances, pred_fields, data_samples)
        for ds in results:
            ds.pred_pairwise = dict(
                keypoint_similarity=self.matching_head.pairwise_similarity,
                keypoint_pair_similarity=self.matching_head.paired_similarity)
        return results
