"""Offline tracking of detected poses: PoseTrack18 files in, the same files with track ids out.

The library part of ``tools/track.py`` (which only parses its options and prints): read one
PoseTrack18 file per video (:func:`read_detections`), check every field the tracker relies on,
track it frame by frame with any tracker of :mod:`mmpose_track.tracking`
(:func:`track_video`) and renumber the ids (:func:`compact_ids`). Needs numpy, scipy and
mmengine (for the tracker config), not torch.

Input (one video per file): ``images`` (``id``, ``file_name``) and ``annotations`` (``id``,
``image_id``, ``keypoints`` ``[x, y, score] * K``, optional ``bbox`` ``[x, y, w, h]``, optional
``score``; no track ids needed). Bad input is an error naming the file, the image / annotation id
and the field (:class:`~mmpose_track.structures.posetrack18_format.PoseTrackFormatError`, a
``ValueError``), never a silently dropped person:

- the file is empty, truncated or not JSON; its top level is not an object; ``images`` is missing
  or not a list; ``annotations`` is not a list (absent or ``null``: no people);
- an image without an integer ``id`` (or a repeated one) or without a ``file_name``; images of
  more than one video (``file_name`` folders) in one file; two images with the same frame number;
- an annotation without ``image_id`` or whose ``image_id`` is no image of the file (it cannot be
  placed in a frame); ``keypoints`` that are not ``3 * K`` finite numbers (``K`` from
  ``categories[0].keypoints``, else from the first annotation); a ``bbox`` that is not 4 finite
  numbers with ``w, h >= 0``; a ``score`` that is not a finite number; a feature named in
  ``features`` that is missing, not numeric, or of another shape than the other people's.

Documented results: an annotation without ``bbox`` is tracked with the tight box of its joints
scored > 0 (:func:`~mmpose_track.tracking.bboxes_from_keypoints`); without ``score`` it is kept
as is (the trackers do not read it). Frames are the file's ``images`` in frame-index order (the
shared rule, :func:`~mmpose_track.structures.posetrack18_format.frame_indices`: the number that
ends the file name, else the position in the file), and the tracker sees the real frame index, so
unlabelled gaps age the tracks.

Output: a deep copy of the input with a ``track_id`` on every annotation, ``0 <= track_id <
MAX_TRACK_ID`` (10000, the official evaluator's bound), unique within its frame, numbered ``0,
1, ...`` by first appearance (only a video with more than ``MAX_TRACK_ID`` tracks reuses the id of
a track that has ended). Every annotation and its ``id`` is kept unless ``drop_short`` is set.
"""
import copy
import heapq
import json
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmpose_track.structures.posetrack18_format import (MAX_TRACK_ID, PoseTrackFormatError,
                                                        frame_indices, read_json, video_name)

__all__ = ['read_detections', 'frame_order', 'compact_ids', 'track_video', 'track_folder']


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def read_detections(path: str) -> Dict[str, Any]:
    """Read one PoseTrack18 file of detected poses; check its top level.

    Args:
        path: the JSON file.

    Returns:
        The decoded object (a dict with an ``images`` list).

    Raises:
        FileNotFoundError, OSError: the file is missing or cannot be read.
        PoseTrackFormatError: empty / truncated / invalid JSON, a top level that is not an object,
            ``images`` missing or not a list, ``annotations`` not a list.
    """
    data = read_json(path, what='detection file')
    if not isinstance(data, dict):
        raise PoseTrackFormatError(
            f'{path}: expected a PoseTrack18 object with "images" and "annotations", got a '
            f'JSON {type(data).__name__}')
    if not isinstance(data.get('images'), list):
        raise PoseTrackFormatError(f'{path}: field "images" must be a list of images '
                                   f'(got {type(data.get("images")).__name__})')
    anns = data.get('annotations')
    if anns is not None and not isinstance(anns, list):
        raise PoseTrackFormatError(f'{path}: field "annotations" must be a list '
                                   f'(got {type(anns).__name__})')
    return data


