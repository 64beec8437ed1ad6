"""Detector noise: misses, jittered boxes and keypoints, duplicates and false positives of a
frame."""
import math
from typing import List, Optional, Tuple

import numpy as np

from mmpose_track.tracking.similarity import bbox_iou_matrix

from .options import _ANN_PER_FRAME, _NUM_JOINTS, SyntheticPoseTrackOptions
from .scene import _body_pose
from .render import _View


def _jitter_box(rng: np.random.Generator, box: np.ndarray, sigma: float, width: int,
                height: int) -> Optional[np.ndarray]:
    """Box with noisy centre and size, clipped to the image; None when degenerate."""
    w, h = box[2] - box[0], box[3] - box[1]
    cx = (box[0] + box[2]) / 2 + rng.normal(0, sigma * w)
    cy = (box[1] + box[3]) / 2 + rng.normal(0, sigma * h)
    w *= math.exp(rng.normal(0, 1.5 * sigma))
    h *= math.exp(rng.normal(0, 1.5 * sigma))
    out = np.array([max(0.0, cx - w / 2), max(0.0, cy - h / 2), min(float(width), cx + w / 2),
                    min(float(height), cy + h / 2)])
    return out if out[2] - out[0] > 2 and out[3] - out[1] > 2 else None


def _noisy_keypoints(rng: np.random.Generator, view: _View, sigma: float, width: int,
                     height: int, score_scale: float) -> np.ndarray:
    """(17, 3) predicted keypoints: jittered positions (more where unseen) and scores."""
    seen = view.labeled
    spread = np.where(seen, 1.0, 2.5)[:, None] * sigma
    xy = view.joints + rng.normal(0, 1, (_NUM_JOINTS, 2)) * spread
    xy = np.clip(xy, 0, [width - 1, height - 1])
    score = np.where(seen, rng.uniform(0.6, 0.98, _NUM_JOINTS),
                     np.where(view.in_image, rng.uniform(0.1, 0.5, _NUM_JOINTS),
                              rng.uniform(0.01, 0.15, _NUM_JOINTS)))
    return np.column_stack([xy, score * score_scale])


def _template_keypoints(rng: np.random.Generator, box: np.ndarray) -> np.ndarray:
    """(17, 3) low-score keypoints of a frontal figure fitted to a false-positive box."""
    pose = _body_pose(np.array([rng.uniform(0, 2 * math.pi)]), np.array([rng.uniform(0, 1)]),
                      1.0)[0, :_NUM_JOINTS]
    w, h = box[2] - box[0], box[3] - box[1]
    xy = np.column_stack([(box[0] + box[2]) / 2 + pose[:, 1] * h,
                          box[3] - pose[:, 2] * h]) + rng.normal(0, 0.03 * h, (_NUM_JOINTS, 2))
    xy = np.clip(xy, box[:2], box[2:])
    return np.column_stack([xy, rng.uniform(0.02, 0.4, _NUM_JOINTS)])


def _dropout_mask(rng: np.random.Generator, num_people: int, num_frames: int, rate: float,
                  max_len: int) -> np.ndarray:
    """(people, frames) bool: where a person is missing from the detections. In every frame a
    person starts a dropout run with probability ``rate``; a run lasts 1..``max_len`` frames
    (runs may overlap and merge)."""
    starts = rng.random((num_people, num_frames)) < rate
    lengths = rng.integers(1, max_len + 1, (num_people, num_frames))
    frames = np.arange(num_frames)
    ends = np.where(starts, frames + lengths, 0)  # first frame after each run
    return np.maximum.accumulate(ends, axis=1) > frames if num_frames else starts


def _person_detections(rng: np.random.Generator, view: _View, opts: SyntheticPoseTrackOptions
                       ) -> List[Tuple[np.ndarray, float, np.ndarray]]:
    """Detections of one person (none when missed, or a box and maybe a duplicate): misses are
    more likely for occluded, truncated and small people."""
    width, height = opts.width, opts.height
    key = [0, 1, 2] + list(range(5, _NUM_JOINTS))
    seen = (view.in_image & ~view.occluded)[key].mean()
    small = (view.box[3] - view.box[1]) < 0.12 * height
    p_miss = opts.det_miss_rate + 0.7 * (1 - seen)**2 + (0.15 if small else 0.0)
    if rng.random() < p_miss:
        return []
    sigma = opts.det_keypoint_jitter * (view.box[3] - view.box[1])
    box = _jitter_box(rng, view.box, opts.det_box_jitter, width, height)
    if box is None:
        return []
    score = float(np.clip(0.97 - 0.45 * (1 - seen) - abs(rng.normal(0, 0.08)) -
                          (0.1 if small else 0.0), 0.05, 0.999))
    dets = [(box, score, _noisy_keypoints(rng, view, sigma, width, height, 1.0))]
    if rng.random() < opts.det_duplicate_rate:
        dup = _jitter_box(rng, view.box, 2.5 * opts.det_box_jitter, width, height)
        if dup is not None:
            dets.append((dup, score * rng.uniform(0.3, 0.8),
                         _noisy_keypoints(rng, view, 2 * sigma, width, height, 0.8)))
    return dets


def _detections(rng: np.random.Generator, views: List[_View], opts: SyntheticPoseTrackOptions,
                dropped: Optional[np.ndarray] = None
                ) -> List[Tuple[np.ndarray, float, np.ndarray]]:
    """Noisy detections of a frame (box x1y1x2y2, score, keypoints (17, 3)), best first:
    misses, jitter, duplicates (:func:`_person_detections`), false positives clear of every
    person.

    ``dropped`` (bool per person index) removes those people's detections (and duplicates) after
    their noise is drawn, so every other detection is the same as without it.
    """
    width, height = opts.width, opts.height
    dets = []
    for view in views:
        found = _person_detections(rng, view, opts)
        if dropped is None or not dropped[view.index]:
            dets += found
    people = np.array([v.box for v in views]).reshape(-1, 4)
    for _ in range(int(rng.poisson(opts.det_false_positives))):
        for _try in range(20):  # a box clear of every person
            h = rng.uniform(0.15, 0.45) * height
            w = h * rng.uniform(0.3, 0.6)
            x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
            box = np.array([x, y, x + w, y + h])
            if not (bbox_iou_matrix(box[None], people)[0] > 0.05).any():
                dets.append((box, rng.uniform(0.05, 0.55), _template_keypoints(rng, box)))
                break
    dets.sort(key=lambda d: -d[1])
    return dets[:_ANN_PER_FRAME]
