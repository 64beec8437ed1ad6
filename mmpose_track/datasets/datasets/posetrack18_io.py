"""Reading PoseTrack18 annotation files (merged COCO-style file or folder of per-video files).

Plain functions, no registry: :func:`load_posetrack18` returns the frames of every video in
(video, frame) order and the people of every frame, after checking every field it relies on.
Errors name the file, the image / annotation id and the field.

Conventions (shared by every PoseTrack18 dataset of :mod:`mmpose_track.datasets`):

- ``video_id`` (str): name of the folder holding the frame in ``file_name``
  (``images/val/009473_mpii_test/000000.jpg`` -> ``'009473_mpii_test'``); when ``file_name`` has
  no folder, ``str(vid_id)``.
- ``frame_idx`` (int, 0-based index of the frame in its video): the project's one frame-index rule
  (:func:`mmpose_track.structures.posetrack18_format.frame_indices`): the number that ends the file
  stem (PoseTrack names frames ``000000.jpg``, ``000001.jpg``...; PoseTrack's own ``frame_id``
  field is a global id equal to the image id and is *not* used); when a file name of the video ends
  in no number, the position of each image among its video's images in file order.
- ``num_frames`` (int): ``nframes`` of the video's images when present, at least
  ``max(frame_idx) + 1``.
- ``is_labeled`` (bool): the image field when present, else whether the image has annotations.
- ``ignore_regions``: list of ``(n, 2)`` float32 arrays of ``x, y`` polygon points (from
  ``ignore_regions_x`` / ``ignore_regions_y`` read by
  :func:`~mmpose_track.structures.posetrack18_format.parse_ignore_regions`; ``[]`` when absent).
- people: required ``image_id``, ``bbox`` (``x, y, w, h``), ``keypoints`` (``3 * K`` numbers) and
  ``track_id``; optional ``bbox_head`` (``x, y, w, h``, zeros when absent), ``id`` (a running
  number when absent), ``category_id`` (1), ``iscrowd`` (0).
"""
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np

from ...structures.posetrack18_format import (PoseTrackFormatError, frame_indices,
                                              parse_ignore_regions, read_json, video_name)

#: the datasets' old name of
#: :class:`~mmpose_track.structures.posetrack18_format.PoseTrackFormatError`
PoseTrack18FormatError = PoseTrackFormatError

__all__ = ['PoseTrack18FormatError', 'read_json', 'list_annotation_files', 'load_posetrack18',
           'load_detections']


def list_annotation_files(ann_file: str) -> List[str]:
    """``[ann_file]`` for a file, the sorted ``*.json`` files of a folder."""
    if osp.isdir(ann_file):
        files = sorted(
            osp.join(ann_file, f) for f in os.listdir(ann_file) if f.lower().endswith('.json'))
        if not files:
            raise FileNotFoundError(
                f'PoseTrack18 annotation folder {ann_file} holds no *.json file')
        return files
    if not osp.exists(ann_file):
        raise FileNotFoundError(f'PoseTrack18 annotation file not found: {ann_file}')
    return [ann_file]


def _require(d: dict, field: str, where: str):
    if field not in d:
        raise PoseTrack18FormatError(f'{where}: missing required field "{field}"')
    return d[field]


