"""Merging the pose hypotheses of one track (clip tracking, Wang et al. 2020, Sec. 3.3).

After :func:`~mmpose_track.tracking.clip_merging.merge_clip_tracklets`, a person has several
pose hypotheses per frame (one per overlapping clip). Two ways to get one pose per frame:

* :func:`baseline_merge` — per joint, the hypothesis with the highest confidence ("Baseline
  Merge");
* :func:`spatial_temporal_merge` — per joint, mean-shift clusters of the hypotheses of each frame
  (bandwidth: half the head size, the PCKh radius of the PoseTrack evaluation), then a shortest
  path (Dijkstra) through one cluster per frame, favouring clusters with more hypotheses
  (spatial term) and smooth motion (temporal term), balanced by ``balance`` (λ).
"""
from typing import List, Sequence, Tuple, Union

import numpy as np

from ._utils import to_numpy

__all__ = ['baseline_merge', 'mean_shift', 'spatial_temporal_merge', 'estimate_head_size',
           'cluster_edge_cost']

_FACE = (0, 1, 2, 3, 4)  # COCO nose, eyes, ears


def _as_hyps(hypotheses: Sequence) -> List[np.ndarray]:
    out = []
    for h in hypotheses:
        h = to_numpy(h)
        if h.ndim == 2:
            h = h[None]
        if h.ndim != 3 or h.shape[-1] != 3:
            raise ValueError(f'each frame needs hypotheses of shape (H, K, 3), got {h.shape}')
        out.append(h)
    return out


def _num_kpts(hyps: List[np.ndarray]) -> int:
    ks = {h.shape[1] for h in hyps if h.shape[0] > 0}
    if len(ks) > 1:
        raise ValueError(f'hypotheses have different keypoint counts: {ks}')
    return ks.pop() if ks else 0


def baseline_merge(hypotheses: Sequence) -> np.ndarray:
    """Per frame and joint, the hypothesis with the highest confidence (clip tracking 3.3).

    Args:
        hypotheses: length-``T`` sequence of ``(H_t, K, 3)`` arrays (``H_t`` may be 0).

    Returns:
        ``(T, K, 3)``; frames without hypotheses (or a joint with only non-finite ones) are NaN
        with score 0.
    """
    hyps = _as_hyps(hypotheses)
    K = _num_kpts(hyps)
    out = np.full((len(hyps), K, 3), np.nan)
    out[..., 2] = 0.0
    for t, h in enumerate(hyps):
        if h.shape[0] == 0:
            continue
        ok = np.isfinite(h).all(-1)
        sc = np.where(ok, h[..., 2], -np.inf)
        best = np.argmax(sc, 0)
        pick = h[best, np.arange(K)]
        has = ok.any(0)
        out[t, has] = pick[has]
    return out


