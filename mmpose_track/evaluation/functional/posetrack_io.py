"""Reading, validating and writing PoseTrack18 files for the PoseTrack evaluation.

Pure python + numpy (no torch, no mmpose). The format itself (constants, JSON reader, ignore-region
parser, frame-index rule, :class:`PoseTrackFormatError`) is shared with the datasets and tools in
:mod:`mmpose_track.structures.posetrack18_format`. The reading rules follow the official evaluator
(poseval, ``py/convert.py`` and ``py/eval_helpers.py``):

* one video per file; frames are paired with the ground truth **by position** in ``images``
  (poseval's rule, kept so that numbers equal the official ones: this is the one place where the
  project's frame-index rule, :func:`~mmpose_track.structures.posetrack18_format.frame_index`, is
  not used to place a frame; :class:`PoseTrackMetric` writes prediction files in the ground
  truth's order, so both agree there);
* ``categories[0]['keypoints']`` names 15 or 17 joints with PoseTrack18's names (COCO order, slots 1
  and 2 named ``head_bottom``/``head_top``); unknown names (the ears) are ignored; each of the 15
  PoseTrack joints must be present (poseval: "Landmark ... not found");
* a keypoint ``(0, 0, 0)`` is missing, anything else (``(x, y, 0)`` included) is a point;
* empty or missing ``scores`` mean score -9999 for every joint (poseval's ``MIN_SCORE``);
* ground-truth head size = 0.6 x the diagonal of ``bbox_head``;
* track ids are integers in ``[0, 10000)``, unique within a frame.

Defined results where poseval crashes or is silent (documented in ``docs/evaluation.md``):
NaN coordinates or scores make the joint missing (warning naming video, frame, annotation, joint);
duplicate / out-of-range track ids, missing ``track_id``, missing ``bbox_head`` on a ground-truth
person with joints, malformed JSON, a different number of frames: :class:`PoseTrackFormatError`
naming video, frame and field; the file for missing files, unreadable or malformed JSON.
Ignore-region polygons with fewer than 3 vertices are skipped with a warning (poseval/shapely would
crash), non-numeric or non-finite ones are an error.
"""
from __future__ import annotations

import json
import math
import os
import os.path as osp
import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np

from ...structures.posetrack18_format import (COCO17_TO_POSEVAL, MAX_TRACK_ID, MIN_SCORE,
                                              NUM_POSEVAL_JOINTS, POSETRACK18_COCO_NAMES,
                                              POSETRACK18_KEYPOINT_NAMES, POSETRACK18_SKELETON,
                                              POSEVAL_JOINT_GROUPS, POSEVAL_JOINTS,
                                              PoseTrackFormatError, parse_ignore_regions,
                                              read_json, video_name)

#: the 15 joints scored (poseval order); old names kept for importers
NUM_JOINTS = NUM_POSEVAL_JOINTS
JOINT_GROUPS = POSEVAL_JOINT_GROUPS

__all__ = [
    'COCO17_TO_POSEVAL', 'JOINT_GROUPS', 'MAX_TRACK_ID', 'MIN_SCORE', 'NUM_JOINTS',
    'POSETRACK18_COCO_NAMES', 'POSETRACK18_KEYPOINT_NAMES', 'POSETRACK18_SKELETON',
    'POSEVAL_JOINTS', 'PoseTrackFormatError', 'PoseTrackFrame', 'PoseTrackVideo', 'empty_frame',
    'parse_posetrack18', 'load_posetrack_file', 'list_videos', 'load_gt_pred_dirs',
    'check_frame_counts', 'split_merged_annotations', 'export_posetrack18', 'write_posetrack18'
]


@dataclass
class PoseTrackFrame:
    """One frame, joints in poseval order (15).

    ``visible[n, j]`` says the joint is a point; ``keypoints`` are pixels; ``scores`` are
    ``MIN_SCORE`` where a file has none; ``head_boxes`` are ``x1, y1, x2, y2`` (NaN if absent).
    """
    image_id: Any
    file_name: str
    is_labeled: Optional[bool]
    ignore_regions: List[np.ndarray]
    track_ids: np.ndarray  # (N,) int64
    keypoints: np.ndarray  # (N, 15, 2) float64
    visible: np.ndarray  # (N, 15) bool
    scores: np.ndarray  # (N, 15) float64
    head_boxes: np.ndarray  # (N, 4) float64
    has_regions: bool = False  # the file lists at least one ignore region

    @property
    def num_people(self) -> int:
        return int(self.track_ids.shape[0])