def frame_order(images: Sequence[Dict[str, Any]], where: str = '') -> Tuple[List[int], List[int]]:
    """The images of one video in frame order, and the frame index of each.

    Uses the project's one frame-index rule
    (:func:`~mmpose_track.structures.posetrack18_format.frame_indices`): the number that ends
    each ``file_name``'s stem when every name carries one, else the position in ``images``.

    Args:
        images: the file's ``images`` (dicts with ``file_name``), in file order.
        where: message prefix (the file).

    Returns:
        ``(order, frame_idx)``: positions into ``images`` sorted by frame index (two images with
        one frame number are an error), and the frame index of each.

    Raises:
        PoseTrackFormatError: two images carry the same frame number.
    """
    labels = [f'image id {img.get("id")}' for img in images]
    idx = frame_indices([img.get('file_name') for img in images], labels, where)
    order = sorted(range(len(images)), key=lambda i: idx[i])
    return order, [idx[i] for i in order]


def compact_ids(frames_ids: Sequence[np.ndarray],
                max_track_id: int = MAX_TRACK_ID) -> Tuple[List[np.ndarray], int]:
    """Renumber the track ids of one video ``0, 1, ...`` by first appearance.

    With more than ``max_track_id`` tracks, an id is reused once its track has ended (interval
    colouring by first frame, smallest free id first), so ids stay unique within each frame and
    below ``max_track_id``.

    Args:
        frames_ids: the raw ids of each frame's people, in frame order.
        max_track_id: exclusive upper bound of the output ids.

    Returns:
        The new ids per frame (int64 arrays) and the number of distinct output ids.

    Raises:
        RuntimeError: more than ``max_track_id`` tracks are alive in one frame.
    """
    first: Dict[int, int] = {}
    last: Dict[int, int] = {}
    for f, ids in enumerate(frames_ids):
        for t in np.asarray(ids).tolist():
            first.setdefault(t, f)
            last[t] = f
    tracks = sorted(first, key=lambda t: (first[t], t))
    if len(tracks) <= max_track_id:
        mapping = {t: i for i, t in enumerate(tracks)}
    else:
        mapping, free, busy, nxt = {}, [], [], 0  # busy: heap of (last frame, id)
        for t in tracks:
            while busy and busy[0][0] < first[t]:
                heapq.heappush(free, heapq.heappop(busy)[1])
            if free:
                new = heapq.heappop(free)
            else:
                new, nxt = nxt, nxt + 1
            if new >= max_track_id:
                raise RuntimeError(f'more than {max_track_id} simultaneous tracks in one video')
            mapping[t] = new
            heapq.heappush(busy, (last[t], new))
    out = [np.asarray([mapping[t] for t in np.asarray(ids).tolist()], dtype=np.int64)
           for ids in frames_ids]
    return out, len(set(mapping.values()))


# ------------------------------------------------------------------------------ checking
def _numbers(value: Any, field: str, where: str, size: Optional[int] = None,
             what: str = '') -> np.ndarray:
    """``value`` as a flat float64 array of finite numbers (of ``size`` when given)."""
    if isinstance(value, (str, bytes, dict)) or value is None:
        raise PoseTrackFormatError(f'{where}: field "{field}" must hold numbers, got '
                                   f'{type(value).__name__}')
    try:
        arr = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise PoseTrackFormatError(
            f'{where}: field "{field}" must hold numbers, got {str(value)[:60]}') from None
    if size is not None and arr.size != size:
        raise PoseTrackFormatError(
            f'{where}: field "{field}" must hold {size} numbers{what}, got {arr.size}')
    if not np.isfinite(arr).all():
        raise PoseTrackFormatError(f'{where}: field "{field}" holds non-finite numbers (NaN or '
                                   'infinity)')
    return arr


