#!/usr/bin/env python
"""Track detected poses offline: one PoseTrack18 JSON per video in, the same with track ids out.

    python tools/track.py DETS_DIR --tracker configs/trackers/oks_hungarian.py --out PRED_DIR

``DETS_DIR`` holds one PoseTrack18 file per video (``images``, ``annotations`` with
``keypoints`` ``[x, y, score] * K``, ``bbox`` ``[x, y, w, h]``, ``score``, ``image_id``, ``id``;
no track ids). Every ``*.json`` file gets a file of the same name in ``PRED_DIR`` with the same
content plus a ``track_id`` on every annotation: ``>= 0``, unique within its frame, ``< 10000``
(ids are renumbered ``0, 1, …`` per video by first appearance; only a video with more than 10000
tracks reuses the id of a track that has ended). Every annotation and its ``id`` is kept (unless
``--drop-short-tracks``).

Frames are the file's ``images`` sorted by frame index (the number in the image file name, else
``frame_id``, else ``id``; the position in that order when indices repeat or are missing); the
tracker is reset per file and sees the real frame index, so unlabelled gaps age the tracks.
"""
import argparse
import copy
import heapq
import json
import os
import os.path as osp
import re
import sys
import types
import warnings
from collections import defaultdict
from typing import Any, Dict, List, Tuple

import numpy as np

MAX_TRACK_ID = 10000


def _import_tracking():
    """``mmpose_track.tracking`` — also without the full OpenMMLab stack (it only needs numpy,
    scipy and mmengine): if importing the package fails, load the subpackage on its own."""
    root = osp.dirname(osp.dirname(osp.abspath(__file__)))
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        import mmpose_track.tracking as tracking
        return tracking
    except ImportError:
        for name in [n for n in sys.modules if n == 'mmpose_track' or n.startswith('mmpose_track.')]:
            del sys.modules[name]
        pkg = types.ModuleType('mmpose_track')
        pkg.__path__ = [osp.join(root, 'mmpose_track')]
        sys.modules['mmpose_track'] = pkg
        import mmpose_track.tracking as tracking
        return tracking


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('dets_dir', help='folder of PoseTrack18 JSON files with detected poses')
    p.add_argument('--tracker', required=True, help='tracker config (defines `tracker = dict()`)')
    p.add_argument('--out', required=True, help='output folder for the tracked files')
    p.add_argument('--features', nargs='*', default=[],
                   help='annotation keys passed to the tracker as per-person features '
                   '(e.g. embeddings)')
    p.add_argument('--joint-score-thr', type=float, default=None,
                   help='zero the score of joints below it in the output (default: the '
                   "tracker's joint_score_thr; 0 = off)")
    p.add_argument('--drop-short-tracks', action='store_true',
                   help="remove annotations of tracks shorter than the tracker's "
                   'min_track_length (breaks "every annotation kept")')
    return p.parse_args(argv)


_DIGITS = re.compile(r'(\d+)(?!.*\d)')


def frame_order(images: List[Dict[str, Any]]) -> Tuple[List[int], List[int]]:
    """Order of the images and the frame index the tracker sees for each (in that order)."""
    keys = []
    for pos, img in enumerate(images):
        key = None
        name = img.get('file_name')
        if isinstance(name, str):
            m = _DIGITS.search(osp.splitext(osp.basename(name))[0])
            if m:
                key = int(m.group(1))
        if key is None:
            for field in ('frame_id', 'id'):
                try:
                    key = int(img[field])
                    break
                except (KeyError, TypeError, ValueError):
                    continue
        keys.append(key)
    if any(k is None for k in keys):
        return list(range(len(images))), list(range(len(images)))
    order = sorted(range(len(images)), key=lambda i: (keys[i], i))
    idx = [keys[i] for i in order]
    if len(set(idx)) != len(idx):
        idx = list(range(len(images)))
    else:
        base = idx[0] if idx else 0
        idx = [k - base for k in idx]  # frame_id values are large (video * 10000 + index)
    return order, idx


def _to_pose(ann: Dict[str, Any], num_kpts: int) -> np.ndarray:
    kp = ann.get('keypoints')
    try:
        arr = np.asarray(kp, dtype=np.float64).reshape(-1, 3)
    except (TypeError, ValueError):
        arr = np.zeros((0, 3))
    if arr.shape[0] != num_kpts:
        return np.full((num_kpts, 3), np.nan)
    return arr


def _to_box(ann: Dict[str, Any]) -> np.ndarray:
    b = ann.get('bbox')
    try:
        x, y, w, h = (float(v) for v in b)
        return np.array([x, y, x + w, y + h])
    except (TypeError, ValueError):
        return np.full(4, np.nan)


def compact_ids(frames_ids: List[np.ndarray]) -> Tuple[List[np.ndarray], int]:
    """Renumber ids per video ``0..T-1`` by first appearance; with more than ``MAX_TRACK_ID``
    tracks, reuse ids of tracks whose last frame is over (interval colouring, so ids stay unique
    within each frame). Returns the new ids per frame and the number of distinct output ids."""
    first, last = {}, {}
    for f, ids in enumerate(frames_ids):
        for t in ids.tolist():
            first.setdefault(t, f)
            last[t] = f
    tracks = sorted(first, key=lambda t: (first[t], t))
    if len(tracks) <= MAX_TRACK_ID:
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
            if new >= MAX_TRACK_ID:
                raise RuntimeError(f'more than {MAX_TRACK_ID} simultaneous tracks in one video')
            mapping[t] = new
            heapq.heappush(busy, (last[t], new))
    out = [np.asarray([mapping[t] for t in ids.tolist()], dtype=np.int64) for ids in frames_ids]
    return out, len(set(mapping.values()))