@dataclass
class PoseTrackVideo:
    """A video: its name (file stem) and its frames in file order."""
    name: str
    frames: List[PoseTrackFrame] = field(default_factory=list)


def _where(video: str, frame: Any = None, field_: Optional[str] = None) -> str:
    s = f'video {video!r}'
    if frame is not None:
        s += f', frame {frame}'
    if field_ is not None:
        s += f', field {field_!r}'
    return s


def empty_frame(image_id: Any = None, file_name: str = '', is_labeled: Optional[bool] = None
                ) -> PoseTrackFrame:
    return PoseTrackFrame(image_id, file_name, is_labeled, [], np.zeros(0, np.int64),
                          np.zeros((0, NUM_JOINTS, 2)), np.zeros((0, NUM_JOINTS), bool),
                          np.zeros((0, NUM_JOINTS)), np.zeros((0, 4)))


def _joint_table(categories: Any, video: str) -> np.ndarray:
    """Map each file keypoint slot to a poseval joint (-1: ignored), as poseval's convert.py."""
    if not isinstance(categories, list) or len(categories) == 0 or \
            not isinstance(categories[0], dict):
        raise PoseTrackFormatError(f'{_where(video, None, "categories")}: missing or empty')
    names = categories[0].get('keypoints')
    if not isinstance(names, list) or len(names) not in (15, 17):
        raise PoseTrackFormatError(
            f'{_where(video, None, "categories[0].keypoints")}: must list 15 or 17 names, got '
            f'{None if names is None else len(names) if isinstance(names, list) else names!r}')
    table = np.array([POSEVAL_JOINTS.index(n) if n in POSEVAL_JOINTS else -1 for n in names])
    for j, n in enumerate(POSEVAL_JOINTS):
        if j not in table:
            raise PoseTrackFormatError(
                f'{_where(video, None, "categories[0].keypoints")}: Landmark {n!r} not found '
                f'(PoseTrack18 names: {list(POSETRACK18_COCO_NAMES)})')
    return table


def _as_int_id(v: Any, where: str) -> int:
    if isinstance(v, bool) or v is None:
        raise PoseTrackFormatError(f'{where}: track id must be an integer, got {v!r}')
    if isinstance(v, list) and len(v) == 1:  # PoseTrack17 style [id]
        v = v[0]
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise PoseTrackFormatError(f'{where}: track id must be an integer, got {v!r}') from None
    if not math.isfinite(f) or f != int(f):
        raise PoseTrackFormatError(f'{where}: track id must be an integer, got {v!r}')
    i = int(f)
    if i < 0 or i >= MAX_TRACK_ID:
        raise PoseTrackFormatError(
            f'{where}: track id {i} outside [0, {MAX_TRACK_ID}) (poseval asserts < 10000)')
    return i


