"""Losses of ST-Embed (Jin et al. 2019, "Multi-person Articulated Tracking with Spatial and
Temporal Embeddings", Sec. 3.1-3.3), vectorised over images, people and joints.

Functional core (plain torch, one implementation of each quantity):

- :func:`embedding_pull_push`: Eq. 2 (pull) and Eq. 3 (push) on per-joint embeddings.
- :func:`ordinal_loss`: the ordinal term of Eq. 4, ``log(1 + exp(Ord (mbar_k - mbar_k')))``.
- :func:`sample_at_indices`: read ``(B, C, H, W)`` maps at flat ``y * W + x`` indices.

Registered wrappers (MMPose ``MODELS``), built from config by the heads:

- :class:`KeypointEmbeddingLoss`: KE pull/push (Eq. 2-3) on AE-layout tag maps.
- :class:`OrdinalEmbeddingLoss`: the six geometric-ordinal maps (Eq. 4).
- :class:`KeypointVectorFieldLoss`: L1 of the SVF (Eq. 5) and of each TVF direction (Eq. 7).
- :class:`GroupingLoss`: Eq. 2-3 on every PGG iteration's output (Sec. 3.2, last sentence).

Per-person arguments (``keypoint_indices``, targets, keys) may be padded ``(B, N, ...)`` tensors or
lists of ``B`` tensors ``(N_i, ...)`` (what ``gt_instance_labels`` holds); lists are padded with
invalid rows. ``keypoint_indices[..., 0]`` is the flat heatmap index ``y * W + x`` and
``keypoint_indices[..., 1]`` the visibility (MMPose ``AssociativeEmbedding`` codec convention);
a joint counts when its visibility is > 0.
"""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmpose.registry import MODELS
from torch import Tensor, nn

__all__ = [
    'embedding_pull_push', 'ordinal_loss', 'sample_at_indices', 'KeypointEmbeddingLoss',
    'OrdinalEmbeddingLoss', 'KeypointVectorFieldLoss', 'GroupingLoss'
]

PerPerson = Union[Tensor, Sequence[Tensor]]


