"""Draw tracked poses: skeletons coloured by track id, the id number near the head, and mp4 videos
of a tracked sequence (``tools/render_tracks.py``).

Plain functions on arrays (no registry, no runner): ``render_tracked_frame`` draws one frame,
``render_tracked_video`` writes a sequence with ``cv2.VideoWriter`` (``mp4v``) and
``load_tracked_video`` reads one PoseTrack18 prediction / annotation file (as written by
``PoseTrackMetric(out_dir=...)`` or ``tools/track.py``) into the frames those two take.
"""
import json
import os
import os.path as osp
import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

# COCO-17 links (0-based). PoseTrack18 keeps the COCO order but names slots 1/2 head_bottom /
# head_top and leaves the ears (3/4) empty, so the links nose-eye-eye become nose-head_bottom-
# head_top; NECK_LINKS join head_bottom to the shoulders when the ears are missing.
COCO17_LINKS: Tuple[Tuple[int, int], ...] = (
    (15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6), (5, 7), (6, 8),
    (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6))
NECK_LINKS: Tuple[Tuple[int, int], ...] = ((1, 5), (1, 6))
POSETRACK18_LINKS = COCO17_LINKS + NECK_LINKS

# 20 well-separated colours (BGR; matplotlib's tab10 + a darker/lighter set), indexed by
# ``track_id % 20``; id -1 (untracked) is grey.
TRACK_PALETTE = np.array([
    (180, 119, 31), (14, 127, 255), (44, 160, 44), (40, 39, 214), (189, 103, 148),
    (75, 86, 140), (194, 119, 227), (34, 189, 188), (207, 190, 23), (0, 215, 255),
    (232, 199, 174), (120, 187, 255), (138, 223, 152), (150, 152, 255), (213, 176, 197),
    (148, 156, 196), (210, 182, 247), (141, 219, 219), (229, 218, 158), (128, 0, 128),
], np.uint8)
UNTRACKED_COLOR = (128, 128, 128)
HEAD_JOINTS = (2, 1, 0, 3, 4)  # head_top, head_bottom (eyes in COCO), nose, ears: label anchor


def track_color(track_id: int) -> Tuple[int, int, int]:
    """BGR colour of a track id (stable: the same id always gets the same colour)."""
    if track_id is None or track_id < 0:
        return UNTRACKED_COLOR
    return tuple(int(c) for c in TRACK_PALETTE[int(track_id) % len(TRACK_PALETTE)])


def _valid_joints(keypoints: np.ndarray, score_thr: float) -> np.ndarray:
    """(N, K) joints to draw: finite coordinates, finite score > ``score_thr``, not (0, 0, 0)."""
    xy, s = keypoints[..., :2], keypoints[..., 2]
    return (np.isfinite(xy).all(-1) & np.isfinite(s) & (s > score_thr)
            & ~((xy == 0).all(-1) & (s == 0)))


