"""File writing: frames, per-video PoseTrack18 files, per-split merges, detections and meta.json;
the public entry points."""
import json
import os
import os.path as osp
import shutil
import zlib
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from .options import (_ANN_PER_FRAME, _OWNED, POSETRACK18_CATEGORIES, PRESETS,
                      SyntheticPoseTrackOptions)
from .scene import _balanced, _build_scene, _flags, _Scene
from .render import _render
from .labels import _annotations, _frame_regions, _image_entry, _r, _xywh
from .detections import _detections, _dropout_mask


def _dump(obj: Any, path: str) -> None:
    """Write compact JSON."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f)


def _write_video(scene: _Scene, split: str, out_dir: str, opts: SyntheticPoseTrackOptions,
                 det_rng: np.random.Generator) -> Tuple[Dict, Dict, List[Dict], Dict]:
    """Render, save and label one video: GT file, detections file, box list and its metadata.

    ``scene.dropout`` (when set) removes people from the detections of some frames.
    """
    img_dir = osp.join(out_dir, 'images', split, scene.name)
    os.makedirs(img_dir, exist_ok=True)
    writer = None
    if opts.write_video:
        video_path = osp.join(out_dir, 'videos', split, f'{scene.name}.mp4')
        os.makedirs(osp.dirname(video_path), exist_ok=True)
        writer = cv2.VideoWriter(video_path, cv2.VideoWriter_fourcc(*'mp4v'), opts.fps,
                                 (opts.width, opts.height))
        if not writer.isOpened():
            raise RuntimeError(f'cv2.VideoWriter cannot write {video_path}')
    images, anns, det_anns, boxes = [], [], [], []
    track_ids: Dict[int, int] = {}
    for t in range(scene.num_frames):
        img, views = _render(scene, t)
        if not cv2.imwrite(osp.join(img_dir, f'{t:06d}.jpg'), img,
                           [cv2.IMWRITE_JPEG_QUALITY, opts.jpeg_quality]):
            raise RuntimeError(f'cv2.imwrite failed in {img_dir}')
        if writer is not None:
            writer.write(img)
        regions = _frame_regions(scene, t) if scene.labeled[t] else []
        entry = _image_entry(scene, split, t, regions)
        images.append(entry)
        if scene.labeled[t]:
            anns += _annotations(views, regions, entry['id'], track_ids, opts.min_keypoints)
        dropped = None if scene.dropout is None else scene.dropout[:, t]
        for k, (box, score, kpts) in enumerate(_detections(det_rng, views, opts, dropped)):
            boxes.append({'bbox': _xywh(box), 'category_id': 1, 'image_id': entry['id'],
                          'score': _r(score, 4)})
            det_anns.append({
                'bbox': _xywh(box), 'score': _r(score, 4),
                'keypoints': [_r(v, 2 if i % 3 < 2 else 4) for i, v in enumerate(kpts.ravel())],
                'scores': [_r(v, 4) for v in kpts[:, 2]], 'image_id': entry['id'],
                'category_id': 1, 'id': entry['id'] * _ANN_PER_FRAME + k
            })
    if writer is not None:
        writer.release()
    gt = {'categories': POSETRACK18_CATEGORIES, 'images': images, 'annotations': anns}
    det = {'categories': POSETRACK18_CATEGORIES, 'images': images, 'annotations': det_anns}
    meta = {
        'name': scene.name, 'vid_id': scene.vid_id, 'nframes': scene.num_frames,
        'labeled_frames': [int(i) for i in np.flatnonzero(scene.labeled)],
        'camera': {
            'mode': scene.camera_mode, 'events': scene.camera_events,
            'transforms': [[_r(v, 4) for v in row] for row in scene.camera],
        },
        'ignore_regions': len(scene.regions),
        'crossing': scene.crossings[0] if scene.crossings else None,
        'people': [{
            'person': p.index, 'track_id': track_ids.get(p.index),
            'height_m': _r(p.height_m), 'similar_to': p.similar_to,
            'colors': {k: list(v) for k, v in p.colors.items()},
        } for p in scene.people],
    }
    if opts.crossing_pairs != 1:
        meta['crossings'] = scene.crossings
    if scene.dropout is not None:  # [first, last] frames of each run out of the detections
        for person, row in zip(meta['people'], scene.dropout):
            edges = np.diff(np.concatenate([[0], row.astype(np.int8), [0]]))
            person['det_dropout'] = np.column_stack(
                [np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1]).tolist()
    return gt, det, boxes, meta


def _prepare_out_dir(out_dir: str, overwrite: bool) -> None:
    """Create ``out_dir``; a non-empty one must be an earlier output and ``overwrite`` set."""
    if osp.isdir(out_dir) and os.listdir(out_dir):
        if not overwrite or not osp.isfile(osp.join(out_dir, 'meta.json')):
            raise FileExistsError(f'{out_dir} is not empty (set overwrite to replace an earlier '
                                  f'synthetic dataset there)')
        for name in _OWNED:
            path = osp.join(out_dir, name)
            if osp.isdir(path):
                shutil.rmtree(path)
            elif osp.isfile(path):
                os.remove(path)
    os.makedirs(out_dir, exist_ok=True)


def write_synthetic_posetrack18(out_dir: str, options: SyntheticPoseTrackOptions,
                                overwrite: bool = False) -> Dict[str, Any]:
    """Generate the dataset described by ``options`` under ``out_dir``; returns a summary."""
    options.validate()
    _prepare_out_dir(out_dir, overwrite)
    summary: Dict[str, Any] = {'out_dir': out_dir, 'seed': options.seed, 'splits': {}}
    meta: Dict[str, Any] = {'generator': 'mmpose_track.datasets.synthetic', 'format_version': 1,
                            'options': options.recorded(), 'splits': {}}
    vid_counter = 0
    for split in options.splits:
        code = zlib.crc32(split.encode())
        count = options.videos_in(split)
        plan_rng = np.random.default_rng([options.seed, code])
        modes = _balanced(list(options.camera_modes), count, plan_rng)
        regions = _flags(count, options.ignore_region_ratio, plan_rng)
        similar = _flags(count, options.similar_pair_ratio, plan_rng)
        merged: Dict[str, Any] = {'categories': POSETRACK18_CATEGORIES, 'images': [],
                                  'annotations': []}
        human_dets: List[Dict[str, Any]] = []
        videos_meta, num_dets = [], 0
        for i in range(count):
            vid_counter += 1
            name = f'{vid_counter:06d}_mpii_test'
            scene = _build_scene(options, name, np.random.default_rng([options.seed, code, i, 0]),
                                 modes[i], regions[i], similar[i])
            if options.det_dropout > 0:
                scene.dropout = _dropout_mask(
                    np.random.default_rng([options.seed, code, i, 2]), len(scene.people),
                    scene.num_frames, options.det_dropout, options.det_dropout_len)
            gt, det, boxes, video_meta = _write_video(
                scene, split, out_dir, options, np.random.default_rng([options.seed, code, i, 1]))
            _dump(gt, osp.join(out_dir, 'annotations', split, f'{name}.json'))
            _dump(det, osp.join(out_dir, 'detections', split, f'{name}.json'))
            merged['images'] += gt['images']
            merged['annotations'] += gt['annotations']
            human_dets += boxes
            num_dets += len(det['annotations'])
            videos_meta.append(video_meta)
        _dump(merged, osp.join(out_dir, 'annotations', f'posetrack18_{split}.json'))
        _dump(human_dets,
              osp.join(out_dir, 'annotations', f'posetrack18_{split}_human_detections.json'))
        meta['splits'][split] = {'videos': videos_meta}
        summary['splits'][split] = {
            'videos': [v['name'] for v in videos_meta],
            'frames': len(merged['images']),
            'labeled_frames': sum(im['is_labeled'] for im in merged['images']),
            'annotations': len(merged['annotations']),
            'detections': num_dets,
        }
    _dump(meta, osp.join(out_dir, 'meta.json'))
    return summary


def generate_synthetic_posetrack18(out_dir: str,
                                   seed: Optional[int] = None,
                                   num_videos: Optional[int] = None,
                                   num_frames: Optional[int] = None,
                                   max_people: Optional[int] = None,
                                   width: Optional[int] = None,
                                   height: Optional[int] = None,
                                   splits: Union[None, str, Sequence[str]] = None,
                                   num_val_videos: Optional[int] = None,
                                   overwrite: bool = False,
                                   preset: str = 'default',
                                   **options: Any) -> Dict[str, Any]:
    """Write a deterministic synthetic PoseTrack18 dataset under ``out_dir``.

    Options left unset (None) take the ``preset``'s values (:data:`PRESETS`): ``'default'`` is
    :class:`SyntheticPoseTrackOptions`' defaults (seed 0, 8 train and 4 val videos of 30 frames,
    up to 5 people, 320x240, splits ``('train', 'val')``), ``'hard'`` adds
    :data:`~.options.HARD_OPTIONS` (val split only). Further keyword options are the fields of
    :class:`SyntheticPoseTrackOptions`. Invalid options raise ``ValueError`` naming the option; a
    non-empty ``out_dir`` raises ``FileExistsError`` unless it holds an earlier output and
    ``overwrite`` is set. Returns a summary per split (video names, frame, labeled-frame,
    annotation and detection counts).
    """
    if preset not in PRESETS:
        raise ValueError(f'preset must be one of {sorted(PRESETS)}, got {preset!r}')
    given = dict(seed=seed, num_videos=num_videos, num_frames=num_frames, max_people=max_people,
                 width=width, height=height, splits=splits, num_val_videos=num_val_videos)
    given = {k: v for k, v in given.items() if v is not None}
    if isinstance(given.get('splits'), str):
        given['splits'] = (given['splits'], )
    elif 'splits' in given:
        given['splits'] = tuple(given['splits'])
    opts = SyntheticPoseTrackOptions(**{**PRESETS[preset], **given, **options})
    return write_synthetic_posetrack18(out_dir, opts, overwrite)