# ----------------------------------------------------------------------------------------------
# functional core
# ----------------------------------------------------------------------------------------------
def _person_means(emb: Tensor, valid: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """Reference embeddings and per-person pull of ``emb`` (B, N, K, D) over ``valid`` joints.

    Returns ``mbar`` (B, N, D) (``1/|J_k| sum_j m_jk``, 0 for people without a valid joint),
    ``pull`` (B, N) (``1/|J_k| sum_j ||m_jk - mbar_k||^2``) and ``person_valid`` (B, N) bool.
    """
    w = valid.to(emb.dtype)[..., None]  # (B, N, K, 1)
    count = w.sum(dim=2)  # (B, N, 1)
    person_valid = count[..., 0] > 0
    denom = count.clamp(min=1.0)
    emb = torch.where(valid[..., None], emb, torch.zeros_like(emb))  # NaN-free outside `valid`
    mbar = (emb * w).sum(dim=2) / denom
    sq = ((emb - mbar[:, :, None]) ** 2).sum(dim=-1, keepdim=True) * w  # (B, N, K, 1)
    pull = (sq.sum(dim=2) / denom)[..., 0]
    return mbar, pull, person_valid


def _mean_over_people(per_person: Tensor, person_valid: Tensor) -> Tensor:
    """Per-image mean over valid people (0 without any), averaged over the images: (B, N) -> ()."""
    pv = person_valid.to(per_person.dtype)
    per_image = (per_person * pv).sum(dim=1) / pv.sum(dim=1).clamp(min=1.0)
    return per_image.mean()


def _push(mbar: Tensor, person_valid: Tensor) -> Tensor:
    """Eq. 3 without its ``k = k'`` constant, per image, averaged over images: () tensor."""
    diff = mbar[:, :, None] - mbar[:, None, :]  # (B, N, N, D)
    pair = person_valid[:, :, None] & person_valid[:, None, :]
    pair = pair & ~torch.eye(mbar.shape[1], dtype=torch.bool, device=mbar.device)
    term = torch.exp(-0.5 * (diff ** 2).sum(dim=-1)) * pair.to(mbar.dtype)
    n = person_valid.to(mbar.dtype).sum(dim=1)
    return (term.sum(dim=(1, 2)) / (n * n).clamp(min=1.0)).mean()


def embedding_pull_push(emb: Tensor, valid: Tensor) -> Tuple[Tensor, Tensor]:
    """Pull (Eq. 2) and push (Eq. 3) losses of per-joint embeddings.

    With ``mbar_k = 1/|J_k| sum_{j in J_k} m_jk`` the reference embedding of person ``k`` over its
    valid joints ``J_k``:

    - pull (Eq. 2): ``1/P sum_k 1/|J_k| sum_{j in J_k} ||m_jk - mbar_k||^2`` over the ``P`` people
      with at least one valid joint (Eq. 2's ``1/(J K)`` when every joint is valid);
    - push (Eq. 3): ``1/P^2 sum_{k != k'} exp(-1/2 ||mbar_k - mbar_k'||^2)``; Eq. 3's ``k = k'``
      terms are the constant ``P / P^2`` and are left out (no gradient).

    Both are computed per image (0 for an image with no valid person; push 0 with fewer than two)
    and averaged over the ``B`` images. People without a valid joint and padded rows are ignored.

    Args:
        emb (Tensor): ``(B, N, K, D)`` embeddings of joint ``K`` of person ``N``.
        valid (Tensor): ``(B, N, K)`` bool, the joints that count.

    Returns:
        tuple[Tensor, Tensor]: scalar ``pull`` and ``push``.
    """
    if emb.dim() != 4 or tuple(valid.shape) != tuple(emb.shape[:3]):
        raise ValueError(f'embedding_pull_push: emb must be (B, N, K, D) and valid (B, N, K), got '
                         f'{tuple(emb.shape)} and {tuple(valid.shape)}')
    mbar, pull, person_valid = _person_means(emb, valid.bool())
    return _mean_over_people(pull, person_valid), _push(mbar, person_valid)


def ordinal_loss(mbar: Tensor, keys: Tensor, key_valid: Tensor, ascending: bool = True) -> Tensor:
    """Ordinal term of Eq. 4: ``1/P^2 sum_{k, k'} log(1 + exp(Ord_kk' (mbar_k - mbar_k')))``.

    ``Ord_kk' = +1`` when person ``k`` comes first in the order (``ascending``: smaller key first,
    e.g. l2r on the centroid x), ``-1`` when ``k'`` does; so the loss pushes people that come first
    to smaller map values. Pairs with equal keys or with an invalid key are skipped; ``P`` is the
    number of people with a valid key in the image. Per image, averaged over the ``B`` images
    (0 for an image with fewer than two valid people).

    Args:
        mbar (Tensor): ``(B, N)`` reference value of each person on one ordinal map.
        keys (Tensor): ``(B, N)`` sort keys (centroid x / y, head size).
        key_valid (Tensor): ``(B, N)`` bool, people whose key (and ``mbar``) is defined.
        ascending (bool): smaller key first (l2r, t2b, f2n) or larger key first (r2l, b2t, n2f).

    Returns:
        Tensor: scalar loss.
    """
    if mbar.dim() != 2 or keys.shape != mbar.shape or key_valid.shape != mbar.shape:
        raise ValueError(f'ordinal_loss: mbar, keys, key_valid must all be (B, N), got '
                         f'{tuple(mbar.shape)}, {tuple(keys.shape)}, {tuple(key_valid.shape)}')
    key_valid = key_valid.bool()
    keys = keys.to(torch.promote_types(keys.dtype, torch.float32))  # compare keys in >= fp32
    keys = torch.where(key_valid, keys, torch.zeros_like(keys))
    mbar = torch.where(key_valid, mbar, torch.zeros_like(mbar))
    # Ord_kk' = +1 when k comes first: key_k < key_k' (ascending) / key_k > key_k' (descending)
    order = torch.sign(keys[:, None, :] - keys[:, :, None])  # (B, k, k'): sign(key_k' - key_k)
    if not ascending:
        order = -order
    pair = key_valid[:, :, None] & key_valid[:, None, :] & (order != 0)
    term = F.softplus(order * (mbar[:, :, None] - mbar[:, None, :])) * pair.to(mbar.dtype)
    n = key_valid.to(mbar.dtype).sum(dim=1)
    return (term.sum(dim=(1, 2)) / (n * n).clamp(min=1.0)).mean()


def sample_at_indices(maps: Tensor, indices: Tensor) -> Tensor:
    """All channels of ``maps`` at flat pixel indices.

    Args:
        maps (Tensor): ``(B, C, H, W)``.
        indices (Tensor): ``(B, N, K)`` long, flat ``y * W + x``; out-of-range values (e.g. of
            invisible joints) are clamped into the map, so mask them out with the visibility.

    Returns:
        Tensor: ``(B, N, K, C)``, ``out[b, n, k] = maps[b, :, idx // W, idx % W]``.
    """
    B, C, H, W = maps.shape
    _, N, K = indices.shape
    idx = indices.long().clamp(0, H * W - 1).reshape(B, 1, N * K).expand(B, C, N * K)
    return maps.reshape(B, C, H * W).gather(2, idx).permute(0, 2, 1).reshape(B, N, K, C)


def _sample_own_joint(maps: Tensor, indices: Tensor) -> Tensor:
    """Per-joint channel groups at each joint's own location.

    ``maps`` (B, K, C', H*W) holds ``C'`` channels for each joint type; returns (B, N, K, C')
    with ``out[b, n, j] = maps[b, j, :, indices[b, n, j]]`` (indices clamped as above).
    """
    B, K, C, HW = maps.shape
    N = indices.shape[1]
    idx = indices.long().clamp(0, HW - 1).permute(0, 2, 1)  # (B, K, N)
    idx = idx[:, :, None, :].expand(B, K, C, N)
    return maps.gather(3, idx).permute(0, 3, 1, 2)


# ----------------------------------------------------------------------------------------------
# argument handling
# ----------------------------------------------------------------------------------------------
def _pad(values: PerPerson, batch: int, name: str, owner: str) -> Tensor:
    """Stack a list of ``(N_i, ...)`` tensors into ``(B, max N_i, ...)`` (zero padding)."""
    if isinstance(values, Tensor):
        if values.shape[0] != batch:
            raise ValueError(f'{owner}: {name} has batch size {values.shape[0]}, expected {batch}')
        return values
    values = [torch.as_tensor(v) for v in values]
    if len(values) != batch:
        raise ValueError(f'{owner}: {name} holds {len(values)} images, expected {batch}')
    if batch == 0:
        raise ValueError(f'{owner}: empty batch')
    n = max(v.shape[0] for v in values)
    out = values[0].new_zeros((batch, n) + tuple(values[0].shape[1:]))
    for i, v in enumerate(values):  # over images, not people
        out[i, :v.shape[0]] = v
    return out


def _indices(keypoint_indices: PerPerson, batch: int, num_joints: int, hw: int,
             owner: str) -> Tuple[Tensor, Tensor]:
    """``(B, N, K, 2)`` [index, visibility] -> flat index (B, N, K) long, valid (B, N, K) bool.

    Raises a one-line ``ValueError`` for a wrong shape or a visible joint outside the map.
    """
    kpt = _pad(keypoint_indices, batch, 'keypoint_indices', owner)
    if kpt.dim() != 4 or kpt.shape[2] != num_joints or kpt.shape[3] != 2:
        raise ValueError(f'{owner}: keypoint_indices must be (B, N, {num_joints}, 2), got '
                         f'{tuple(kpt.shape)}')
    idx, valid = kpt[..., 0].long(), kpt[..., 1] > 0
    bad = valid & ((idx < 0) | (idx >= hw))
    if bool(bad.any()):
        b, n, k = (int(v) for v in bad.nonzero()[0])
        raise ValueError(f'{owner}: keypoint_indices[{b}, {n}, {k}] = {int(idx[b, n, k])} is '
                         f'visible but outside the {hw}-pixel heatmap')
    return idx, valid


def _check_maps(maps: Tensor, channels: int, name: str, owner: str) -> None:
    if not isinstance(maps, Tensor) or maps.dim() != 4 or maps.shape[1] != channels:
        shape = tuple(maps.shape) if isinstance(maps, Tensor) else type(maps).__name__
        raise ValueError(f'{owner}: {name} must be (B, {channels}, H, W), got {shape}')


# ----------------------------------------------------------------------------------------------
# registered losses
# ----------------------------------------------------------------------------------------------
@MODELS.register_module()
class KeypointEmbeddingLoss(nn.Module):
    """Keypoint Embedding (KE) pull + push loss (Eq. 2-3), vectorised.

    Each joint ``j`` of person ``k`` reads the ``L`` tag channels of its own joint type at its
    heatmap location (MMPose AE layout: ``tags.view(B, L, K, H, W)``); pull and push are
    :func:`embedding_pull_push`.

    Why not MMPose's ``AssociativeEmbeddingLoss``: it uses ``exp(-d^2)`` per tag dimension instead
    of Eq. 3's ``exp(-1/2 ||d||^2)``, normalises the push by ``N (N - 1)`` while summing the
    diagonal ``k = k'`` ones in (a constant offset of ``1 / (N - 1)``), sums rather than averages
    over images, and loops over images, people and joints in Python.

    Args:
        loss_weight (float): multiplier of both terms (the paper: 1e-3 for KE).
        push_weight (float): extra multiplier of the push term.
    """

    def __init__(self, loss_weight: float = 1.0, push_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.push_weight = push_weight

    def forward(self, tags: Tensor, keypoint_indices: PerPerson) -> Tuple[Tensor, Tensor]:
        """Compute the KE losses of a batch.

        Args:
            tags (Tensor): ``(B, L*K, H, W)`` tag maps.
            keypoint_indices (Tensor | list[Tensor]): ``(B, N, K, 2)`` [flat index, visibility]
                or a list of ``B`` tensors ``(N_i, K, 2)``.

        Returns:
            tuple[Tensor, Tensor]: ``pull * loss_weight`` and
            ``push * loss_weight * push_weight`` (scalars).
        """
        owner = type(self).__name__
        if not isinstance(tags, Tensor) or tags.dim() != 4:
            raise ValueError(f'{owner}: tags must be (B, L*K, H, W), got '
                             f'{tuple(getattr(tags, "shape", ()))}')
        B, C, H, W = tags.shape
        kpt = _pad(keypoint_indices, B, 'keypoint_indices', owner)
        K = kpt.shape[2] if kpt.dim() == 4 else -1
        if K <= 0 or C % K:
            raise ValueError(f'{owner}: tags have {C} channels, not a multiple of K = {K} '
                             f'(keypoint_indices {tuple(kpt.shape)})')
        idx, valid = _indices(kpt, B, K, H * W, owner)
        maps = tags.reshape(B, C // K, K, H * W).transpose(1, 2)  # (B, K, L, HW)
        pull, push = embedding_pull_push(_sample_own_joint(maps, idx), valid)
        return pull * self.loss_weight, push * (self.loss_weight * self.push_weight)


@MODELS.register_module()
class OrdinalEmbeddingLoss(nn.Module):
    """Geometric-ordinal auxiliary loss (Eq. 4) on the six ordinal maps.

    Channel ``c`` of ``ordinal_maps`` is one 1-D embedding map; every joint of person ``k`` reads it
    at its own location, ``mbar_ck`` is their mean. For each map, Eq. 4 = Eq. 2's pull on that map +
    :func:`ordinal_loss` of ``mbar_c`` with the map's key and direction:

    ========  =====  ==================================  =========
    channel   map    key (``order_keys[..., i]``)        first
    ========  =====  ==================================  =========
    0         l2r    0: centroid x                       smallest
    1         r2l    0: centroid x                       largest
    2         t2b    1: centroid y                       smallest
    3         b2t    1: centroid y                       largest
    4         f2n    2: head size ``||p_top - p_neck||^2``  smallest (far)
    5         n2f    2: head size                        largest (near)
    ========  =====  ==================================  =========

    The six maps' losses are summed (the pull of the 6-D map equals the sum of the six pulls, as
    ``||.||^2`` sums over channels). A person counts for the ordinal term of a map when it has a
    visible joint and ``order_key_weights > 0`` for that key; it counts for the pull when it has
    a visible joint.

    Args:
        loss_weight (float): multiplier (the paper: 1e-4 for the auxiliary tasks).
    """
    KEY_OF_MAP = (0, 0, 1, 1, 2, 2)
    ASCENDING = (True, False, True, False, True, False)

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, ordinal_maps: Tensor, keypoint_indices: PerPerson, order_keys: PerPerson,
                order_key_weights: PerPerson) -> Tensor:
        """Compute Eq. 4 summed over the six maps.

        Args:
            ordinal_maps (Tensor): ``(B, 6, H, W)`` in the order l2r, r2l, t2b, b2t, f2n, n2f.
            keypoint_indices (Tensor | list[Tensor]): ``(B, N, K, 2)`` [flat index, visibility].
            order_keys (Tensor | list[Tensor]): ``(B, N, 3)`` [centroid x, centroid y, head size].
            order_key_weights (Tensor | list[Tensor]): ``(B, N, 3)``, 0 where a key is undefined.

        Returns:
            Tensor: scalar ``loss_weight * sum_maps (pull + ordinal)``.
        """
        owner = type(self).__name__
        _check_maps(ordinal_maps, 6, 'ordinal_maps', owner)
        B, _, H, W = ordinal_maps.shape
        kpt = _pad(keypoint_indices, B, 'keypoint_indices', owner)
        if kpt.dim() != 4:
            raise ValueError(f'{owner}: keypoint_indices must be (B, N, K, 2), got '
                             f'{tuple(kpt.shape)}')
        idx, valid = _indices(kpt, B, kpt.shape[2], H * W, owner)
        N = idx.shape[1]
        keys = _pad(order_keys, B, 'order_keys', owner)
        kw = _pad(order_key_weights, B, 'order_key_weights', owner)
        if tuple(keys.shape) != (B, N, 3) or tuple(kw.shape) != (B, N, 3):
            raise ValueError(f'{owner}: order_keys and order_key_weights must be (B, N, 3) = '
                             f'{(B, N, 3)}, got {tuple(keys.shape)} and {tuple(kw.shape)}')
        mbar, pull, person_valid = _person_means(sample_at_indices(ordinal_maps, idx), valid)
        pull = _mean_over_people(pull, person_valid)  # = sum over the six maps of Eq. 2
        # fold the six maps into the batch; a descending order is an ascending one on -key
        key_of_map = torch.tensor(self.KEY_OF_MAP, device=keys.device)
        sign = torch.tensor([1.0 if a else -1.0 for a in self.ASCENDING], device=keys.device)
        keys = keys.to(torch.promote_types(keys.dtype, torch.float32))
        k6 = keys[..., key_of_map] * sign.to(keys.dtype)  # (B, N, 6)
        v6 = (kw[..., key_of_map] > 0) & person_valid[..., None]
        fold = (lambda t: t.permute(0, 2, 1).reshape(B * 6, N))
        ordinal = ordinal_loss(fold(mbar), fold(k6), fold(v6), ascending=True) * 6
        return (pull + ordinal) * self.loss_weight


@MODELS.register_module()
class KeypointVectorFieldLoss(nn.Module):
    """L1 loss of a per-joint 2-D vector field at the ground-truth joints (Eq. 5 and Eq. 7).

    Joint ``j`` of person ``k`` reads channels ``2j`` (x) and ``2j + 1`` (y) of ``fields`` at its
    heatmap location; the loss is ``sum w_jk (|dx| + |dy|) / sum w_jk`` over the (person, joint)
    pairs that are visible in ``keypoint_indices`` and have ``weights > 0``, pooled over the batch
    (Eq. 5's ``1/(J K) sum ||S(p_jk) - (p_jk - p_k)||_1``; 0 when nothing counts). For SVF the
    targets are ``p_jk - centre_k``; for a TVF direction (Eq. 7) ``p_jk - centre`` of the same
    person in the other frame.

    Args:
        loss_weight (float): multiplier (the paper: 1e-4 for SIE).
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, fields: Tensor, keypoint_indices: PerPerson, targets: PerPerson,
                weights: Optional[PerPerson] = None) -> Tensor:
        """Compute the weighted L1 loss.

        Args:
            fields (Tensor): ``(B, 2K, H, W)``, channel ``2j`` = x, ``2j + 1`` = y of joint ``j``.
            keypoint_indices (Tensor | list[Tensor]): ``(B, N, K, 2)`` [flat index, visibility].
            targets (Tensor | list[Tensor]): ``(B, N, K, 2)`` target vectors (heatmap px).
            weights (Tensor | list[Tensor], optional): ``(B, N, K)``; default 1.

        Returns:
            Tensor: scalar loss.
        """
        owner = type(self).__name__
        if not isinstance(fields, Tensor) or fields.dim() != 4 or fields.shape[1] % 2:
            raise ValueError(f'{owner}: fields must be (B, 2K, H, W), got '
                             f'{tuple(getattr(fields, "shape", ()))}')
        B, C, H, W = fields.shape
        K = C // 2
        idx, valid = _indices(keypoint_indices, B, K, H * W, owner)
        N = idx.shape[1]
        tgt = _pad(targets, B, 'targets', owner)
        if tuple(tgt.shape) != (B, N, K, 2):
            raise ValueError(f'{owner}: targets must be (B, N, K, 2) = {(B, N, K, 2)}, got '
                             f'{tuple(tgt.shape)}')
        w = valid.to(fields.dtype)
        if weights is not None:
            wt = _pad(weights, B, 'weights', owner)
            if tuple(wt.shape) != (B, N, K):
                raise ValueError(f'{owner}: weights must be (B, N, K) = {(B, N, K)}, got '
                                 f'{tuple(wt.shape)}')
            w = w * wt.to(fields.dtype)
        pred = _sample_own_joint(fields.reshape(B, K, 2, H * W), idx)  # (B, N, K, 2)
        used = (w > 0)[..., None]
        tgt = torch.where(used, tgt.to(fields.dtype), torch.zeros_like(pred))  # NaN-free padding
        err = torch.where(used, pred - tgt, torch.zeros_like(pred)).abs().sum(dim=-1)
        total = w.sum()
        loss = (err * w).sum() / total.clamp(min=torch.finfo(w.dtype).tiny)
        return loss * self.loss_weight


@MODELS.register_module()
class GroupingLoss(nn.Module):
    """Pull + push (Eq. 2-3) on every PGG iteration's output, summed over iterations (Sec. 3.2).

    Person ``k``'s joint ``j`` is column ``keypoint_columns[k, j]`` of each ``(D, N)`` output of
    :func:`~mmpose_track.models.utils.pose_guided_grouping` (``-1``: the joint is not among the
    selected pixels; find columns with :func:`~mmpose_track.models.utils.masked_column_index`).
    One image per call; average over images in the caller.

    Args:
        loss_weight (float): multiplier of both terms (the paper: 1e-4 for PGG).
        push_weight (float): extra multiplier of the push term.
    """

    def __init__(self, loss_weight: float = 1.0, push_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.push_weight = push_weight

    def forward(self, outputs: Sequence[Tensor], keypoint_columns: Tensor) -> Tuple[Tensor, Tensor]:
        """Compute the grouping losses of one image.

        Args:
            outputs (list[Tensor]): ``R + 1`` tensors ``(D, N)`` (PGG's return value).
            keypoint_columns (Tensor): ``(P, K)`` long, column of each joint, ``-1`` if absent.

        Returns:
            tuple[Tensor, Tensor]: ``sum_r pull_r * loss_weight`` and
            ``sum_r push_r * loss_weight * push_weight`` (scalars).
        """
        owner = type(self).__name__
        if isinstance(outputs, Tensor) or len(outputs) == 0:
            raise ValueError(f'{owner}: outputs must be a non-empty list of (D, N) tensors')
        xs = torch.stack(list(outputs))  # (R+1, D, N)
        R1, D, N = xs.shape
        cols = torch.as_tensor(keypoint_columns, device=xs.device).long()
        if cols.dim() != 2:
            raise ValueError(f'{owner}: keypoint_columns must be (P, K), got {tuple(cols.shape)}')
        if bool((cols >= N).any()):
            raise ValueError(f'{owner}: keypoint_columns has column {int(cols.max())} but the '
                             f'outputs have N = {N} columns')
        valid = cols >= 0
        if N == 0 or not bool(valid.any()):
            zero = xs.sum() * 0.0
            return zero, zero.clone()
        P, K = cols.shape
        emb = xs[:, :, cols.clamp(min=0).reshape(-1)].reshape(R1, D, P, K).permute(0, 2, 3, 1)
        pull, push = embedding_pull_push(emb, valid[None].expand(R1, P, K))
        return pull * (R1 * self.loss_weight), push * (R1 * self.loss_weight * self.push_weight)