def _people_fast(per_frame: List[List[dict]], K: int, sel: np.ndarray, is_gt: bool
                 ) -> Optional[List[tuple]]:
    """The people of every frame of a video in a few array operations, or ``None`` when anything
    is off (a field missing or malformed, a non-finite value to warn about, an id to convert or
    reject, a duplicate): then :func:`_people_checked` reads the video annotation by annotation
    and warns / raises with video, frame, annotation and field. Both give the same arrays."""
    anns = [a for frame in per_frame for a in frame]
    n = len(anns)
    counts = np.array([len(frame) for frame in per_frame], np.int64)
    try:
        tids = [a['track_id'] for a in anns]
        if not all(type(t) is int for t in tids):  # noqa: E721 (bool, float, [id]: checked path)
            return None
        tids = np.array(tids, np.int64).reshape(n)
        k3 = np.array([a['keypoints'] for a in anns], np.float64).reshape(n, K, 3)[:, sel]
        s15 = np.full((n, NUM_JOINTS), MIN_SCORE)
        has_s = [i for i, a in enumerate(anns) if a.get('scores')]
        if has_s:
            s15[has_s] = np.array([anns[i]['scores'] for i in has_s],
                                  np.float64).reshape(len(has_s), K)[:, sel]
        heads = np.full((n, 4), np.nan)
        has_h = [i for i, a in enumerate(anns) if a.get('bbox_head') is not None]
        if has_h:
            hb = np.array([anns[i]['bbox_head'] for i in has_h], np.float64).reshape(len(has_h), 4)
            heads[has_h] = np.concatenate([hb[:, :2], hb[:, :2] + hb[:, 2:]], 1)
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    if n and (tids.min() < 0 or tids.max() >= MAX_TRACK_ID):
        return None
    present = ~((k3[..., 0] == 0) & (k3[..., 1] == 0) & (k3[..., 2] == 0))
    if not (np.isfinite(k3[..., :2][present]).all() and np.isfinite(s15[present]).all()):
        return None
    if is_gt:
        with_joints = present.any(1)
        if not np.isfinite(heads[with_joints]).all():
            return None
    frame = np.repeat(np.arange(len(per_frame)), counts)
    if len(np.unique(frame * MAX_TRACK_ID + tids)) != n:
        return None
    kpts = np.where(present[..., None], k3[..., :2], 0.0)
    scores = np.where(present, s15, MIN_SCORE)
    bounds = np.cumsum(counts)[:-1]
    return list(zip(np.split(tids, bounds), np.split(kpts, bounds), np.split(present, bounds),
                    np.split(scores, bounds), np.split(heads, bounds)))


def _people_checked(anns: List[dict], video: str, f: int, K: int, sel: np.ndarray, is_gt: bool
                    ) -> tuple:
    """The people of one frame read annotation by annotation, with the warnings and errors."""
    n = len(anns)
    tids = np.zeros(n, np.int64)
    kpts = np.zeros((n, NUM_JOINTS, 2))
    vis = np.zeros((n, NUM_JOINTS), bool)
    scores = np.full((n, NUM_JOINTS), MIN_SCORE)
    heads = np.full((n, 4), np.nan)
    for p, ann in enumerate(anns):
        where = _where(video, f, f'annotations[id={ann.get("id")}]')
        if 'track_id' not in ann:
            raise PoseTrackFormatError(f'{where}.track_id: missing (poseval needs it)')
        tids[p] = _as_int_id(ann['track_id'], f'{where}.track_id')
        try:
            arr = np.asarray(ann.get('keypoints'), dtype=float).reshape(-1)
        except (TypeError, ValueError):
            raise PoseTrackFormatError(f'{where}.keypoints: not a list of numbers') from None
        if arr.size != 3 * K:
            raise PoseTrackFormatError(f'{where}.keypoints: {arr.size} values, expected '
                                       f'{3 * K} ({K} joints x 3)')
        arr = arr.reshape(K, 3)[sel]  # (15, 3) in poseval order
        sc = ann.get('scores')
        s15 = np.full(NUM_JOINTS, MIN_SCORE)
        if sc:  # poseval: empty list / missing -> MIN_SCORE
            try:
                sc_arr = np.asarray(sc, dtype=float).reshape(-1)
            except (TypeError, ValueError):
                raise PoseTrackFormatError(f'{where}.scores: not a list of numbers') from None
            if sc_arr.size != K:
                raise PoseTrackFormatError(
                    f'{where}.scores: {sc_arr.size} values, expected {K}')
            s15 = sc_arr[sel]
        present = ~((arr[:, 0] == 0) & (arr[:, 1] == 0) & (arr[:, 2] == 0))
        bad_xy = present & ~np.isfinite(arr[:, :2]).all(1)
        bad_s = present & ~bad_xy & ~np.isfinite(s15)
        if bad_xy.any() or bad_s.any():
            for j in np.flatnonzero(bad_xy):
                warnings.warn(f'{where}.keypoints[{POSEVAL_JOINTS[j]}]: non-finite '
                              'coordinate; joint treated as missing')
            for j in np.flatnonzero(bad_s):
                warnings.warn(f'{where}.scores[{POSEVAL_JOINTS[j]}]: non-finite score; '
                              'joint treated as missing')
            present &= ~bad_xy & ~bad_s
        kpts[p][present] = arr[present, :2]
        vis[p] = present
        scores[p][present] = s15[present]
        hb = ann.get('bbox_head')
        if hb is not None:
            try:
                hb = np.asarray(hb, dtype=float).reshape(4)
            except (TypeError, ValueError):
                raise PoseTrackFormatError(f'{where}.bbox_head: must be [x, y, w, h]') from None
            heads[p] = (hb[0], hb[1], hb[0] + hb[2], hb[1] + hb[3])
        if is_gt and vis[p].any():
            if hb is None:
                raise PoseTrackFormatError(
                    f'{where}.bbox_head: missing on a ground-truth person with joints '
                    '(head size = 0.6 x head-box diagonal)')
            if not np.isfinite(heads[p]).all():
                raise PoseTrackFormatError(f'{where}.bbox_head: non-finite values')
    if len(np.unique(tids)) != n:
        vals, cnt = np.unique(tids, return_counts=True)
        raise PoseTrackFormatError(
            f'{_where(video, f, "track_id")}: duplicate track ids {vals[cnt > 1].tolist()} '
            f'in one frame ({"ground truth" if is_gt else "prediction"})')
    return tids, kpts, vis, scores, heads