def render_tracked_frame(image: np.ndarray,
                         keypoints: np.ndarray,
                         track_ids: Sequence[int],
                         score_thr: float = 0.0,
                         links: Optional[Sequence[Tuple[int, int]]] = None,
                         radius: Optional[int] = None,
                         thickness: Optional[int] = None,
                         draw_ids: bool = True,
                         copy: bool = True) -> np.ndarray:
    """Draw people's skeletons, coloured by track id, with the id number above the head.

    Args:
        image: BGR ``(H, W, 3)`` uint8 image.
        keypoints: ``(N, K, 3)`` pixels ``x, y`` and score; a joint is drawn when its
            coordinates and score are finite and its score is ``> score_thr`` (so NaN joints and
            zero-score / ``(0, 0, 0)`` missing joints are skipped). ``(N, K, 2)`` means all
            scores 1.
        track_ids: ``(N,)`` ints; ``< 0`` is drawn grey (untracked).
        score_thr: joint score threshold.
        links: 0-based joint pairs; default COCO-17 links plus head_bottom-shoulder links
            (``POSETRACK18_LINKS``), links with an out-of-range joint are ignored.
        radius, thickness: joint radius and limb width in pixels (default from image size).
        draw_ids: write the track id near the head.
        copy: draw on a copy (default) instead of in place.

    Returns:
        The drawn image.
    """
    import cv2
    img = np.array(image, copy=True) if copy else image
    kpts = np.asarray(keypoints, dtype=np.float64)
    if kpts.size == 0:
        return img
    if kpts.ndim != 3 or kpts.shape[-1] not in (2, 3):
        raise ValueError(f'keypoints: shape {kpts.shape}, expected (N, K, 3)')
    if kpts.shape[-1] == 2:
        kpts = np.concatenate([kpts, np.ones(kpts.shape[:2] + (1, ))], -1)
    tids = np.asarray(track_ids).reshape(-1)
    n, k = kpts.shape[:2]
    if len(tids) != n:
        raise ValueError(f'track_ids: {len(tids)} ids for {n} people')
    h, w = img.shape[:2]
    size = max(min(h, w), 1)
    radius = radius or max(2, int(round(size / 80)))
    thickness = thickness or max(2, int(round(size / 120)))
    links = np.asarray(POSETRACK18_LINKS if links is None else links, dtype=np.int64).reshape(-1, 2)
    links = links[(links < k).all(1) & (links >= 0).all(1)]

    valid = _valid_joints(kpts, score_thr)                        # (N, K)
    link_ok = valid[:, links[:, 0]] & valid[:, links[:, 1]]      # (N, L)
    pts = np.zeros((n, k, 2), np.int32)
    xy = kpts[..., :2]
    pts[valid] = np.round(np.clip(xy[valid], -4 * size, 8 * size)).astype(np.int32)
    colors = [track_color(int(t)) for t in tids]
    for p, l in zip(*np.nonzero(link_ok)):
        a, b = links[l]
        cv2.line(img, tuple(int(v) for v in pts[p, a]), tuple(int(v) for v in pts[p, b]),
                 colors[p], thickness, cv2.LINE_AA)
    for p, j in zip(*np.nonzero(valid)):
        cv2.circle(img, tuple(int(v) for v in pts[p, j]), radius, colors[p], -1, cv2.LINE_AA)
    if draw_ids:
        scale = max(0.35, size / 600)
        head = [j for j in HEAD_JOINTS if j < k]
        for p in np.flatnonzero(valid.any(1)):
            anchor = next((j for j in head if valid[p, j]), None)
            if anchor is None:  # topmost drawn joint
                js = np.flatnonzero(valid[p])
                anchor = js[np.argmin(xy[p, js, 1])]
            x, y = pts[p, anchor]
            org = (int(x) - radius, int(y) - 2 * radius - 1)
            label = str(int(tids[p])) if tids[p] >= 0 else '?'
            cv2.putText(img, label, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0),
                        thickness + 2, cv2.LINE_AA)
            cv2.putText(img, label, org, cv2.FONT_HERSHEY_SIMPLEX, scale, colors[p], thickness,
                        cv2.LINE_AA)
    return img


def _read_image(image: Union[str, np.ndarray]) -> np.ndarray:
    if isinstance(image, np.ndarray):
        return image
    import cv2
    img = cv2.imread(image, cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f'cannot read image {image}')
    return img


def render_tracked_video(frames: Iterable[dict],
                         out_file: str,
                         fps: float = 10.0,
                         score_thr: float = 0.0,
                         links: Optional[Sequence[Tuple[int, int]]] = None,
                         frame_index: bool = True) -> int:
    """Write an mp4 (``cv2.VideoWriter``, ``mp4v``) of tracked frames.

    Args:
        frames: in order, dicts with ``image`` (path or BGR array), ``keypoints`` ``(N, K, 3)``
            and ``track_ids`` ``(N,)`` (as ``load_tracked_video`` returns).
        out_file: the ``.mp4`` to write (folders are created).
        fps: frame rate.
        score_thr, links: as ``render_tracked_frame``.
        frame_index: print the frame number in the top-left corner.

    Returns:
        The number of frames written. Frames of another size than the first are resized to it.
    """
    import cv2
    writer, size, count = None, None, 0
    try:
        for i, fr in enumerate(frames):
            img = _read_image(fr['image'])
            if writer is None:
                size = (img.shape[1], img.shape[0])
                os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
                writer = cv2.VideoWriter(out_file, cv2.VideoWriter_fourcc(*'mp4v'), float(fps),
                                         size)
                if not writer.isOpened():
                    raise IOError(f'cv2.VideoWriter cannot write {out_file} (codec mp4v)')
            elif (img.shape[1], img.shape[0]) != size:
                img = cv2.resize(img, size)
            img = render_tracked_frame(img, fr['keypoints'], fr['track_ids'], score_thr, links)
            if frame_index:
                cv2.putText(img, str(fr.get('frame_idx', i)), (4, 14), cv2.FONT_HERSHEY_SIMPLEX,
                            0.4, (255, 255, 255), 1, cv2.LINE_AA)
            writer.write(np.ascontiguousarray(img))
            count += 1
    finally:
        if writer is not None:
            writer.release()
    if count == 0:
        raise ValueError(f'no frames to write to {out_file}')
    return count


