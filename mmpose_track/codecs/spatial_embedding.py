"""Targets and decoding of ST-Embed's SpatialNet and TemporalNet (Jin et al. 2019, Sec. 3.1, 3.3.2).

Encoding (all in HEATMAP pixels; a keypoint at input-image coordinate ``p`` lies at
``p / scale_factor``, ``scale_factor = input_size / heatmap_size``, as in MMPose's
``AssociativeEmbedding`` without UDP):

- keypoint pixel ``q_jk = floor(p_jk + 0.5)`` (the rounding of MMPose's AE indices). A keypoint
  is *valid* (weight 1) when it is visible (``> 0.5``), finite and ``q_jk`` lies on the heatmap;
  every other keypoint has weight 0 and is left out of centres, heatmaps and vectors.
- heatmaps (Eq. 1 target): ``C*_j(q) = max_k exp(-||q - q_jk||^2 / (2 sigma^2))`` inside the
  ``3 sigma`` square window around ``q_jk`` (MMPose's ``generate_gaussian_heatmaps``, drawn with
  one scatter-max instead of loops). The paper prints ``exp(-||p - p_jk||^2 / sigma^2)``; we keep
  the ``2 sigma^2`` convention of MMPose and OpenPose's code ([3]) with ``sigma = 2``.
- person centre ``c_k = mean_j p_jk`` over the valid joints of person k (Eq. 5's ``p_.,k``; the
  paper averages all J joints, we can only average the annotated ones, in float heatmap px).
- spatial vectors (Eq. 5 target) ``S_jk = q_jk - c_k``, taken from the PIXEL ``q_jk`` where
  the loss samples the SVF, so that ``SIE(q) = q - SVF(q)`` recovers ``c_k`` exactly.
- ordinal keys (Eq. 4) ``[c_x, c_y, ||p_headtop - p_neck||^2]``: l2r/r2l sort by key 0, t2b/b2t
  by key 1, f2n/n2f by key 2 (far = small head). Key weights are 0 when undefined: no valid joint
  (keys 0, 1), or neck / head top not valid (key 2; COCO people, whose PT18 slots 1/2 are empty).
- temporal vectors (Eq. 7), for a pair (ref = frame t-1, key = frame t; people matched by track
  id): forward ``T_jk = q^key_jk - c^ref_k`` at the key frame's joints, backward
  ``T'_jk = q^ref_jk - c^key_k`` at the ref frame's joints; weight 0 without a match.

Decoding (Sec. 3.1.2): SIE ``= p - SVF(p)`` (``sie_from_svf``) is concatenated to the keypoint
embedding KE as ``[KE, SIE / sie_scale]`` per joint (``combine_embeddings``, AE tag layout) and
grouped by MMPose's AE greedy decoder. That decoder compares a candidate with a group by the
Euclidean norm of the tag difference, so KE and SIE combine as
``d = sqrt(d_KE^2 + (d_SIE / sie_scale)^2)`` and ``decode_tag_thr`` applies to ``d``:
``sie_scale`` is the SIE distance in heatmap pixels that weighs as much as one KE unit.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmpose.codecs import AssociativeEmbedding
from mmpose.datasets.transforms import PackPoseInputs
from mmpose.registry import KEYPOINT_CODECS
from torch import Tensor

__all__ = [
    'SpatialEmbedding', 'keypoint_pixels', 'instance_centres', 'gaussian_heatmaps',
    'spatial_embedding_targets', 'temporal_vector_targets', 'sie_from_svf', 'combine_embeddings',
    'POSETRACK18_DECODE_ORDER'
]

#: AE grouping order for the 17-joint PoseTrack18 layout: neck, nose, head top, then the torso
#: and the limbs outwards; the ears (empty in PoseTrack18) last.
POSETRACK18_DECODE_ORDER = [1, 0, 2, 5, 6, 11, 12, 7, 8, 13, 14, 9, 10, 15, 16, 3, 4]


# ----------------------------------------------------------------------------- numpy targets
def keypoint_pixels(keypoints: np.ndarray, keypoints_visible: np.ndarray,
                    heatmap_size: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
    """Heatmap pixel of every keypoint and whether it is valid (visible, finite, on the map).

    Args:
        keypoints (np.ndarray): ``(N, K, 2)`` keypoints in heatmap pixels.
        keypoints_visible (np.ndarray): ``(N, K)`` visibility; ``> 0.5`` is visible.
        heatmap_size (tuple): ``(W, H)``.

    Returns:
        tuple: ``pixels`` ``(N, K, 2)`` int64 ``floor(p + 0.5)`` (0 where not finite) and
        ``valid`` ``(N, K)`` bool.

    Raises:
        ValueError: a visible keypoint has a NaN / inf coordinate (names person and joint).
    """
    W, H = heatmap_size
    finite = np.isfinite(keypoints).all(-1)
    visible = keypoints_visible > 0.5
    bad = visible & ~finite
    if bad.any():
        n, k = np.argwhere(bad)[0]
        raise ValueError(f'keypoints[{n}, {k}] = {keypoints[n, k].tolist()} is not finite but '
                         f'visible (keypoints_visible = {keypoints_visible[n, k]})')
    safe = np.where(finite[..., None], keypoints, 0.)
    pixels = np.floor(safe + 0.5).astype(np.int64)
    valid = (visible & (pixels[..., 0] >= 0) & (pixels[..., 0] < W) & (pixels[..., 1] >= 0)
             & (pixels[..., 1] < H))
    return pixels, valid


def instance_centres(keypoints: np.ndarray, valid: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Person centres ``c_k = mean of the valid p_jk`` (Eq. 5, 7: ``p_.,k``).

    Args:
        keypoints (np.ndarray): ``(N, K, 2)`` keypoints in heatmap pixels (NaN allowed where
            not valid).
        valid (np.ndarray): ``(N, K)`` bool.

    Returns:
        tuple: ``centres`` ``(N, 2)`` float32 (0 for a person with no valid joint) and
        ``has_centre`` ``(N,)`` bool.
    """
    count = valid.sum(1)
    total = np.where(valid[..., None], keypoints, 0.).sum(1)
    centres = total / np.maximum(count, 1)[:, None]
    return centres.astype(np.float32), count > 0