def _numbers(value, n: Optional[int], field: str, where: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as e:
        raise PoseTrack18FormatError(f'{where}: field "{field}" must hold numbers ({e})') from e
    if n is not None and arr.size != n:
        raise PoseTrack18FormatError(
            f'{where}: field "{field}" must hold {n} numbers, got {arr.size}')
    if not np.all(np.isfinite(arr)):
        raise PoseTrack18FormatError(f'{where}: field "{field}" holds non-finite numbers')
    return arr


def load_posetrack18(ann_file: str, num_keypoints: int = 17, img_prefix: str = '') -> dict:
    """Load PoseTrack18 ground truth from one merged file or a folder of per-video files.

    Args:
        ann_file (str): a COCO-style JSON file, or a folder whose ``*.json`` files are merged in
            memory (image ids must be unique over all files).
        num_keypoints (int): K, keypoints per person.
        img_prefix (str): joined before ``file_name`` to give ``img_path``.

    Returns:
        dict with
        - ``frames``: list of frame dicts in (video, frame) order, videos sorted by ``video_id``:
          ``img_id``, ``img_path``, ``file_name``, ``video_id``, ``frame_idx``, ``num_frames``,
          ``is_labeled``, ``ori_shape`` (``(h, w)`` or ``None``), ``ignore_regions``,
          ``ann_file`` (the file the frame came from);
        - ``people``: ``{img_id: [annotation dict, ...]}`` (raw dicts, file order, checked);
        - ``categories``: the ``categories`` of the first file (``[]`` when absent);
        - ``files``: the files read.

    Raises:
        FileNotFoundError, OSError,
        PoseTrack18FormatError (a ValueError: malformed JSON, missing field / bad value; names
        file, id, field).
    """
    files = list_annotation_files(ann_file)
    images: Dict[int, dict] = OrderedDict()
    people: Dict[int, List[dict]] = OrderedDict()
    categories: Optional[list] = None
    ann_counter = 0
    for path in files:
        data = read_json(path)
        if not isinstance(data, dict):
            raise PoseTrack18FormatError(
                f'{path}: expected a JSON object with "images" and "annotations", '
                f'got {type(data).__name__}')
        imgs = _require(data, 'images', path)
        anns = data.get('annotations', [])
        if anns is None:
            anns = []
        if not isinstance(imgs, list) or not isinstance(anns, list):
            raise PoseTrack18FormatError(f'{path}: "images" and "annotations" must be lists')
        if categories is None and isinstance(data.get('categories'), list):
            categories = data['categories']

        for i, img in enumerate(imgs):
            where = f'{path}: images[{i}]'
            if not isinstance(img, dict):
                raise PoseTrack18FormatError(f'{where}: expected an object')
            img_id = _require(img, 'id', where)
            where = f'{path}: image id {img_id}'
            file_name = _require(img, 'file_name', where)
            if not isinstance(img_id, int) or isinstance(img_id, bool):
                raise PoseTrack18FormatError(f'{where}: field "id" must be an integer')
            if not isinstance(file_name, str) or not file_name:
                raise PoseTrack18FormatError(f'{where}: field "file_name" must be a path')
            if img_id in images:
                raise PoseTrack18FormatError(
                    f'{where}: duplicate image id (also in {images[img_id]["ann_file"]}); '
                    'image ids must be unique over all annotation files')
            video_id = video_name(file_name)
            if not video_id:
                if 'vid_id' not in img:
                    raise PoseTrack18FormatError(
                        f'{where}: field "file_name" ({file_name!r}) has no video folder and '
                        'field "vid_id" is missing')
                video_id = str(img['vid_id'])
            height, width = img.get('height'), img.get('width')
            ori_shape = (int(height), int(width)) if height and width else None
            images[img_id] = dict(
                img_id=img_id,
                file_name=file_name,
                img_path=osp.join(img_prefix, file_name) if img_prefix else file_name,
                video_id=video_id,
                _nframes=img.get('nframes'),
                _is_labeled=img.get('is_labeled'),
                ori_shape=ori_shape,
                ignore_regions=[p.astype(np.float32)
                                for p in parse_ignore_regions(img, where)[0]],
                ann_file=path)
            people[img_id] = []

        for i, ann in enumerate(anns):
            where = f'{path}: annotations[{i}]'
            if not isinstance(ann, dict):
                raise PoseTrack18FormatError(f'{where}: expected an object')
            if 'id' in ann:
                where = f'{path}: annotation id {ann["id"]}'
            img_id = _require(ann, 'image_id', where)
            where = f'{where} (image id {img_id})'
            if img_id not in images:
                raise PoseTrack18FormatError(
                    f'{where}: field "image_id" refers to an image not listed in "images"')
            if images[img_id]['ann_file'] != path:
                raise PoseTrack18FormatError(
                    f'{where}: field "image_id" refers to an image of another file '
                    f'({images[img_id]["ann_file"]})')
            kpts = _numbers(
                _require(ann, 'keypoints', where), 3 * num_keypoints, 'keypoints', where)
            bbox = _numbers(_require(ann, 'bbox', where), 4, 'bbox', where)
            track_id = _require(ann, 'track_id', where)
            if not isinstance(track_id, int) or isinstance(track_id, bool):
                raise PoseTrack18FormatError(f'{where}: field "track_id" must be an integer')
            head = ann.get('bbox_head')
            head = np.zeros(4) if head is None else _numbers(head, 4, 'bbox_head', where)
            people[img_id].append(
                dict(
                    raw=ann,
                    id=ann.get('id', ann_counter),
                    image_id=img_id,
                    track_id=int(track_id),
                    keypoints=kpts.reshape(num_keypoints, 3),
                    bbox=bbox,
                    bbox_head=head,
                    category_id=ann.get('category_id', 1),
                    iscrowd=int(bool(ann.get('iscrowd', 0)))))
            ann_counter += 1

    # group frames per video, derive frame_idx / num_frames / is_labeled
    videos: Dict[str, List[dict]] = {}
    for img in images.values():
        videos.setdefault(img['video_id'], []).append(img)
    frames = []
    for video_id in sorted(videos):
        vframes = videos[video_id]  # file order
        idx = frame_indices([f['file_name'] for f in vframes],
                            [f'image id {f["img_id"]}' for f in vframes],
                            f'{vframes[0]["ann_file"]}: video {video_id}')
        for f, i in zip(vframes, idx):
            f['frame_idx'] = i
        vframes = sorted(vframes, key=lambda f: f['frame_idx'])
        nframes = [f['_nframes'] for f in vframes if f['_nframes'] is not None]
        for f in vframes:
            if f['_nframes'] is not None and (not isinstance(f['_nframes'], int)
                                              or f['_nframes'] < 1):
                raise PoseTrack18FormatError(
                    f'{f["ann_file"]}: image id {f["img_id"]}: field "nframes" must be an '
                    'integer >= 1')
        num_frames = max(nframes + [vframes[-1]['frame_idx'] + 1])
        for f in vframes:
            f['num_frames'] = num_frames
            labeled = f.pop('_is_labeled')
            f['is_labeled'] = bool(labeled) if labeled is not None else bool(people[f['img_id']])
            f.pop('_nframes')
            frames.append(f)
    return dict(frames=frames, people=people, categories=categories or [], files=files)


def load_detections(bbox_file: str, known_img_ids: Sequence[int], ann_file: str = '') -> list:
    """Read a COCO-style detection results file: a list of ``image_id, bbox (x, y, w, h), score
    [, category_id]``; keeps persons (``category_id`` 1, the default when absent).

    Raises errors naming the file, the detection's position and the field; a detection of an
    image absent from the annotation file is an error.
    """
    dets = read_json(bbox_file, what='detection file')
    if not isinstance(dets, list):
        raise PoseTrack18FormatError(
            f'{bbox_file}: expected a list of COCO-style detections, got {type(dets).__name__}')
    known = set(known_img_ids)
    out = []
    for i, det in enumerate(dets):
        where = f'{bbox_file}: detection [{i}]'
        if not isinstance(det, dict):
            raise PoseTrack18FormatError(f'{where}: expected an object')
        img_id = _require(det, 'image_id', where)
        bbox = _numbers(_require(det, 'bbox', where), None, 'bbox', where)
        if bbox.size < 4:
            raise PoseTrack18FormatError(f'{where}: field "bbox" must hold 4 numbers')
        score = _numbers(_require(det, 'score', where), 1, 'score', where)[0]
        if det.get('category_id', 1) != 1:
            continue
        if img_id not in known:
            raise PoseTrack18FormatError(
                f'{where}: field "image_id" ({img_id}) is not an image of {ann_file}')
        out.append(dict(image_id=img_id, bbox=bbox[:4], score=float(score)))
    return out