def parse_posetrack18(data: Any, video: str, is_gt: bool) -> PoseTrackVideo:
    """Parse one PoseTrack18 video dict (``images``, ``annotations``, ``categories``).

    Args:
        data: the decoded JSON.
        video: name used in messages and results (the file stem).
        is_gt: ground truth needs ``bbox_head`` for every person with joints; predictions'
            ``scores`` are read.
    """
    if not isinstance(data, dict):
        raise PoseTrackFormatError(f'{_where(video)}: top level must be an object')
    if 'annolist' in data:
        raise PoseTrackFormatError(
            f'{_where(video, None, "annolist")}: PoseTrack17 layout is not supported; convert to '
            'PoseTrack18 (poseval/py/convert.py)')
    for key in ('images', 'annotations'):
        if not isinstance(data.get(key), list):
            raise PoseTrackFormatError(f'{_where(video, None, key)}: missing or not a list')
    table = _joint_table(data.get('categories'), video)
    K = len(table)
    sel = np.array([int(np.flatnonzero(table == j)[0]) for j in range(NUM_JOINTS)])
    images = data['images']
    folders = set()
    by_image: Dict[Any, List[dict]] = {}
    index_of: Dict[Any, int] = {}
    for f, img in enumerate(images):
        if not isinstance(img, dict) or 'id' not in img:
            raise PoseTrackFormatError(f'{_where(video, f, "images[].id")}: missing')
        if img['id'] in index_of:
            raise PoseTrackFormatError(
                f'{_where(video, f, "images[].id")}: duplicate image id {img["id"]}')
        index_of[img['id']] = f
        by_image[img['id']] = []
        fn = img.get('file_name')
        if isinstance(fn, str) and fn:
            folders.add(video_name(fn))
    if len(folders) > 1:
        raise PoseTrackFormatError(
            f'{_where(video, None, "images[].file_name")}: frames of {len(folders)} videos in one '
            f'file ({sorted(folders)[:3]}...); poseval reads only the first - split the file')
    for a, ann in enumerate(data['annotations']):
        if not isinstance(ann, dict):
            raise PoseTrackFormatError(f'{_where(video, None, f"annotations[{a}]")}: not an object')
        iid = ann.get('image_id')
        if iid not in by_image:
            warnings.warn(f'{_where(video, None, f"annotations[{a}].image_id")}: image id {iid!r} '
                          'not in images; annotation ignored (as poseval)')
            continue
        by_image[iid].append(ann)

    per_frame = [by_image[img['id']] for img in images]
    people = _people_fast(per_frame, K, sel, is_gt)
    frames = []
    for f, img in enumerate(images):
        if people is None:  # something to warn about or an error: the checking path says what
            polys, has_regions = parse_ignore_regions(img, _where(video, f))
            tids, kpts, vis, scores, heads = _people_checked(per_frame[f], video, f, K, sel,
                                                              is_gt)
        else:
            tids, kpts, vis, scores, heads = people[f]
            polys, has_regions = parse_ignore_regions(img, _where(video, f))
        lab = img.get('is_labeled')
        frames.append(PoseTrackFrame(
            img['id'], str(img.get('file_name', '')), None if lab is None else bool(lab),
            polys, tids, kpts, vis, scores, heads, has_regions))
    return PoseTrackVideo(video, frames)