def gaussian_heatmaps(pixels: np.ndarray, valid: np.ndarray, heatmap_size: Tuple[int, int],
                      sigma: float) -> np.ndarray:
    """Eq. 1 target ``C*_j = max_k exp(-||q - q_jk||^2 / (2 sigma^2))``, vectorised.

    Each valid keypoint draws the Gaussian centred on its pixel inside the square window of
    radius ``floor(3 sigma)`` (MMPose's ``generate_gaussian_heatmaps`` for integer ``3 sigma``);
    overlaps take the maximum (one ``np.maximum.at`` over all people and joints).

    Args:
        pixels (np.ndarray): ``(N, K, 2)`` int keypoint pixels.
        valid (np.ndarray): ``(N, K)`` bool.
        heatmap_size (tuple): ``(W, H)``.
        sigma (float): Gaussian sigma in heatmap pixels.

    Returns:
        np.ndarray: ``(K, H, W)`` float32 heatmaps.
    """
    W, H = heatmap_size
    K = pixels.shape[1]
    heatmaps = np.zeros(K * H * W, dtype=np.float32)
    n_idx, k_idx = np.nonzero(valid)
    if n_idx.size:
        r = int(3 * sigma)
        off = np.arange(-r, r + 1)
        g = np.exp(-(off[:, None]**2 + off[None, :]**2) / (2. * sigma**2)).astype(np.float32)
        q = pixels[n_idx, k_idx]  # (M, 2)
        xs = q[:, 0, None] + off  # (M, S)
        ys = q[:, 1, None] + off
        inside = ((ys >= 0) & (ys < H))[:, :, None] & ((xs >= 0) & (xs < W))[:, None, :]
        flat = (k_idx[:, None, None] * (H * W) + ys[:, :, None] * W + xs[:, None, :])
        np.maximum.at(heatmaps, flat[inside], np.broadcast_to(g, inside.shape)[inside])
    return heatmaps.reshape(K, H, W)