def _frame_index(img: dict, position: int) -> int:
    m = re.search(r'(\d+)\.\w+$', str(img.get('file_name', '')))
    return int(m.group(1)) if m else position


def _resolve_image(file_name: str, images_root: str) -> Optional[str]:
    """``images_root/file_name``, else the last 2 or 1 path parts (``<video>/<frame>``) under it."""
    parts = file_name.replace('\\', '/').split('/')
    for cand in (file_name, '/'.join(parts[-3:]), '/'.join(parts[-2:]), parts[-1]):
        path = osp.join(images_root, cand)
        if osp.isfile(path):
            return path
    return None


def load_tracked_video(pred_file: str, images_root: str, check_images: bool = True
                       ) -> List[dict]:
    """Read one PoseTrack18 file (predictions or ground truth) into frames for
    ``render_tracked_video``: ``image`` (path), ``keypoints`` ``(N, K, 3)``, ``track_ids`` ``(N,)``
    (missing ``track_id`` -> -1), ``frame_idx``, ``image_id``.

    Frames are the file's ``images`` in frame order (the number in the file name). Scores are the
    annotation's ``scores`` where given, else the keypoints' third value (visibility in ground
    truth); ``(0, 0, 0)`` joints are missing. Images are ``images_root/file_name`` (or its last
    ``<video>/<frame>`` parts under ``images_root``); a missing one raises ``FileNotFoundError``
    naming the image id, file name and prediction file.
    """
    with open(pred_file) as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f'{pred_file}: not valid JSON ({e})') from None
    if not isinstance(data, dict) or not isinstance(data.get('images'), list):
        raise ValueError(f'{pred_file}: not a PoseTrack18 file (no "images" list)')
    images = sorted(enumerate(data['images']), key=lambda e: (_frame_index(e[1], e[0]), e[0]))
    by_image: Dict[object, List[dict]] = {img['id']: [] for _, img in images}
    for ann in data.get('annotations') or []:
        if ann.get('image_id') in by_image and ann.get('keypoints'):
            by_image[ann['image_id']].append(ann)
    frames = []
    for pos, (_, img) in enumerate(images):
        fn = img.get('file_name', '')
        path = _resolve_image(fn, images_root) if fn else None
        if path is None and check_images:
            raise FileNotFoundError(
                f'image not found: {osp.join(images_root, fn)} (image id {img.get("id")}, '
                f'"file_name" {fn!r} in {pred_file}); pass the data root as --images-root')
        anns = by_image[img['id']]
        if anns:
            kpts = np.stack([np.asarray(a['keypoints'], np.float64).reshape(-1, 3) for a in anns])
            for p, a in enumerate(anns):
                sc = a.get('scores')
                if sc:
                    sc = np.asarray(sc, np.float64).reshape(-1)
                    present = ~(kpts[p] == 0).all(-1)
                    kpts[p, :, 2] = np.where(present, sc[:kpts.shape[1]], 0.0)
            tids = np.array([a.get('track_id', -1) if a.get('track_id') is not None else -1
                             for a in anns], np.int64)
        else:
            kpts, tids = np.zeros((0, 17, 3)), np.zeros(0, np.int64)
        frames.append(dict(image=path, keypoints=kpts, track_ids=tids,
                           frame_idx=_frame_index(img, pos), image_id=img.get('id')))
    return frames
