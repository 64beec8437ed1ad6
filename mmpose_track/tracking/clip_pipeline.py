"""Video tracking pipeline of Wang et al. 2020 (clip tracking, Sec. 3.2-3.3, 4.1) for one video.

The Clip Tracking Network turns every keyframe detection into a tube and predicts the keyframe
person's pose in each of the tube's ``T`` frames: a *tracklet* of ``T`` pose hypotheses. With
keyframes every ``S < T`` frames the tracklets overlap, so a person gets up to ``T / S``
hypotheses per frame, including frames where the detector missed them. This module is the offline
step that runs once a video's tubes have all been predicted:

1. tracklets are sewn into tracks (:func:`~mmpose_track.tracking.merge_clip_tracklets`: Hungarian
   on the negative mean OKS over their overlapping frames, keyframe by keyframe);
2. each track's hypotheses are merged frame by frame into one pose: :func:`spatial_temporal_merge`
   (per-joint mean-shift clusters linked by a shortest path over time, Sec. 3.3) or
   :func:`baseline_merge` (the most confident hypothesis per joint);
3. poses whose box is tiny (``min_box_area``), then tracks with fewer than ``min_track_length``
   posed frames are dropped (Sec. 4.1's post-filters; the per-joint score thresholds are applied
   when the predictions are written, ``PoseTrackMetric(score_thr=...)``).
"""
from typing import Dict, List, Optional, Sequence

import numpy as np

from ._utils import to_numpy
from .clip_merging import merge_clip_tracklets
from .pose_merging import baseline_merge, spatial_temporal_merge
from .similarity import bbox_areas, bboxes_from_keypoints

__all__ = ['CLIP_MERGES', 'track_video_from_tubes']

#: ``merge`` values of :func:`track_video_from_tubes`.
CLIP_MERGES = ('spatial_temporal', 'baseline')