def mean_shift(points: np.ndarray,
               bandwidth: float,
               max_iter: int = 50,
               tol: float = 1e-3) -> Tuple[np.ndarray, np.ndarray]:
    """Flat-kernel mean shift of 2-D points (vectorised over points).

    Every point climbs to the mean of the points within ``bandwidth`` until it moves less than
    ``tol · bandwidth``; modes closer than ``bandwidth / 2`` are one cluster.

    Returns:
        ``labels (P,)`` int64 and cluster ``centers (C, 2)`` (mean of the member points).
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    P = len(pts)
    if P == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 2))
    bw = max(float(bandwidth), 1e-6)
    modes = pts.copy()
    for _ in range(max_iter):
        d2 = ((modes[:, None] - pts[None]) ** 2).sum(-1)
        w = (d2 <= bw * bw).astype(np.float64)
        new = w @ pts / np.maximum(w.sum(1, keepdims=True), 1)
        shift = np.abs(new - modes).max()
        modes = new
        if shift < tol * bw:
            break
    # merge modes: greedy by visiting order of the points (deterministic)
    labels = np.full(P, -1, dtype=np.int64)
    centers_modes = []
    for i in range(P):
        if labels[i] >= 0:
            continue
        near = (((modes - modes[i]) ** 2).sum(-1) <= (0.5 * bw) ** 2) & (labels < 0)
        labels[near] = len(centers_modes)
        centers_modes.append(modes[i])
    centers = np.stack([pts[labels == c].mean(0) for c in range(len(centers_modes))])
    return labels, centers


def estimate_head_size(keypoints: np.ndarray, fallback_ratio: float = 0.125) -> float:
    """Head size of a COCO-17 pose for the PCKh radius when the head box is unknown.

    PoseTrack's head size is ``0.6 · ||head box diagonal||``, which is about the head's width;
    we take the spread (largest pairwise distance) of the face joints (nose, eyes, ears) with
    score > 0, or, with fewer than two, ``fallback_ratio`` × the height of the pose's extent.
    """
    k = to_numpy(keypoints)
    if k.ndim == 3:  # several hypotheses: median of their estimates
        vals = [estimate_head_size(x, fallback_ratio) for x in k]
        vals = [v for v in vals if np.isfinite(v) and v > 0]
        return float(np.median(vals)) if vals else 1.0
    ok = np.isfinite(k[:, :2]).all(1) & (k[:, 2] > 0)
    face = [j for j in _FACE if j < len(k) and ok[j]]
    if len(face) >= 2:
        f = k[face, :2]
        spread = np.sqrt(((f[:, None] - f[None]) ** 2).sum(-1)).max()
        if spread > 0:
            return float(spread)
    if ok.sum() >= 2:
        ext = k[ok, 1].max() - k[ok, 1].min()
        if ext > 0:
            return float(fallback_ratio * ext)
    return 1.0


def cluster_edge_cost(size_a: np.ndarray, frac_a: np.ndarray, center_a: np.ndarray,
                      size_b: np.ndarray, frac_b: np.ndarray, center_b: np.ndarray,
                      head_size: float, balance: float = 1.0) -> np.ndarray:
    """Edge cost between clusters of consecutive frames, ``(C_a, C_b)`` — *reconstructed*.

    The formula of Sec. 3.3 was lost from our copy of the paper; its prose says the weight
    "favours clusters with more hypotheses and those that have smoother motion across time",
    uses the cluster centres, their magnitudes ``|c|`` and the number of hypotheses ``N``, and a
    factor λ balancing the spatial and the temporal terms, set to give them "equal importance,
    as the latter has approximately the magnitude of the former". We use

    ``w(c_i^t, c_j^{t+1}) = ½ [(1 − |c_i^t| / N^t) + (1 − |c_j^{t+1}| / N^{t+1})]
    + λ ||x_i^t − x_j^{t+1}||₂ / h``

    (``frac = |c| / N``; ``h``: head size, so both terms are ~[0, 1] for normal motion and
    ``λ = 1`` weighs them equally). Non-negative, as Dijkstra needs.
    """
    spatial = 0.5 * ((1.0 - frac_a)[:, None] + (1.0 - frac_b)[None, :])
    disp = np.sqrt(((center_a[:, None] - center_b[None]) ** 2).sum(-1))
    return spatial + balance * disp / max(head_size, 1e-6)


def spatial_temporal_merge(hypotheses: Sequence,
                           head_size: Union[None, float, Sequence[float]] = None,
                           balance: float = 1.0,
                           bandwidth_ratio: float = 0.5,
                           score_thr: float = 0.0,
                           return_clusters: bool = False,
                           spatial: bool = True,
                           temporal: bool = True):
    """Spatial-temporal merging of pose hypotheses (clip tracking, Sec. 3.3).

    For each joint independently:

    1. per frame, mean-shift clustering (:func:`mean_shift`) of the joint's hypotheses (finite,
       score ``> score_thr``) with bandwidth ``bandwidth_ratio`` (½) × head size;
    2. a layered graph source → clusters of frame t → clusters of the next frame with any
       cluster → … → sink, edges weighted by :func:`cluster_edge_cost` (source/sink edges carry
       half the spatial term of their cluster, so every cluster on the path pays its spatial
       term once); the shortest path (``scipy.sparse.csgraph.dijkstra``) picks one cluster per
       frame;
    3. the joint is the mean of the chosen cluster's hypotheses, its score their mean score.

    Frames where a joint has no hypothesis are skipped by the path (the next frame with
    clusters is linked) and returned as NaN with score 0.

    The two halves, for the Table 7 rows "+ spatial merge" and "+ temporal merge" (their exact
    form is not in our copy of the paper; reconstructed as the method with the other term
    switched off): ``temporal=False`` sets λ to 0, so each frame takes its largest cluster (ties:
    the first found) independently of the others; ``spatial=False`` makes every hypothesis its
    own cluster with a zero spatial term, so the path picks, per frame, the hypothesis that moves
    least from the previous frame's choice.

    Args:
        hypotheses: length-``T`` sequence of ``(H_t, K, 3)`` arrays for one person.
        head_size: scalar or ``(T,)``; default: :func:`estimate_head_size` of all hypotheses.
        balance: λ, weight of the temporal term.
        bandwidth_ratio: mean-shift bandwidth in head sizes (Sec. 4.2: ½, PCKh's radius).
        score_thr: hypotheses of a joint scored at most this are ignored.
        return_clusters: also return the chosen cluster sizes.
        spatial: use the clusters and their spatial term (see above).
        temporal: use the temporal term (see above).

    Returns:
        ``(T, K, 3)`` merged poses (and, with ``return_clusters``, per joint the list of chosen
        cluster sizes per frame, for inspection).
    """
    if not (spatial or temporal):
        raise ValueError('spatial_temporal_merge: spatial and temporal are both off; that is '
                         'baseline_merge')
    if not temporal:
        balance = 0.0
    hyps = _as_hyps(hypotheses)
    T = len(hyps)
    K = _num_kpts(hyps)
    out = np.full((T, K, 3), np.nan)
    out[..., 2] = 0.0
    if T == 0 or K == 0:
        return (out, []) if return_clusters else out
    if head_size is None:
        allh = [h for h in hyps if h.shape[0]]
        head_size = estimate_head_size(np.concatenate(allh, 0))
    hs = np.broadcast_to(np.asarray(head_size, dtype=np.float64), (T, )).copy()
    hs[~(np.isfinite(hs) & (hs > 0))] = 1.0
    chosen_sizes = []
    for k in range(K):
        layers = []  # (t, centers (C,2), sizes (C,), frac (C,), labels, points_idx)
        for t, h in enumerate(hyps):
            if h.shape[0] == 0:
                continue
            p = h[:, k]
            ok = np.isfinite(p).all(-1) & (p[:, 2] > score_thr)
            if not ok.any():
                continue
            idx = np.flatnonzero(ok)
            if spatial:
                labels, centers = mean_shift(p[idx, :2], bandwidth_ratio * hs[t])
                sizes = np.bincount(labels, minlength=len(centers)).astype(np.float64)
                frac = sizes / len(idx)
            else:  # one cluster per hypothesis, no spatial preference
                labels, centers = np.arange(len(idx)), p[idx, :2]
                sizes, frac = np.ones(len(idx)), np.ones(len(idx))
            layers.append((t, centers, sizes, frac, labels, idx))
        if not layers:
            chosen_sizes.append([])
            continue
        offs = np.cumsum([0] + [len(L[1]) for L in layers])
        n_nodes = offs[-1] + 2
        src, snk = n_nodes - 2, n_nodes - 1
        r, c, w = [], [], []
        eps = 1e-9  # csgraph drops explicit zeros; every path has the same number of edges
        first, last = layers[0], layers[-1]
        r.append(np.full(len(first[1]), src))
        c.append(offs[0] + np.arange(len(first[1])))
        w.append(0.5 * (1.0 - first[3]) + eps)
        for li in range(len(layers) - 1):
            a, b = layers[li], layers[li + 1]
            cost = cluster_edge_cost(a[2], a[3], a[1], b[2], b[3], b[1],
                                     0.5 * (hs[a[0]] + hs[b[0]]), balance) + eps
            ii, jj = np.meshgrid(np.arange(len(a[1])), np.arange(len(b[1])), indexing='ij')
            r.append(offs[li] + ii.ravel())
            c.append(offs[li + 1] + jj.ravel())
            w.append(cost.ravel())
        r.append(offs[len(layers) - 1] + np.arange(len(last[1])))
        c.append(np.full(len(last[1]), snk))
        w.append(0.5 * (1.0 - last[3]) + eps)
        from scipy.sparse import csr_matrix  # imported on use: keeps the package import light
        from scipy.sparse.csgraph import dijkstra
        g = csr_matrix((np.concatenate(w), (np.concatenate(r), np.concatenate(c))),
                       shape=(n_nodes, n_nodes))
        _, pred = dijkstra(g, directed=True, indices=src, return_predecessors=True)
        path = []
        node = pred[snk]
        while node != src and node >= 0:
            path.append(node)
            node = pred[node]
        path = path[::-1]
        sizes_k = []
        for li, node in enumerate(path):
            t, centers, sizes, _, labels, idx = layers[li]
            ci = node - offs[li]
            members = idx[labels == ci]
            out[t, k, :2] = hyps[t][members, k, :2].mean(0)
            out[t, k, 2] = hyps[t][members, k, 2].mean()
            sizes_k.append(int(sizes[ci]))
        chosen_sizes.append(sizes_k)
    return (out, chosen_sizes) if return_clusters else out