def spatial_embedding_targets(keypoints: np.ndarray,
                              keypoints_visible: np.ndarray,
                              heatmap_size: Tuple[int, int],
                              sigma: float = 2.0,
                              neck_index: Optional[int] = 1,
                              head_top_index: Optional[int] = 2) -> Dict[str, np.ndarray]:
    """SpatialNet's targets for one frame (Eq. 1, 2-3 indices, 4 keys, 5), see the module doc.

    Args:
        keypoints (np.ndarray): ``(N, K, 2)`` keypoints in heatmap pixels.
        keypoints_visible (np.ndarray): ``(N, K)`` visibility.
        heatmap_size (tuple): ``(W, H)``.
        sigma (float): heatmap Gaussian sigma (heatmap px).
        neck_index (int, optional): joint of ``p_neck`` (PoseTrack18 ``head_bottom`` = 1).
        head_top_index (int, optional): joint of ``p_headtop`` (PoseTrack18: 2). ``None``
            for either: far-near keys are undefined (weight 0).

    Returns:
        dict: ``heatmaps`` ``(K, H, W)``; ``keypoint_indices`` ``(N, K, 2)`` int64
        ``[y * W + x, valid]`` (index 0 where not valid); ``keypoint_weights`` ``(N, K)``;
        ``spatial_vectors`` ``(N, K, 2)`` ``q_jk - c_k`` (0 where not valid);
        ``instance_centres`` ``(N, 2)``; ``order_keys`` ``(N, 3)``; ``order_key_weights``
        ``(N, 3)``. All float arrays are float32.
    """
    W, H = heatmap_size
    keypoints = np.asarray(keypoints, dtype=np.float64)[..., :2]
    keypoints_visible = np.asarray(keypoints_visible, dtype=np.float32)
    if keypoints.ndim != 3 or keypoints_visible.shape != keypoints.shape[:2]:
        raise ValueError(f'keypoints must be (N, K, >=2) and keypoints_visible (N, K), got '
                         f'{keypoints.shape} and {keypoints_visible.shape}')
    N, K = keypoints.shape[:2]
    for name, j in (('neck_index', neck_index), ('head_top_index', head_top_index)):
        if j is not None and not 0 <= j < K:
            raise ValueError(f'{name} = {j} is not a joint of the {K}-joint layout')
    pixels, valid = keypoint_pixels(keypoints, keypoints_visible, heatmap_size)
    centres, has_centre = instance_centres(keypoints, valid)
    vectors = np.where(valid[..., None], pixels - centres[:, None, :], 0.).astype(np.float32)
    index = np.where(valid, pixels[..., 1] * W + pixels[..., 0], 0)
    keypoint_indices = np.stack([index, valid.astype(np.int64)], -1)

    order_keys = np.zeros((N, 3), np.float32)
    order_key_weights = np.zeros((N, 3), np.float32)
    order_keys[:, :2] = centres
    order_key_weights[:, :2] = has_centre[:, None]
    if neck_index is not None and head_top_index is not None and N:
        head_ok = valid[:, neck_index] & valid[:, head_top_index]
        d = keypoints[:, head_top_index] - keypoints[:, neck_index]
        order_keys[:, 2] = np.where(head_ok, (d * d).sum(-1), 0.)
        order_key_weights[:, 2] = head_ok
    return dict(
        heatmaps=gaussian_heatmaps(pixels, valid, heatmap_size, sigma),
        keypoint_indices=keypoint_indices,
        keypoint_weights=valid.astype(np.float32),
        spatial_vectors=vectors,
        instance_centres=centres,
        order_keys=order_keys,
        order_key_weights=order_key_weights)


def _track_ids(ids, n: int, name: str) -> np.ndarray:
    ids = np.asarray(ids)
    if ids.shape != (n, ):
        raise ValueError(f'{name} must have one track id per person ({n}), got shape {ids.shape}')
    if ids.dtype.kind == 'f':
        if not np.isfinite(ids).all() or (ids != np.round(ids)).any():
            raise ValueError(f'{name} must be integers, got {ids.tolist()}')
    elif ids.dtype.kind not in 'iu':
        raise ValueError(f'{name} must be integers, got dtype {ids.dtype}')
    ids = ids.astype(np.int64)
    known = ids[ids >= 0]
    if np.unique(known).size != known.size:
        raise ValueError(f'{name} has a track id twice in one frame: {ids.tolist()}')
    return ids


