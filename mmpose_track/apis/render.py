"""Render a tracked video: PoseTrack18 prediction file in, mp4 of skeletons coloured by track id out
(``tools/render_tracks.py``).

:func:`load_tracked_video` reads one PoseTrack18 file (predictions as written by
``PoseTrackMetric(out_dir=...)`` or ``tools/track.py``, or ground truth) into frame-level
``PoseDataSample`` objects; :func:`render_tracked_video` draws them with
:class:`~mmpose_track.visualization.PoseTrackLocalVisualizer` and writes an mp4 with
``cv2.VideoWriter`` (``mp4v``).
"""
import os
import os.path as osp
from typing import List, Optional, Sequence

import cv2
import numpy as np
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from mmpose_track.structures.posetrack18_format import (PoseTrackFormatError, frame_indices,
                                                          read_json)

__all__ = ['load_tracked_video', 'render_tracked_video']


def _resolve_image(file_name: str, images_root: str) -> Optional[str]:
    """``images_root/file_name``, else the last 3, 2 or 1 path parts (``<video>/<frame>``) under
    it."""
    parts = file_name.replace('\\', '/').split('/')
    for cand in (file_name, '/'.join(parts[-3:]), '/'.join(parts[-2:]), parts[-1]):
        path = osp.join(images_root, cand)
        if osp.isfile(path):
            return path
    return None


def _num_keypoints(data: dict, anns: Sequence[dict]) -> int:
    """``K`` from ``categories[0].keypoints``, else from the first annotation with keypoints."""
    cats = data.get('categories')
    if isinstance(cats, list) and cats and isinstance(cats[0], dict) and \
            isinstance(cats[0].get('keypoints'), list) and cats[0]['keypoints']:
        return len(cats[0]['keypoints'])
    for a in anns:
        if a.get('keypoints'):
            return len(a['keypoints']) // 3
    return 0


def load_tracked_video(pred_file: str, images_root: str,
                       check_images: bool = True) -> List[PoseDataSample]:
    """Read one PoseTrack18 file (one video) into tracked frames, in frame order.

    Args:
        pred_file: the file (predictions or ground truth).
        images_root: the folder the files' ``file_name`` is relative to (or holding its last
            ``<video>/<frame>`` parts).
        check_images: a missing image is an error (else ``img_path`` is ``None``).

    Returns:
        One ``PoseDataSample`` per image of the file, in frame order (the shared frame-index rule,
        :func:`~mmpose_track.structures.posetrack18_format.frame_indices`), with metainfo
        ``img_path``, ``img_id``, ``frame_idx`` and ``pred_instances``: ``keypoints``
        ``(N, K, 2)``, ``keypoint_scores`` ``(N, K)`` (the annotation's ``scores`` where given,
        else the keypoints' third value; ``(0, 0, 0)`` joints score 0) and ``track_ids`` ``(N,)``
        (a missing ``track_id`` is -1).

    Raises:
        PoseTrackFormatError: not a PoseTrack18 file, malformed JSON or keypoints.
        FileNotFoundError: an image is missing (naming the image id, file name and file).
    """
    data = read_json(pred_file, 'prediction file')
    if not isinstance(data, dict) or not isinstance(data.get('images'), list):
        raise PoseTrackFormatError(f'{pred_file}: not a PoseTrack18 file (no "images" list)')
    images = data['images']
    anns_all = data.get('annotations') or []
    k = _num_keypoints(data, anns_all)
    by_image = {img.get('id'): [] for img in images}
    for ann in anns_all:
        if ann.get('image_id') in by_image and ann.get('keypoints'):
            by_image[ann['image_id']].append(ann)
    idx = frame_indices([img.get('file_name', '') for img in images],
                        [f'image id {img.get("id")}' for img in images], where=pred_file)
    frames = []
    for pos in sorted(range(len(images)), key=lambda i: (idx[i], i)):
        img = images[pos]
        fn = img.get('file_name', '')
        path = _resolve_image(fn, images_root) if fn else None
        if path is None and check_images:
            raise FileNotFoundError(
                f'image not found: {osp.join(images_root, fn)} (image id {img.get("id")}, '
                f'"file_name" {fn!r} in {pred_file}); pass the data root as --images-root')
        anns = by_image[img.get('id')]
        kpts = np.zeros((len(anns), k, 3))
        tids = np.full(len(anns), -1, np.int64)
        for p, a in enumerate(anns):
            row = np.asarray(a['keypoints'], np.float64).reshape(-1)
            if row.size != 3 * k:
                raise PoseTrackFormatError(
                    f'{pred_file}: image id {img.get("id")}, annotation id {a.get("id")}: field '
                    f'"keypoints" has {row.size} numbers, expected {3 * k}')
            kpts[p] = row.reshape(k, 3)
            if a.get('scores'):
                sc = np.asarray(a['scores'], np.float64).reshape(-1)[:k]
                present = ~(kpts[p] == 0).all(-1)
                kpts[p, :, 2] = np.where(present, sc, 0.0)
            if a.get('track_id') is not None:
                tids[p] = int(a['track_id'])
        sample = PoseDataSample(metainfo=dict(img_path=path, img_id=img.get('id'),
                                              frame_idx=int(idx[pos])))
        sample.pred_instances = InstanceData(keypoints=kpts[..., :2], keypoint_scores=kpts[..., 2],
                                             track_ids=tids)
        frames.append(sample)
    return frames


def render_tracked_video(frames: Sequence[PoseDataSample], out_file: str, fps: float = 10.0,
                         kpt_thr: float = 0.0, visualizer=None) -> int:
    """Write an mp4 (``cv2.VideoWriter``, ``mp4v``) of tracked frames.

    Args:
        frames: in order, samples with ``img_path`` and tracked ``pred_instances`` (as
            :func:`load_tracked_video` returns).
        out_file: the ``.mp4`` to write (folders are created).
        fps: frame rate.
        kpt_thr: joints scored at most this are not drawn.
        visualizer: a :class:`~mmpose_track.visualization.PoseTrackLocalVisualizer`; default one
            that writes the frame index in the top-left corner.

    Returns:
        The number of frames written. Frames of another size than the first are resized to it.
    """
    if visualizer is None:
        from mmpose_track.visualization import PoseTrackLocalVisualizer
        visualizer = PoseTrackLocalVisualizer(name=f'render_tracked_video_{id(frames)}',
                                              draw_frame_idx=True)
    writer, size, count = None, None, 0
    try:
        for sample in frames:
            img = cv2.imread(sample.img_path, cv2.IMREAD_COLOR) if sample.img_path else None
            if img is None:
                raise FileNotFoundError(f'cannot read image {sample.img_path}')
            if writer is None:
                size = (img.shape[1], img.shape[0])
                os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
                writer = cv2.VideoWriter(out_file, cv2.VideoWriter_fourcc(*'mp4v'), float(fps),
                                         size)
                if not writer.isOpened():
                    raise IOError(f'cv2.VideoWriter cannot write {out_file} (codec mp4v)')
            elif (img.shape[1], img.shape[0]) != size:
                img = cv2.resize(img, size)
            # no out_file and no vis backends: the drawn RGB image is only returned
            drawn = visualizer.add_datasample('frame', img[..., ::-1], sample, draw_gt=False,
                                              kpt_thr=kpt_thr)
            writer.write(np.ascontiguousarray(drawn[..., ::-1]))
            count += 1
    finally:
        if writer is not None:
            writer.release()
    if count == 0:
        raise ValueError(f'no frames to write to {out_file}')
    return count