def _num_keypoints(data: Dict[str, Any], anns: List[Dict[str, Any]], path: str) -> int:
    """K: from ``categories[0].keypoints``, else the first annotation's ``keypoints``, else 17."""
    cats = data.get('categories')
    if isinstance(cats, list) and cats and isinstance(cats[0], dict) and \
            isinstance(cats[0].get('keypoints'), list) and cats[0]['keypoints']:
        return len(cats[0]['keypoints'])
    for i, a in enumerate(anns):
        kp = a.get('keypoints') if isinstance(a, dict) else None
        if isinstance(kp, list):
            if not kp or len(kp) % 3:
                raise PoseTrackFormatError(
                    f'{path}: {_ann_label(a, i)}: field "keypoints" must hold 3 numbers '
                    f'(x, y, score) per keypoint, got {len(kp)}')
            return len(kp) // 3
    return 17


def _ann_label(ann: Dict[str, Any], pos: int) -> str:
    if isinstance(ann, dict) and 'id' in ann:
        return f'annotation id {ann["id"]} (image id {ann.get("image_id")})'
    return f'annotations[{pos}]'


def _check_images(images: List[Any], path: str) -> None:
    seen: Dict[Any, int] = {}
    videos = set()
    for i, img in enumerate(images):
        if not isinstance(img, dict):
            raise PoseTrackFormatError(f'{path}: images[{i}]: expected an object')
        if 'id' not in img:
            raise PoseTrackFormatError(f'{path}: images[{i}]: missing field "id"')
        if not _is_int(img['id']):
            raise PoseTrackFormatError(
                f'{path}: images[{i}]: field "id" must be an integer, got {img["id"]!r}')
        where = f'{path}: image id {img["id"]}'
        if img['id'] in seen:
            raise PoseTrackFormatError(f'{where}: field "id" repeats images[{seen[img["id"]]}]')
        seen[img['id']] = i
        name = img.get('file_name')
        if not isinstance(name, str) or not name:
            raise PoseTrackFormatError(f'{where}: field "file_name" must be a non-empty path, '
                                       f'got {name!r}')
        videos.add(video_name(name))
    if len(videos) > 1:
        raise PoseTrackFormatError(
            f'{path}: field "file_name" of the images names {len(videos)} videos '
            f'({", ".join(sorted(map(repr, videos))[:4])}...): one video per file')