def load_posetrack_file(path: str, is_gt: bool) -> PoseTrackVideo:
    """Read (:func:`~mmpose_track.structures.posetrack18_format.read_json`) and validate one
    PoseTrack18 file; the video is named after the file stem. Errors start with the file's path,
    then name video, frame and field."""
    video = osp.splitext(osp.basename(path))[0]
    data = read_json(path, 'ground-truth file' if is_gt else 'prediction file')
    try:
        return parse_posetrack18(data, video, is_gt)
    except PoseTrackFormatError as e:  # say which file: ground truth and prediction share names
        raise PoseTrackFormatError(f'{path}: {e}') from None


def list_videos(gt_dir: str) -> List[str]:
    """Ground-truth file names (``*.json``) in sorted order."""
    if not osp.isdir(gt_dir):
        raise FileNotFoundError(f'ground-truth folder {gt_dir!r} does not exist')
    names = sorted(n for n in os.listdir(gt_dir) if n.endswith('.json'))
    if not names:
        raise FileNotFoundError(f'no *.json ground-truth files in {gt_dir!r}')
    return names


def load_gt_pred_dirs(gt_dir: str, pred_dir: str, missing: str = 'error'):
    """Load every ground-truth video and the prediction file of the same name.

    Args:
        missing: ``'error'`` (default, as poseval) raises naming the video when a prediction
            file is absent; ``'empty'`` evaluates it as a video without predictions (warned).

    Returns:
        ``(gt_videos, pred_videos)`` lists in sorted file order.
    """
    if missing not in ('error', 'empty'):
        raise ValueError(f"missing must be 'error' or 'empty', got {missing!r}")
    if not osp.isdir(pred_dir):
        raise FileNotFoundError(f'prediction folder {pred_dir!r} does not exist')
    gts, prs = [], []
    for name in list_videos(gt_dir):
        gt = load_posetrack_file(osp.join(gt_dir, name), is_gt=True)
        ppath = osp.join(pred_dir, name)
        if not osp.exists(ppath):
            if missing == 'error':
                raise FileNotFoundError(
                    f'{_where(gt.name)}: prediction file {ppath!r} does not exist')
            warnings.warn(f'{_where(gt.name)}: no prediction file; evaluated as empty')
            pr = PoseTrackVideo(gt.name, [empty_frame(f.image_id, f.file_name)
                                          for f in gt.frames])
        else:
            pr = load_posetrack_file(ppath, is_gt=False)
        check_frame_counts(gt, pr)
        gts.append(gt)
        prs.append(pr)
    return gts, prs


def check_frame_counts(gt: PoseTrackVideo, pr: PoseTrackVideo) -> None:
    if len(gt.frames) != len(pr.frames):
        raise PoseTrackFormatError(
            f'{_where(gt.name, None, "images")}: prediction has {len(pr.frames)} frames, ground '
            f'truth {len(gt.frames)} (frames are paired by position)')


def split_merged_annotations(data: dict) -> Dict[str, dict]:
    """Split a merged COCO-style PoseTrack18 file into per-video dicts keyed by the video folder
    name of ``file_name`` (e.g. ``009473_mpii_test``); image order is kept."""
    vids: Dict[str, dict] = {}
    img_vid = {}
    for img in data['images']:
        v = video_name(img['file_name'])
        d = vids.setdefault(v, {'images': [], 'annotations': [],
                                'categories': data.get('categories')})
        d['images'].append(img)
        img_vid[img['id']] = v
    for ann in data['annotations']:
        v = img_vid.get(ann.get('image_id'))
        if v is not None:
            vids[v]['annotations'].append(ann)
    return vids