def track_video_from_tubes(frame_ids: Sequence,
                           keypoints: Sequence,
                           keyframes: Sequence[int],
                           num_frames: Optional[int] = None,
                           merge: str = 'spatial_temporal',
                           sim_thr: float = 0.3,
                           sigmas=None,
                           vis_thr: Optional[float] = None,
                           balance: float = 1.0,
                           bandwidth_ratio: float = 0.5,
                           spatial: bool = True,
                           temporal: bool = True,
                           min_track_length: int = 1,
                           min_box_area: float = 0.) -> List[Dict[str, np.ndarray]]:
    """Tracks and one pose per person and frame from the tracklets of a video's tubes.

    Args:
        frame_ids: per tracklet (tube), the frame indices of its poses, ``(L_i,)``; a tube cut at
            the video's start or end (a video shorter than ``T``) simply has fewer frames.
        keypoints: per tracklet, its poses ``(L_i, K, 3)`` ``(x, y, score)`` in image
            coordinates (NaN coordinates: no joint).
        keyframes: per tracklet, the keyframe it was detected in (the clip order of Sec. 3.2).
        num_frames: frames of the video (default: the last frame with a pose + 1).
        merge: ``'spatial_temporal'`` (Sec. 3.3) or ``'baseline'``.
        sim_thr: mean OKS a tracklet needs to join a track (:func:`merge_clip_tracklets`).
        sigmas, vis_thr: of the OKS (PoseTrack18's / COCO's sigmas by default).
        balance, bandwidth_ratio, spatial, temporal: λ, the mean-shift bandwidth (× head
            size) and the two halves of :func:`spatial_temporal_merge`.
        min_track_length: tracks with fewer posed frames are dropped (after ``min_box_area``).
        min_box_area: a merged pose whose box (tight around its joints,
            :func:`~mmpose_track.tracking.bboxes_from_keypoints`) covers fewer square pixels is
            removed ("tiny bounding boxes", Sec. 4.1: people too small to be annotated).

    Returns:
        list: per frame ``0 .. num_frames - 1`` a dict ``track_ids (N,)`` int64 and
        ``keypoints (N, K, 3)`` float64 (people sorted by track id; a person appears in a frame
        when the merge gives it at least one joint there). Track ids are ``0..`` in order of
        first appearance after the length filter.

    Raises:
        ValueError: mismatched lists, a frame index outside ``[0, num_frames)``, an unknown
            ``merge``, poses of different ``K``.
    """
    n = len(frame_ids)
    if len(keypoints) != n or len(keyframes) != n:
        raise ValueError(f'track_video_from_tubes: frame_ids ({n}), keypoints ({len(keypoints)}) '
                         f'and keyframes ({len(keyframes)}) need one entry per tracklet')
    if merge not in CLIP_MERGES:
        raise ValueError(f'track_video_from_tubes: merge must be one of {CLIP_MERGES}, got '
                         f'{merge!r}')
    fids = [np.asarray(f, np.int64).reshape(-1) for f in frame_ids]
    kpts = []
    for i, (f, k) in enumerate(zip(fids, keypoints)):
        k = np.asarray(to_numpy(k), np.float64)
        if k.ndim != 3 or k.shape[0] != len(f) or k.shape[-1] != 3:
            raise ValueError(f'track_video_from_tubes: tracklet {i} has {len(f)} frames but '
                             f'keypoints of shape {k.shape}, expected ({len(f)}, K, 3)')
        kpts.append(k)
    ks = {k.shape[1] for k in kpts}
    if len(ks) > 1:
        raise ValueError(f'track_video_from_tubes: tracklets have different K {sorted(ks)}')
    K = ks.pop() if ks else 0
    last = max((int(f.max()) for f in fids if len(f)), default=-1)
    num_frames = last + 1 if num_frames is None else int(num_frames)
    bad = [i for i, f in enumerate(fids) if len(f) and (f.min() < 0 or f.max() >= num_frames)]
    if bad:
        raise ValueError(f'track_video_from_tubes: tracklet {bad[0]} has frames '
                         f'{fids[bad[0]].tolist()} outside [0, {num_frames})')
    out = [dict(track_ids=np.zeros(0, np.int64), keypoints=np.zeros((0, K, 3)))
           for _ in range(num_frames)]
    if n == 0:
        return out

    track_of = merge_clip_tracklets(fids, kpts, clip_ids=np.asarray(keyframes), sim_thr=sim_thr,
                                    sigmas=sigmas, vis_thr=vis_thr)
    people: List[tuple] = []  # (first frame, frames (L,), merged poses (L, K, 3))
    for t in range(int(track_of.max()) + 1 if len(track_of) else 0):
        members = np.flatnonzero(track_of == t)
        f_all = np.concatenate([fids[i] for i in members])
        k_all = np.concatenate([kpts[i] for i in members])
        order = np.argsort(f_all, kind='stable')
        f_all, k_all = f_all[order], k_all[order]
        frames, starts = np.unique(f_all, return_index=True)
        hyps = np.split(k_all, starts[1:])  # per frame of the track, (H_f, K, 3)
        if merge == 'baseline':
            merged = baseline_merge(hyps)
        else:
            merged = spatial_temporal_merge(hyps, balance=balance,
                                            bandwidth_ratio=bandwidth_ratio, spatial=spatial,
                                            temporal=temporal)
        posed = np.isfinite(merged[..., :2]).all(-1).any(-1)
        if min_box_area > 0 and posed.any():
            posed &= bbox_areas(bboxes_from_keypoints(merged, score_thr=None)) >= min_box_area
        if posed.sum() < max(1, int(min_track_length)):
            continue
        people.append((int(frames[posed][0]), frames[posed], merged[posed]))
    if not people:
        return out
    people.sort(key=lambda p: p[0])
    # regroup (track, frame) poses by frame: one stable sort, people stay in track order
    frame_of = np.concatenate([p[1] for p in people])
    tid_of = np.concatenate([np.full(len(p[1]), t, np.int64) for t, p in enumerate(people)])
    poses = np.concatenate([p[2] for p in people])
    order = np.argsort(frame_of, kind='stable')
    frame_of, tid_of, poses = frame_of[order], tid_of[order], poses[order]
    present, starts = np.unique(frame_of, return_index=True)
    for f, ids, kp in zip(present, np.split(tid_of, starts[1:]), np.split(poses, starts[1:])):
        out[f] = dict(track_ids=ids, keypoints=kp)
    return out
