#!/usr/bin/env python
"""Run a person detector (MMDet) over PoseTrack18 frames or a folder of videos and write the
COCO-style human-detections file that top-down testing reads (``bbox_file`` of
``PoseTrack18FrameDataset``; same format as ``test_posetrack18_human_detections.json``).

    python tools/detect_people.py CONFIG CHECKPOINT --ann-file MERGED_JSON_OR_DIR --out DETS.json \\
        [--keyframe-step S]
    python tools/detect_people.py CONFIG CHECKPOINT --video-dir DIR --out DETS.json \\
        [--out-ann FRAMES.json] [--save-frames FRAMES_DIR]

Output: a JSON list, one entry per detection ``{"image_id", "category_id": 1,
"bbox": [x, y, w, h], "score"}`` (pixels of the original frame), frames in file order, boxes by
descending score. A frame without detections (above ``--score-thr``) has no entry. With
``--keyframe-step S`` the detector runs on the frames whose index is a multiple of S only (clip
tracking's keyframes, Wang et al. 2020 Sec. 3.2 / Fig. 5b); the time per frame is printed.

``--ann-file``: a merged PoseTrack18 / COCO-style file or a folder of per-video PoseTrack18 files;
every image listed (labeled or not) is detected and keeps its ``id``. Images are
``DATA_ROOT/file_name``; ``--data-root`` defaults to the first ancestor folder of the annotation
file where the first listed image exists (``data/posetrack18/`` for
``data/posetrack18/annotations/posetrack18_val.json``). Every image is checked before the detector
runs; a missing one is an error naming the file, the image id and the annotation file.

``--video-dir``: each sub-folder is a video of frames (``*.jpg``/``*.png``) and each video file
(``.mp4 .avi .mov .mkv .webm``) is decoded frame by frame. Videos are taken in name order.
Generated image ids follow PoseTrack18's scheme: ``10000000000 + vid * 10000 + frame`` where
``vid`` is the number the video name starts with (``000342_mpii_test`` -> 342) or else the
1-based position of the video in name order, and ``frame`` the 0-based frame index (< 10000):
the project's one frame-index rule
(:func:`mmpose_track.structures.posetrack18_format.frame_indices`): for a frame folder, the
number that ends each file name when all carry one (frames are taken in that order), else the
position in name order; for a video file, the decoding order (the written frames are named
``NNNNNN.jpg`` by it).
``--out-ann`` writes the matching PoseTrack18-style image list (``images`` with ``id``,
``file_name`` relative to ``--video-dir``: ``<video>/<frame file>``, for video files the frames
written to ``--save-frames/<video>/NNNNNN.jpg``; ``vid_id``, ``frame_id``, ``nframes``,
``is_labeled: false``, ``width``, ``height``; no ``annotations``) so that ``PoseTrack18FrameDataset(ann_file=FRAMES.json,
data_root=DIR, bbox_file=DETS.json)`` reads both; video files need ``--save-frames`` for that.
``nframes`` is the number of frames decoded (not the container's frame count, which may be off).

Bad input (a missing image, a malformed annotation file, a video that cannot be opened or decodes
no frame, a frame index >= 10000, two videos with the same number) stops the command before the
output is written, with one line naming the file, the id and the field, and exit status 2.
"""
import argparse
import json
import os
import os.path as osp
import re
import sys
import time
from typing import Iterator, List, Optional, Tuple

import numpy as np

from mmpose_track.apis.video_io import (FRAME_EXTS, VIDEO_EXTS,  # noqa: F401
                                        check_video_file, frame_files)

ID_BASE = 10_000_000_000


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', help='detector config')
    p.add_argument('checkpoint', help='detector checkpoint')
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument('--ann-file', help='merged PoseTrack18 JSON or folder of per-video JSONs')
    src.add_argument('--video-dir', help='folder of videos (frame folders or video files)')
    p.add_argument('--data-root', help='folder that file_name is relative to (--ann-file)')
    p.add_argument('--out', required=True, help='output detections JSON')
    p.add_argument('--out-ann', help='(--video-dir) write the PoseTrack18-style image list')
    p.add_argument('--save-frames', help='(--video-dir) write decoded video-file frames here')
    p.add_argument('--score-thr', type=float, default=0.0, help='keep detections > this score')
    p.add_argument('--device', default='cpu')
    p.add_argument('--keyframe-step', type=int, default=1,
                   help='detect on the frames whose index is a multiple of this only (clip '
                   'tracking\'s keyframes every S frames; the others are listed without boxes)')
    from mmengine.config import DictAction
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config settings, key=value (xxx=yyy)')
    args = p.parse_args(argv)
    if args.video_dir is None and (args.out_ann or args.save_frames):
        p.error('--out-ann and --save-frames go with --video-dir')
    return args