# --------------------------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------------------------
FrameResult = Union[Mapping[str, Any], Sequence[Mapping[str, Any]]]


def _frame_arrays(res: Optional[FrameResult]) -> Dict[str, np.ndarray]:
    """Normalise a frame's result: dict of arrays or list of per-person dicts."""
    if res is None:
        return dict(track_ids=np.zeros(0, np.int64), keypoints=np.zeros((0, 17, 2)),
                    keypoint_scores=np.zeros((0, 17)), bboxes=None, bbox_scores=None)
    if isinstance(res, Mapping):
        get = res.get
        tids = get('track_ids')
        kpts = np.asarray(get('keypoints'), float)
        ks = get('keypoint_scores', get('scores'))
        out = dict(track_ids=None if tids is None else np.asarray(tids).reshape(-1),
                   keypoints=kpts, keypoint_scores=None if ks is None else np.asarray(ks, float),
                   bboxes=None if get('bboxes') is None else np.asarray(get('bboxes'), float),
                   bbox_scores=None if get('bbox_scores') is None
                   else np.asarray(get('bbox_scores'), float).reshape(-1))
    else:
        people = list(res)
        if not people:
            return _frame_arrays(None)

        def col(*keys):
            for k in keys:
                if all(k in p for p in people):
                    return [p[k] for p in people]
            return None
        tids = col('track_id', 'track_ids')
        bb = col('bbox', 'bboxes')
        bs = col('bbox_score', 'score')
        kps, kss = [], []
        for p in people:
            k = np.asarray(p['keypoints'], float)
            k = k.reshape(-1, 3) if k.ndim == 1 else k
            s = p.get('keypoint_scores', p.get('scores'))
            if s is None:
                s = k[:, 2] if k.shape[-1] == 3 else np.ones(len(k))
            kps.append(k[:, :2])
            kss.append(np.asarray(s, float).reshape(-1))
        out = dict(track_ids=None if tids is None else np.asarray(tids).reshape(-1),
                   keypoints=np.stack(kps), keypoint_scores=np.stack(kss),
                   bboxes=None if bb is None else np.asarray(bb, float),
                   bbox_scores=None if bs is None else np.asarray(bs, float).reshape(-1))
    return out


def _to_coco17(kpts: np.ndarray, scores: Optional[np.ndarray], where: str):
    """(N, K, 2|3) + (N, K) -> (N, 17, 2), (N, 17) in PoseTrack18 COCO order."""
    n = kpts.shape[0]
    if kpts.ndim != 3 or kpts.shape[2] not in (2, 3):
        raise PoseTrackFormatError(f'{where}.keypoints: shape {kpts.shape}, expected (N, K, 2)')
    K = kpts.shape[1]
    if scores is None:
        scores = kpts[..., 2] if kpts.shape[2] == 3 else np.ones((n, K))
    scores = scores.reshape(n, K)
    kpts = kpts[..., :2]
    if K == 17:
        return kpts, scores
    if K == 15:  # poseval order
        k17 = np.zeros((n, 17, 2))
        s17 = np.zeros((n, 17))
        k17[:, COCO17_TO_POSEVAL] = kpts
        s17[:, COCO17_TO_POSEVAL] = scores
        k17[:, 3:5] = np.nan  # ears: written as missing
        return k17, s17
    raise PoseTrackFormatError(f'{where}.keypoints: {K} joints; expected 17 (COCO/PoseTrack18 '
                               'order) or 15 (poseval order)')