def temporal_vector_targets(pixels_a: np.ndarray, valid_a: np.ndarray, ids_a: np.ndarray,
                            centres_b: np.ndarray, has_centre_b: np.ndarray,
                            ids_b: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """One direction of Eq. 7: ``q^a_jk - c^b_k'`` where person k' of frame b has k's track id.

    Args:
        pixels_a (np.ndarray): ``(N_a, K, 2)`` keypoint pixels of frame a.
        valid_a (np.ndarray): ``(N_a, K)`` bool.
        ids_a (np.ndarray): ``(N_a,)`` int64 track ids (< 0: no track, never matched).
        centres_b (np.ndarray): ``(N_b, 2)`` centres of frame b (heatmap px).
        has_centre_b (np.ndarray): ``(N_b,)`` bool.
        ids_b (np.ndarray): ``(N_b,)`` int64 track ids.

    Returns:
        tuple: ``vectors`` ``(N_a, K, 2)`` float32 (0 where weight 0) and ``weights``
        ``(N_a, K)`` float32 (valid joint of a person matched to a frame-b person with a centre).
    """
    match = (ids_a[:, None] == ids_b[None, :]) & (ids_a[:, None] >= 0) & has_centre_b[None, :]
    matched = match.any(1)
    centre = centres_b[match.argmax(1)] if len(ids_b) else np.zeros((len(ids_a), 2), np.float32)
    weights = valid_a & matched[:, None]
    vectors = np.where(weights[..., None], pixels_a - centre[:, None, :], 0.)
    return vectors.astype(np.float32), weights.astype(np.float32)


# ----------------------------------------------------------------------------- torch decoding
def sie_from_svf(svf: Tensor) -> Tensor:
    """Spatial instance embedding ``SIE(p) = p - SVF(p)`` (Sec. 3.1.2, Fig. 3), any device/dtype.

    Args:
        svf (Tensor): ``(B, 2K, H, W)`` spatial vector fields in heatmap px, channel ``2j`` = x,
            ``2j + 1`` = y of joint j (``view(B, K, 2, H, W)``).

    Returns:
        Tensor: ``(B, 2K, H, W)`` SIE (the predicted person centre, heatmap px), same layout.
    """
    if svf.dim() != 4 or svf.shape[1] % 2:
        raise ValueError(f'svf must be (B, 2K, H, W), got {tuple(svf.shape)}')
    B, C, H, W = svf.shape
    xs = torch.arange(W, device=svf.device, dtype=svf.dtype).view(1, W).expand(H, W)
    ys = torch.arange(H, device=svf.device, dtype=svf.dtype).view(H, 1).expand(H, W)
    grid = torch.stack([xs, ys])  # (2, H, W)
    return (grid - svf.view(B, C // 2, 2, H, W)).view(B, C, H, W)


def combine_embeddings(ke: Optional[Tensor], sie: Tensor, sie_scale: float) -> Tensor:
    """Tags ``[KE, SIE / sie_scale]`` per joint in MMPose's AE layout (``view(B, L + 2, K, H, W)``).

    The AE decoder matches by the Euclidean norm of tag differences, so a candidate's distance
    to a group is ``sqrt(||d_KE||^2 + (||d_SIE|| / sie_scale)^2)``: ``sie_scale`` heatmap pixels
    of centre disagreement cost as much as one unit of KE, and ``decode_tag_thr`` bounds the
    combined distance.

    Args:
        ke (Tensor | None): ``(B, L * K, H, W)`` keypoint embeddings (AE layout); ``None`` or
            ``L = 0`` channels: SIE only.
        sie (Tensor): ``(B, 2K, H, W)`` from :func:`sie_from_svf`.
        sie_scale (float): heatmap px of SIE distance per tag unit (> 0).

    Returns:
        Tensor: ``(B, (L + 2) * K, H, W)``.
    """
    if sie.dim() != 4 or sie.shape[1] % 2:
        raise ValueError(f'sie must be (B, 2K, H, W), got {tuple(sie.shape)}')
    if not sie_scale > 0:
        raise ValueError(f'sie_scale must be > 0, got {sie_scale}')
    B, C, H, W = sie.shape
    K = C // 2
    sie_tags = sie.view(B, K, 2, H, W).transpose(1, 2) / sie_scale  # (B, 2, K, H, W)
    if ke is None or ke.shape[1] == 0:
        return sie_tags.reshape(B, 2 * K, H, W)
    if ke.dim() != 4 or ke.shape[0] != B or ke.shape[2:] != sie.shape[2:] or ke.shape[1] % K:
        raise ValueError(f'ke must be (B, L*K, H, W) with K = {K} and the maps of sie '
                         f'{tuple(sie.shape)}, got {tuple(ke.shape)}')
    L = ke.shape[1] // K
    tags = torch.cat([ke.view(B, L, K, H, W), sie_tags.to(ke.dtype)], 1)
    return tags.reshape(B, (L + 2) * K, H, W)


# ----------------------------------------------------------------------------- codec
@KEYPOINT_CODECS.register_module()
class SpatialEmbedding(AssociativeEmbedding):
    """ST-Embed SpatialNet codec: AE heatmaps and indices + SVF, centres, ordinal keys (+ TVF).

    Encoded (``encode``; N people, K joints, heatmap ``(W, H)``; see the module doc):

        - heatmaps ``(K, H, W)``: Eq. 1 target (Gaussian ``sigma``, max over people)
        - keypoint_indices ``(N, K, 2)`` int64: ``[y * W + x, valid]`` as MMPose's AE
        - keypoint_weights ``(N, K)``: 1 for visible keypoints on the heatmap
        - spatial_vectors ``(N, K, 2)``: Eq. 5 target ``q_jk - c_k`` (heatmap px)
        - instance_centres ``(N, 2)``: ``c_k`` (heatmap px)
        - order_keys ``(N, 3)``: Eq. 4 ``[c_x, c_y, ||p_headtop - p_neck||^2]`` (heatmap px)
        - order_key_weights ``(N, 3)``: 0 where a key is undefined

    ``GenerateTarget`` hands the mapping tables to the packer: ``heatmaps`` (and
    ``heatmap_mask`` / ``heatmap_weights`` of ``BottomupGetHeatmapMask``) go to ``gt_fields``,
    the per-person arrays to ``gt_instance_labels``. ``encode_temporal`` gives Eq. 7 targets
    for a pair (see ``GenerateTemporalTarget``).

    Decoding: ``batch_decode(heatmaps, tags)`` is AE's greedy grouping, where ``tags`` are
    ``combine_embeddings(ke, sie_from_svf(svf), sie_scale)`` (``batch_decode_embeddings`` does
    both); tag distance ``sqrt(d_KE^2 + (d_SIE / sie_scale)^2)`` against ``decode_tag_thr``.

    Args:
        input_size (tuple): input image size ``(w, h)``.
        heatmap_size (tuple): heatmap size ``(W, H)``.
        sigma (float): heatmap Gaussian sigma (heatmap px). Defaults to 2.
        tag_dim (int): KE dimension L. Defaults to 1.
        sie_scale (float): heatmap px of SIE distance worth one tag unit in decoding.
            Defaults to 10 (not in the paper; a config knob).
        neck_index (int, optional): ``p_neck`` joint (PoseTrack18 ``head_bottom``: 1).
        head_top_index (int, optional): ``p_headtop`` joint (PoseTrack18: 2).
        decode_keypoint_order (list[int], optional): AE grouping order; ``None``: the
            PoseTrack18 order :data:`POSETRACK18_DECODE_ORDER`.
        **kwargs: AE decoding arguments (``decode_nms_kernel``, ``decode_keypoint_thr``,
            ``decode_tag_thr``, ``decode_topk``, ``decode_max_instances``...).
    """

    field_mapping_table = dict(
        PackPoseInputs.field_mapping_table, heatmaps='heatmaps')
    label_mapping_table = dict(
        PackPoseInputs.label_mapping_table,
        keypoint_weights='keypoint_weights',
        keypoint_indices='keypoint_indices',
        spatial_vectors='spatial_vectors',
        instance_centres='instance_centres',
        order_keys='order_keys',
        order_key_weights='order_key_weights')

    def __init__(self,
                 input_size: Tuple[int, int],
                 heatmap_size: Tuple[int, int],
                 sigma: float = 2.0,
                 tag_dim: int = 1,
                 sie_scale: float = 10.0,
                 neck_index: Optional[int] = 1,
                 head_top_index: Optional[int] = 2,
                 decode_keypoint_order: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        if kwargs.get('use_udp'):
            raise ValueError('SpatialEmbedding does not support use_udp=True')
        if not sigma > 0 or not sie_scale > 0 or int(tag_dim) < 0:
            raise ValueError(f'SpatialEmbedding needs sigma > 0, sie_scale > 0, tag_dim >= 0; '
                             f'got {sigma}, {sie_scale}, {tag_dim}')
        order = POSETRACK18_DECODE_ORDER if decode_keypoint_order is None else \
            list(decode_keypoint_order)
        super().__init__(
            input_size=tuple(input_size), heatmap_size=tuple(heatmap_size), sigma=float(sigma),
            decode_keypoint_order=list(order), **kwargs)
        self.tag_dim = int(tag_dim)
        self.sie_scale = float(sie_scale)
        self.neck_index = neck_index
        self.head_top_index = head_top_index

    # ------------------------------------------------------------------ encode
    def _to_heatmap(self, keypoints: np.ndarray) -> np.ndarray:
        return np.asarray(keypoints, dtype=np.float64)[..., :2] / self.scale_factor

    def encode(self, keypoints: np.ndarray,
               keypoints_visible: Optional[np.ndarray] = None) -> dict:
        """Encode one frame's people (Eq. 1, 4, 5 targets), vectorised over people and joints.

        Args:
            keypoints (np.ndarray): ``(N, K, D)`` keypoints in input-image px (D >= 2).
            keypoints_visible (np.ndarray): ``(N, K)`` visibility; ``None``: all visible.

        Returns:
            dict: see the class doc (heatmap-px quantities).
        """
        keypoints = np.asarray(keypoints)
        if keypoints_visible is None:
            keypoints_visible = np.ones(keypoints.shape[:2], dtype=np.float32)
        return spatial_embedding_targets(
            self._to_heatmap(keypoints), keypoints_visible, self.heatmap_size, self.sigma,
            self.neck_index, self.head_top_index)

    def encode_temporal(self, kpts_key: np.ndarray, vis_key: np.ndarray, ids_key: np.ndarray,
                        kpts_ref: np.ndarray, vis_ref: np.ndarray,
                        ids_ref: np.ndarray) -> Dict[str, np.ndarray]:
        """Eq. 7 targets of a pair (ref = frame t-1, key = frame t), people matched by track id.

        Args:
            kpts_key (np.ndarray): ``(N_key, K, D)`` key-frame keypoints, input px.
            vis_key (np.ndarray): ``(N_key, K)`` visibility.
            ids_key (np.ndarray): ``(N_key,)`` integer track ids (< 0: untracked).
            kpts_ref, vis_ref, ids_ref: the same for the reference frame.

        Returns:
            dict: ``forward_vectors`` ``(N_key, K, 2)`` ``q^key_jk - c^ref_k``,
            ``forward_weights`` ``(N_key, K)``, ``backward_vectors`` ``(N_ref, K, 2)``
            ``q^ref_jk - c^key_k``, ``backward_weights`` ``(N_ref, K)`` (heatmap px; weight 0
            for invalid joints and people without a match in the other frame).

        Raises:
            ValueError: mismatched shapes, non-integer or repeated track ids, or a visible
                non-finite keypoint (one line).
        """
        frames = []
        for kpts, vis, ids, name in ((kpts_key, vis_key, ids_key, 'key'),
                                     (kpts_ref, vis_ref, ids_ref, 'ref')):
            kpts = self._to_heatmap(kpts)
            vis = np.asarray(vis, dtype=np.float32)
            if kpts.ndim != 3 or vis.shape != kpts.shape[:2]:
                raise ValueError(f'{name} frame: keypoints must be (N, K, >=2) and visibility '
                                 f'(N, K), got {kpts.shape} and {vis.shape}')
            try:
                pixels, valid = keypoint_pixels(kpts, vis, self.heatmap_size)
            except ValueError as e:
                raise ValueError(f'{name} frame: {e}') from None
            centres, has = instance_centres(kpts, valid)
            frames.append((pixels, valid, _track_ids(ids, len(kpts), f'{name} track ids'),
                           centres, has))
        (pk, vk, ik, ck, hk), (pr, vr, ir, cr, hr) = frames
        if pk.shape[1] != pr.shape[1]:
            raise ValueError(f'key and ref frames have {pk.shape[1]} and {pr.shape[1]} joints')
        fwd, fwd_w = temporal_vector_targets(pk, vk, ik, cr, hr, ir)
        bwd, bwd_w = temporal_vector_targets(pr, vr, ir, ck, hk, ik)
        return dict(forward_vectors=fwd, forward_weights=fwd_w, backward_vectors=bwd,
                    backward_weights=bwd_w)

    # ------------------------------------------------------------------ decode
    def batch_decode(self, batch_heatmaps: Tensor, batch_tags: Tensor
                     ) -> Tuple[List[np.ndarray], List[np.ndarray], List[np.ndarray]]:
        """AE greedy grouping (MMPose) of ``(B, K, H, W)`` heatmaps with ``(B, L' * K, H, W)``
        tags, normally ``combine_embeddings(ke, sie, self.sie_scale)``.

        Returns:
            tuple: per image, keypoints ``(N, K, 2)`` in input px, keypoint scores ``(N, K)``
            and instance scores ``(N,)`` (those of ``AssociativeEmbedding.batch_decode``).

        Raises:
            ValueError: shapes that do not fit, or NaN / inf in the maps (one line).
        """
        if batch_heatmaps.dim() != 4 or batch_tags.dim() != 4:
            raise ValueError(f'heatmaps and tags must be (B, C, H, W), got '
                             f'{tuple(batch_heatmaps.shape)} and {tuple(batch_tags.shape)}')
        B, K, H, W = batch_heatmaps.shape
        if (batch_tags.shape[0] != B or batch_tags.shape[2:] != batch_heatmaps.shape[2:]
                or batch_tags.shape[1] == 0 or batch_tags.shape[1] % K):
            raise ValueError(f'tags {tuple(batch_tags.shape)} do not fit heatmaps '
                             f'{tuple(batch_heatmaps.shape)} (need (B, L*K, H, W))')
        if len(self.decode_keypoint_order) != K:
            raise ValueError(f'decode_keypoint_order has {len(self.decode_keypoint_order)} '
                             f'joints, the heatmaps {K}')
        for name, t in (('heatmaps', batch_heatmaps), ('tags', batch_tags)):
            if not torch.isfinite(t).all():
                raise ValueError(f'{self.__class__.__name__}.batch_decode: NaN or inf in {name}')
        topk = min(self.decode_topk, H * W)
        if topk != self.decode_topk:  # tiny maps: AE's topk would fail
            saved, self.decode_topk = self.decode_topk, topk
            try:
                return super().batch_decode(batch_heatmaps.float(), batch_tags.float())
            finally:
                self.decode_topk = saved
        return super().batch_decode(batch_heatmaps.float(), batch_tags.float())

    def batch_decode_embeddings(self, batch_heatmaps: Tensor, batch_ke: Optional[Tensor],
                                batch_svf: Tensor):
        """``batch_decode`` on ``combine_embeddings(ke, sie_from_svf(svf), sie_scale)``."""
        tags = combine_embeddings(batch_ke, sie_from_svf(batch_svf), self.sie_scale)
        return self.batch_decode(batch_heatmaps, tags)