# ----------------------------------------------------------------------------- frame sources
def _find_data_root(ann_file: str, first_file_name: str) -> str:
    d = osp.dirname(osp.abspath(ann_file.rstrip('/')))
    for _ in range(4):
        if osp.exists(osp.join(d, first_file_name)):
            return d
        d = osp.dirname(d)
    raise FileNotFoundError(
        f'cannot find image {first_file_name!r} (field "file_name" of the first image of '
        f'{ann_file}) under any parent folder of the annotation file; pass --data-root')


def frames_from_ann(ann_file: str, data_root: Optional[str]) -> List[dict]:
    """Every image of a PoseTrack18 annotation file/folder: ``img_id``, ``img_path``."""
    from mmpose_track.datasets.datasets.posetrack18_io import load_posetrack18
    ann = load_posetrack18(ann_file)
    frames = ann['frames']
    if not frames:
        return []
    root = data_root if data_root is not None else _find_data_root(ann_file, frames[0]['file_name'])
    out = []
    for f in frames:
        path = osp.join(root, f['file_name'])
        if not osp.isfile(path):
            raise FileNotFoundError(f'image not found: {path} (field "file_name" of image id '
                                    f'{f["img_id"]} in {f["ann_file"]})')
        out.append(dict(img_id=f['img_id'], img_path=path, frame_idx=int(f['frame_idx'])))
    return out


def _video_number(name: str, position: int) -> int:
    m = re.match(r'(\d+)', name)
    return int(m.group(1)) if m else position


def _image_id(vid: int, frame_idx: int, where: str = '') -> int:
    """PoseTrack18's image id of frame ``frame_idx`` (the shared frame-index rule) of video
    ``vid``: ``10000000000 + vid * 10000 + frame_idx``."""
    if not 0 <= frame_idx < 10000:
        raise ValueError(f'{where or f"video {vid}"}: frame index {frame_idx} is not in '
                         '[0, 10000): it does not fit the image id scheme')
    return ID_BASE + vid * 10000 + frame_idx


def videos_in(video_dir: str) -> List[Tuple[str, str, int]]:
    """``(name, path, vid)`` of every frame folder / video file in ``video_dir``, name order."""
    if not osp.isdir(video_dir):
        raise FileNotFoundError(f'--video-dir: {video_dir} is not a folder')
    entries = []
    for name in sorted(os.listdir(video_dir)):
        path = osp.join(video_dir, name)
        if osp.isdir(path) or osp.splitext(name)[1].lower() in VIDEO_EXTS:
            entries.append((name, path))
    if not entries:
        raise FileNotFoundError(f'--video-dir: no frame folders or video files in {video_dir}')
    out, used = [], {}
    for pos, (name, path) in enumerate(entries, 1):
        stem = name if osp.isdir(path) else osp.splitext(name)[0]
        vid = _video_number(stem, pos)
        if vid in used:
            raise ValueError(f'--video-dir: videos {used[vid]!r} and {name!r} both map to video '
                             f'number {vid}; rename one')
        used[vid] = name
        out.append((stem, path, vid))
    return out


def frames_from_videos(video_dir: str, save_frames: Optional[str]) -> Iterator[dict]:
    """Frames of every video: ``img_id``, ``img`` (path or BGR array), ``file_name``,
    ``video``, ``vid``, ``frame_idx``, ``nframes`` (for video files the container's count, which
    may be off: ``main`` writes the decoded count).

    Raises:
        IOError: a video file cannot be opened or decodes no frame.
        ValueError: a frame index does not fit the image id scheme; two frames of a folder
            carry the same number.
    """
    import cv2
    for stem, path, vid in videos_in(video_dir):
        if osp.isdir(path):
            frames = frame_files(path)
            for i, f in frames:
                yield dict(img_id=_image_id(vid, i, osp.join(path, f)), img=osp.join(path, f),
                           file_name=f'{stem}/{f}', video=stem, vid=vid, frame_idx=i,
                           nframes=len(frames))
            continue
        cap = cv2.VideoCapture(path)
        try:
            if not cap.isOpened():
                raise IOError(f'cannot open video {path} (not a video file OpenCV can decode)')
            n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
            i = 0
            while True:
                ok, img = cap.read()
                if not ok:
                    break
                file_name = f'{stem}/{i:06d}.jpg'
                if save_frames:
                    os.makedirs(osp.join(save_frames, stem), exist_ok=True)
                    cv2.imwrite(osp.join(save_frames, file_name), img)
                    file_name = osp.relpath(osp.join(save_frames, file_name), video_dir)
                yield dict(img_id=_image_id(vid, i, path), img=img, file_name=file_name,
                           video=stem, vid=vid, frame_idx=i, nframes=n)
                i += 1
            if i == 0:
                raise IOError(f'video {path} decodes no frame (empty or broken file)')
        finally:
            cap.release()