def export_posetrack18(gt_images: Sequence[Mapping[str, Any]],
                       results: Mapping[Any, Optional[FrameResult]],
                       score_thr: Optional[float] = None,
                       key: str = 'id',
                       video: str = '') -> dict:
    """Turn tracked results into one PoseTrack18 prediction dict, frames in the GT's order.

    Args:
        gt_images: the ground truth's ``images`` list (its order is the file's frame order).
        results: per frame (keyed by the GT image ``id``, or by 0-based frame position when
            ``key='index'``): a dict of arrays (``track_ids`` (N,), ``keypoints`` (N, K, 2|3),
            ``keypoint_scores`` (N, K), optional ``bboxes`` (N, 4) x1y1x2y2 and ``bbox_scores``)
            or a list of per-person dicts (``track_id``, ``keypoints``, ``keypoint_scores`` or
            ``scores``, ``bbox``, ``bbox_score``). K = 17 (COCO order) or 15 (poseval order).
            Frames without an entry are written empty.
        score_thr: joints with score < thr are written as missing ``(0, 0, 0)`` (papers filter
            low-confidence joints before submission); people left without joints are dropped.
            One number, or 17 per-joint thresholds in PoseTrack18 COCO order (e.g. fitted by
            :func:`~mmpose_track.evaluation.functional.fit_joint_thresholds`).

    Returns:
        ``{'images', 'annotations', 'categories'}`` (17 PoseTrack18 names, COCO order).
    """
    images, anns = [], []
    known = set()
    for f, img in enumerate(gt_images):
        out_img = {k: img[k] for k in ('id', 'file_name', 'frame_id', 'vid_id', 'nframes',
                                       'is_labeled', 'width', 'height') if k in img}
        images.append(out_img)
        k = f if key == 'index' else img['id']
        known.add(k)
        res = _frame_arrays(results.get(k))
        where = _where(video, f)
        kp = res['keypoints']
        n = 0 if kp is None or kp.size == 0 else kp.shape[0]
        if n == 0:
            continue
        if res['track_ids'] is None:
            raise PoseTrackFormatError(f'{where}, field \'track_ids\': missing')
        tids = res['track_ids']
        if tids.shape[0] != n:
            raise PoseTrackFormatError(
                f'{where}, field \'track_ids\': {tids.shape[0]} ids for {n} people')
        for t in tids:
            _as_int_id(t.item() if hasattr(t, 'item') else t, f'{where}, field \'track_ids\'')
        if len(np.unique(tids)) != n:
            raise PoseTrackFormatError(f'{where}, field \'track_ids\': duplicate ids {tids}')
        k17, s17 = _to_coco17(kp, res['keypoint_scores'], where)
        bad = ~np.isfinite(k17).all(-1) | ~np.isfinite(s17)
        if bad[:, [0, 1, 2] + list(range(5, 17))].any():
            warnings.warn(f'{where}: {int(bad.sum())} non-finite keypoints/scores written as '
                          'missing')
        keep = ~bad
        if score_thr is not None:
            thr = np.asarray(score_thr, np.float64)
            if thr.shape not in ((), (17, )):
                raise ValueError(f'score_thr must be one number or 17 per-joint thresholds '
                                 f'(PoseTrack18 COCO order), got shape {thr.shape}')
            keep &= s17 >= thr
        for p in range(n):
            kk = keep[p]
            if not kk[[0, 1, 2] + list(range(5, 17))].any():
                continue
            flat = np.zeros((17, 3))
            flat[kk, :2] = k17[p, kk]
            flat[kk, 2] = 1
            sc = np.where(kk, s17[p], 0.0)
            ann = dict(image_id=img['id'], id=len(anns), category_id=1,
                       track_id=int(tids[p]), keypoints=[float(v) for v in flat.reshape(-1)],
                       scores=[float(v) for v in sc])
            if res['bboxes'] is not None and len(res['bboxes']) == n:
                x1, y1, x2, y2 = (float(v) for v in res['bboxes'][p][:4])
                ann['bbox'] = [x1, y1, x2 - x1, y2 - y1]
            if res['bbox_scores'] is not None and len(res['bbox_scores']) == n:
                ann['score'] = float(res['bbox_scores'][p])
            anns.append(ann)
    extra = [k for k in results if k not in known]
    if extra:
        warnings.warn(f'{_where(video)}: results for {len(extra)} frames not in the ground truth '
                      f'(e.g. {extra[:3]}) were not written')
    categories = [dict(supercategory='person', id=1, name='person',
                       keypoints=list(POSETRACK18_COCO_NAMES), skeleton=POSETRACK18_SKELETON)]
    return dict(images=images, annotations=anns, categories=categories)


def write_posetrack18(path: str, data: dict) -> None:
    """Write a PoseTrack18 dict as JSON (folders created)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(data, f)