def _stacked(values: List[Any], width: int) -> Optional[np.ndarray]:
    """``values`` as an ``(N, width)`` float64 array of finite numbers; ``None`` if they are not
    (the caller then finds the culprit one by one, for the message)."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if arr.shape != (len(values), width) or not np.isfinite(arr).all():
        return None
    return arr


def _person_arrays(group: List[Tuple[int, Dict[str, Any]]], num_kpts: int, features: Sequence[str],
                   path: str) -> Tuple[np.ndarray, np.ndarray, Dict[str, np.ndarray]]:
    """Checked ``(N, K, 3)`` keypoints, ``(N, 4)`` x1y1x2y2 boxes and features of one frame.

    One array conversion per field for the whole frame; only when it fails are the people
    checked one by one to name the bad one.
    """
    from mmpose_track.tracking import bboxes_from_keypoints
    n = len(group)
    labels = [f'{path}: {_ann_label(a, pos)}' for pos, a in group]
    for where, (_, a) in zip(labels, group):
        if 'keypoints' not in a:
            raise PoseTrackFormatError(f'{where}: missing field "keypoints"')
        if 'score' in a:
            s = a['score']
            if not (isinstance(s, (int, float, np.number)) and not isinstance(s, bool)) \
                    or not np.isfinite(s):
                raise PoseTrackFormatError(
                    f'{where}: field "score" must be a finite number, got {s!r}')
        for key in features:
            if key not in a:
                raise PoseTrackFormatError(f'{where}: missing field "{key}" (a tracker feature, '
                                           '--features)')
    kpts = _stacked([a['keypoints'] for _, a in group], 3 * num_kpts)
    if kpts is None:
        for where, (_, a) in zip(labels, group):
            _numbers(a['keypoints'], 'keypoints', where, 3 * num_kpts,
                     f' ({num_kpts} keypoints x (x, y, score))')
    kpts = kpts.reshape(n, num_kpts, 3) if n else np.zeros((0, num_kpts, 3))

    has_box = np.array([a.get('bbox') is not None for _, a in group], dtype=bool)
    boxes = np.zeros((n, 4))
    if has_box.any():
        xywh = _stacked([a['bbox'] for _, a in group if a.get('bbox') is not None], 4)
        bad = None if xywh is None else np.flatnonzero((xywh[:, 2:] < 0).any(1))
        if xywh is None or len(bad):
            for where, (_, a) in zip(labels, group):
                if a.get('bbox') is None:
                    continue
                x, y, w, h = _numbers(a['bbox'], 'bbox', where, 4, ' (x, y, w, h)')
                if w < 0 or h < 0:
                    raise PoseTrackFormatError(f'{where}: field "bbox" has a negative width or '
                                               f'height ({w}, {h})')
        boxes[has_box] = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], 1)
    if not has_box.all():  # documented: the tight box of the joints scored > 0
        boxes[~has_box] = bboxes_from_keypoints(kpts[~has_box])

    feats = {}
    for key in features:
        if n == 0:
            continue
        vals = []
        for where, (_, a) in zip(labels, group):
            _numbers(a[key], key, where)  # numbers, all finite
            vals.append(np.asarray(a[key], dtype=np.float64))
            if vals[-1].shape != vals[0].shape:
                raise PoseTrackFormatError(
                    f'{where}: field "{key}" has shape {vals[-1].shape}, {labels[0]} '
                    f'{vals[0].shape}: a feature has the same shape for every person')
        feats[key] = np.stack(vals)
    return kpts, boxes, feats


# ------------------------------------------------------------------------------ tracking
def _read_frame(image_root: str, image: Dict[str, Any], source: str) -> np.ndarray:
    """The BGR frame of one ``images`` entry under ``image_root``; a one-line error naming the
    file when it is missing or unreadable."""
    import cv2
    path = osp.join(image_root, str(image.get('file_name')))
    frame = cv2.imread(path) if osp.isfile(path) else None
    if frame is None:
        raise FileNotFoundError(f'{source}: image id {image.get("id")}: frame '
                                f'{"not found" if not osp.isfile(path) else "unreadable"}: '
                                f'{path}')
    return frame


def track_video(data: Dict[str, Any],
                tracker: Any,
                features: Sequence[str] = (),
                joint_score_thr: float = 0.0,
                drop_short: bool = False,
                source: str = '<detections>',
                image_root: Optional[str] = None) -> Dict[str, Any]:
    """Track the people of one video given as a PoseTrack18 dict.

    Args:
        data: the decoded file (see the module docstring for the fields checked).
        tracker: a tracker of :mod:`mmpose_track.tracking` (``reset``, ``update(keypoints,
            bboxes, frame_id, **features)``, ``finalize``); it is reset first.
        features: annotation fields handed to the tracker as per-person features (e.g.
            ``embeddings``); every annotation must carry each of them.
        joint_score_thr: zero the score (third keypoint value, and ``scores`` when given) of
            joints scored below it in the output (``0``: off).
        drop_short: remove the annotations of tracks shorter than the tracker's
            ``min_track_length`` (those ``tracker.finalize()`` maps to -1). The ids it renames
            (offline stitching) are applied in any case, and a tracker with ``interpolate``
            adds the people of the frames its tracks missed (``gap_fill``: annotations with
            ``"interpolated": true``, joints interpolated, scores lowered).
        source: the file name used in error messages.
        image_root: the folder the images' ``file_name`` are relative to (PoseTrack18's root):
            a tracker that reads the frames (``'image'`` in its ``feature_keys``, e.g.
            image-based camera-motion compensation) gets each one, read as BGR. None: frames
            are not read (such a tracker falls back to what it does without them).

    Returns:
        A deep copy of ``data`` with ``track_id`` on every (kept) annotation.

    Raises:
        PoseTrackFormatError: bad input (names ``source``, the id and the field).
    """
    from mmpose_track.tracking import filter_low_score_joints
    if not isinstance(data, dict) or not isinstance(data.get('images'), list):
        raise PoseTrackFormatError(f'{source}: expected an object with an "images" list')
    out = copy.deepcopy(data)
    images = out['images']
    anns = out.get('annotations') or []
    if not isinstance(anns, list):
        raise PoseTrackFormatError(f'{source}: field "annotations" must be a list')
    _check_images(images, source)
    num_kpts = _num_keypoints(out, anns, source)
    by_image: Dict[int, List[Tuple[int, Dict[str, Any]]]] = {img['id']: [] for img in images}
    for pos, a in enumerate(anns):
        if not isinstance(a, dict):
            raise PoseTrackFormatError(f'{source}: annotations[{pos}]: expected an object')
        if 'image_id' not in a:
            raise PoseTrackFormatError(f'{source}: {_ann_label(a, pos)}: missing field '
                                       '"image_id" (the person cannot be placed in a frame)')
        img_id = a['image_id']
        if not _is_int(img_id) or img_id not in by_image:
            raise PoseTrackFormatError(
                f'{source}: {_ann_label(a, pos)}: field "image_id" ({img_id!r}) is no image of '
                'the file\'s "images" (the person cannot be placed in a frame)')
        by_image[img_id].append((pos, a))

    tracker.reset()
    # box trackers read the detection score: the annotations' "score" (checked above)
    wants_scores = 'bbox_scores' in getattr(tracker, 'feature_keys', ()) and \
        'bbox_scores' not in features
    wants_images = image_root is not None and 'image' in getattr(tracker, 'feature_keys', ())
    order, fidx = frame_order(images, source)
    frame_groups, frame_raw_ids = [], []
    for p, fi in zip(order, fidx):
        group = by_image[images[p]['id']]
        kpts, boxes, feats = _person_arrays(group, num_kpts, features, source)
        if wants_scores and group and all('score' in a for _, a in group):
            feats['bbox_scores'] = np.array([a['score'] for _, a in group], np.float64)
        if wants_images:
            feats['image'] = _read_frame(image_root, images[p], source)
        ids = tracker.update(kpts, boxes, fi, **feats)
        frame_groups.append([a for _, a in group])
        frame_raw_ids.append(np.asarray(ids, dtype=np.int64).reshape(-1))

    # the tracker's offline step: renamed ids (e.g. stitched tracks) always apply; tracks it
    # maps to -1 (shorter than its min_track_length) are removed with drop_short only
    remap = tracker.finalize() if hasattr(tracker, 'finalize') else {}
    applied = remap if drop_short else {t: v for t, v in (remap or {}).items() if v >= 0}
    if remap:
        from mmpose_track.tracking import remap_track_ids
        keep = [remap_track_ids(ids, applied) for ids in frame_raw_ids]
        dropped = set()
        for g, ids in zip(frame_groups, keep):
            dropped.update(id(a) for a, t in zip(g, ids.tolist()) if t < 0)
        pairs = [[(a, t) for a, t in zip(g, ids.tolist()) if t >= 0]
                 for g, ids in zip(frame_groups, keep)]
        frame_groups = [[a for a, _ in p] for p in pairs]
        frame_raw_ids = [np.asarray([t for _, t in p], dtype=np.int64) for p in pairs]
        out['annotations'] = [a for a in anns if id(a) not in dropped]
    if getattr(tracker, 'interpolate', None) is not None:
        # the tracker's gap filling: the people of the frames a track missed, interpolated
        fill_f, fill_t, fill_k = tracker.gap_fill(applied)
        pos_of = {int(fi): i for i, fi in enumerate(fidx)}
        for fi, t, kp in zip(fill_f.tolist(), fill_t.tolist(), fill_k):
            i = pos_of.get(fi)
            if i is None:
                continue
            kp = np.where(np.isfinite(kp), kp, 0.0)
            a = dict(image_id=images[order[i]]['id'], category_id=1,
                     keypoints=[float(v) for v in kp.reshape(-1)],
                     scores=[float(v) for v in kp[:, 2]], interpolated=True)
            out.setdefault('annotations', []).append(a)
            frame_groups[i].append(a)
            frame_raw_ids[i] = np.append(frame_raw_ids[i], np.int64(t))

    try:
        new_ids, _ = compact_ids(frame_raw_ids)
    except RuntimeError as e:
        raise ValueError(f'{source}: {e}') from None
    for g, ids in zip(frame_groups, new_ids):
        for a, t in zip(g, ids.tolist()):
            a['track_id'] = int(t)

    if joint_score_thr and joint_score_thr > 0:
        for a in (out.get('annotations') or []):
            kp = np.asarray(a['keypoints'], dtype=np.float64).reshape(-1, 3)
            kp = filter_low_score_joints(kp, joint_score_thr)
            low = kp[:, 2] == 0
            a['keypoints'] = [float(v) for v in kp.reshape(-1)]
            if isinstance(a.get('scores'), list) and len(a['scores']) == num_kpts:
                a['scores'] = [0.0 if z else s for s, z in zip(a['scores'], low)]
    return out


def track_folder(dets_dir: str,
                 out_dir: str,
                 tracker: Any,
                 features: Sequence[str] = (),
                 joint_score_thr: Optional[float] = None,
                 drop_short: bool = False,
                 image_root: Optional[str] = None) -> Dict[str, Any]:
    """Track every ``*.json`` file of ``dets_dir`` into a file of the same name in ``out_dir``.

    Every input file is read and checked before anything is written, so bad input leaves
    ``out_dir`` untouched.

    Args:
        dets_dir: folder of PoseTrack18 files, one per video.
        out_dir: output folder (created).
        tracker: a tracker (see :func:`track_video`), or a tracker config (dict, or the path of a
            config file defining ``tracker = dict(...)``).
        features: see :func:`track_video`.
        joint_score_thr: see :func:`track_video`; ``None``: the tracker's ``joint_score_thr``.
        drop_short: see :func:`track_video`.
        image_root: see :func:`track_video`.

    Returns:
        ``dict(videos=..., annotations=..., out_dir=...)``: files and annotations written.

    Raises:
        FileNotFoundError: ``dets_dir`` is no folder, or holds no ``*.json`` file.
        PoseTrackFormatError, OSError: a bad input file (the message names it).
    """
    from mmpose_track.tracking import build_tracker
    if not osp.isdir(dets_dir):
        raise FileNotFoundError(f'not a folder: {dets_dir}')
    names = sorted(f for f in os.listdir(dets_dir) if f.endswith('.json'))
    if not names:
        raise FileNotFoundError(f'no .json files in {dets_dir}')
    tracker = build_tracker(tracker)
    thr = getattr(tracker, 'joint_score_thr', 0.0) if joint_score_thr is None else joint_score_thr
    results = []
    for name in names:
        path = osp.join(dets_dir, name)
        results.append(track_video(read_detections(path), tracker, features, thr, drop_short,
                                   source=path, image_root=image_root))
    os.makedirs(out_dir, exist_ok=True)
    n_anns = 0
    for name, res in zip(names, results):
        n_anns += len(res.get('annotations') or [])
        with open(osp.join(out_dir, name), 'w') as f:
            json.dump(res, f)
    return dict(videos=len(names), annotations=n_anns, out_dir=out_dir)