def track_video(data: Dict[str, Any], tracker, features=(), joint_score_thr: float = 0.0,
                drop_short: bool = False, filter_fn=None) -> Dict[str, Any]:
    """Track one PoseTrack18 video dict; returns a deep copy with ``track_id`` everywhere."""
    out = copy.deepcopy(data)
    images = out.get('images') or []
    anns = out.get('annotations') or []
    by_image = defaultdict(list)
    for a in anns:
        by_image[a.get('image_id')].append(a)
    num_kpts = None
    for a in anns:
        kp = a.get('keypoints')
        if isinstance(kp, list) and len(kp) % 3 == 0 and kp:
            num_kpts = len(kp) // 3
            break
    num_kpts = num_kpts or 17
    tracker.reset()
    order, fidx = frame_order(images)
    frame_anns, frame_raw_ids = [], []
    for pos, fi in zip(order, fidx):
        group = by_image.get(images[pos].get('id'), [])
        kpts = np.stack([_to_pose(a, num_kpts) for a in group]) if group else \
            np.zeros((0, num_kpts, 3))
        boxes = np.stack([_to_box(a) for a in group]) if group else np.zeros((0, 4))
        feats = {}
        for key in features:
            vals = [a.get(key) for a in group]
            if group and all(v is not None for v in vals):
                feats[key] = np.asarray(vals, dtype=np.float64)
        ids = tracker.update(kpts, boxes, fi, **feats)
        frame_anns.append(group)
        frame_raw_ids.append(np.asarray(ids, dtype=np.int64))
    seen_images = {images[p].get('id') for p in order}
    orphans = [a for img_id, g in by_image.items() if img_id not in seen_images for a in g]
    keep_track = None
    if drop_short:
        remap = tracker.finalize()
        keep_track = {t for t, v in remap.items() if v >= 0}
    if keep_track is not None:
        frame_raw_ids = [ids for ids in frame_raw_ids]
        dropped = set()
        for g, ids in zip(frame_anns, frame_raw_ids):
            for a, t in zip(g, ids.tolist()):
                if t not in keep_track:
                    dropped.add(id(a))
        kept_pairs = [[(a, t) for a, t in zip(g, ids.tolist()) if id(a) not in dropped]
                      for g, ids in zip(frame_anns, frame_raw_ids)]
        frame_anns = [[a for a, _ in p] for p in kept_pairs]
        frame_raw_ids = [np.asarray([t for _, t in p], dtype=np.int64) for p in kept_pairs]
        out['annotations'] = [a for a in anns if id(a) not in dropped]
    new_ids, n_ids = compact_ids(frame_raw_ids)
    for g, ids in zip(frame_anns, new_ids):
        for a, t in zip(g, ids.tolist()):
            a['track_id'] = int(t)
    if orphans:
        warnings.warn(f'{len(orphans)} annotations point to no image; each gets its own track id')
        for a in orphans:
            if n_ids >= MAX_TRACK_ID:
                raise RuntimeError('no track id left for annotations without an image')
            a['track_id'] = n_ids
            n_ids += 1
    if joint_score_thr and joint_score_thr > 0:
        for a in out['annotations']:
            kp = a.get('keypoints')
            if isinstance(kp, list) and len(kp) == 3 * num_kpts:
                arr = filter_fn(np.asarray(kp, dtype=np.float64).reshape(-1, 3), joint_score_thr)
                low = arr[:, 2] == 0
                a['keypoints'] = [float(v) for v in arr.reshape(-1)]
                if isinstance(a.get('scores'), list) and len(a['scores']) == num_kpts:
                    a['scores'] = [0.0 if z else float(s) for s, z in zip(a['scores'], low)]
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    tracking = _import_tracking()
    from mmengine.config import Config
    cfg = Config.fromfile(args.tracker)
    if 'tracker' not in cfg:
        raise SystemExit(f'{args.tracker} does not define `tracker = dict(...)`')
    tracker = tracking.build_tracker(cfg['tracker'])
    thr = tracker.joint_score_thr if args.joint_score_thr is None else args.joint_score_thr
    if not osp.isdir(args.dets_dir):
        raise SystemExit(f'not a folder: {args.dets_dir}')
    files = sorted(f for f in os.listdir(args.dets_dir) if f.endswith('.json'))
    if not files:
        raise SystemExit(f'no .json files in {args.dets_dir}')
    os.makedirs(args.out, exist_ok=True)
    n_anns = 0
    for name in files:
        with open(osp.join(args.dets_dir, name)) as f:
            data = json.load(f)
        if not isinstance(data, dict):
            raise SystemExit(f'{name}: not a PoseTrack18 file (top level is not an object)')
        res = track_video(data, tracker, args.features, thr, args.drop_short_tracks,
                          tracking.filter_low_score_joints)
        n_anns += len(res.get('annotations') or [])
        with open(osp.join(args.out, name), 'w') as f:
            json.dump(res, f)
    print(f'tracked {len(files)} videos, {n_anns} annotations -> {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