# ----------------------------------------------------------------------------- detection
def detect(model, img, label: int, score_thr: float) -> Tuple[List[dict], tuple]:
    """Person boxes of one image (path or BGR array): ``bbox`` x, y, w, h and ``score``; and
    the image's ``(height, width)``."""
    from mmdet.apis import inference_detector
    result = inference_detector(model, img)
    pred = result.pred_instances
    bboxes = pred.bboxes.cpu().numpy().reshape(-1, 4)
    scores = pred.scores.cpu().numpy().reshape(-1)
    labels = pred.labels.cpu().numpy().reshape(-1)
    keep = (labels == label) & (scores > score_thr) & np.isfinite(bboxes).all(1)
    bboxes, scores = bboxes[keep], scores[keep]
    order = np.argsort(-scores, kind='stable')
    return [dict(bbox=[round(float(b[0]), 3), round(float(b[1]), 3),
                       round(float(b[2] - b[0]), 3), round(float(b[3] - b[1]), 3)],
                 score=round(float(s), 6)) for b, s in zip(bboxes[order], scores[order])], \
        tuple(result.metainfo['ori_shape'][:2])


def run(args: argparse.Namespace) -> List[dict]:
    """Detect people as ``args`` says; write ``--out`` (and ``--out-ann``); return the
    detections. Raises ``OSError`` / ``ValueError`` naming the bad input."""
    # check the input (and every image) before building the model
    if args.keyframe_step < 1:
        raise ValueError(f'--keyframe-step must be >= 1, got {args.keyframe_step}')
    if args.ann_file:
        frames = frames_from_ann(args.ann_file, args.data_root)
        images = None
    else:
        videos = videos_in(args.video_dir)
        if args.out_ann and not args.save_frames and any(not osp.isdir(v[1]) for v in videos):
            raise ValueError('--out-ann with video files needs --save-frames (the image list '
                             'must point at frame files)')
        for _, path, _ in videos:
            if osp.isdir(path):
                frame_files(path)  # two frames with one number: an error, now
            else:
                check_video_file(path)
        frames = frames_from_videos(args.video_dir, args.save_frames)
        images = []

    from mmdet.apis import init_detector
    from mmengine.config import Config
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = init_detector(cfg, args.checkpoint, device=args.device)
    from mmpose_track.apis.inferencer import person_label
    label = person_label(model)

    results, n_frames, n_empty, n_detected, decoded = [], 0, 0, 0, {}
    t0 = time.perf_counter()
    for f in frames:
        if f['frame_idx'] % args.keyframe_step == 0:
            dets, (height, width) = detect(model, f.get('img', f.get('img_path')), label,
                                           args.score_thr)
            n_detected += 1
        else:  # not a keyframe: no detection (the image size is still needed for --out-ann)
            dets = []
            if images is not None:  # --video-dir: 'img' is a frame file or a decoded frame
                img = f['img']
                if isinstance(img, str):
                    import cv2
                    img = cv2.imread(img)
                height, width = img.shape[:2]
        n_frames += 1
        n_empty += not dets
        results.extend(dict(image_id=f['img_id'], category_id=1, **d) for d in dets)
        if images is not None:
            decoded[f['vid']] = decoded.get(f['vid'], 0) + 1
            images.append(dict(id=f['img_id'], file_name=f['file_name'], vid_id=f'{f["vid"]:06d}',
                               frame_id=f['img_id'], nframes=f['nframes'], is_labeled=False,
                               width=int(width), height=int(height)))
    if images is not None and not n_frames:
        raise FileNotFoundError(f'--video-dir: no frames found in {args.video_dir}')
    for img in images or []:  # the frames decoded, not the container's count
        img['nframes'] = decoded[int(img['vid_id'])]
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as fh:
        json.dump(results, fh)
    if args.out_ann and images is not None:
        with open(args.out_ann, 'w') as fh:
            json.dump(dict(images=images, annotations=[],
                           categories=[dict(id=1, name='person', supercategory='person')]), fh)
    dt = time.perf_counter() - t0
    print(f'{len(results)} detections in {n_frames} frames ({n_empty} without any; detector run '
          f'on {n_detected}, {1e3 * dt / max(n_frames, 1):.1f} ms per frame) -> {args.out}')
    return results


def main(argv=None) -> int:
    """Run the command; returns the exit status (2 with a one-line message on bad input)."""
    args = parse_args(argv)
    try:
        run(args)
    except (OSError, ValueError) as e:  # PoseTrack18FormatError is a ValueError
        from mmpose_track.utils import fail_in_one_line
        return fail_in_one_line('detect_people.py', e)
    return 0


if __name__ == '__main__':
    sys.exit(main())
