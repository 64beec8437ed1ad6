"""Deterministic synthetic PoseTrack18 dataset (the project's embedded default data set).

Pure numpy + OpenCV: importable before the OpenMMLab stack is installed. Entry point:
:func:`generate_synthetic_posetrack18`; command line: ``tools/dataset_converters/
generate_synthetic_posetrack18.py``.

Scene model. People are articulated figures (torso, limbs, head with hair and face) with the 17 COCO
joints, walking on a ground plane seen by a perspective camera: a gait cycle, turns (facing changes,
so left and right swap sides in the image), scale changing with depth, crossings at different
depths, entering and leaving the view. Every frame is then mapped by a global similarity
(scale + translation) that carries the camera's pan, zoom and shot cuts; the textured background is
warped by the same transform. People are drawn from far to near.

Labelling rules (PoseTrack18 conventions; the files meet the official PoseTrack evaluation's input
rules):

- keypoints in COCO order, slots 1 and 2 are ``head_bottom`` and ``head_top``; the ears are never
  labeled (as in PoseTrack18); the nose is not labeled when the person faces away from the camera;
- a keypoint covered by a nearer person (decided on the rendered person-id map) or outside the image
  is not labeled and written ``0, 0, 0``; limbs hidden by the person's own body stay labeled;
- a person is annotated in a labeled frame when at least ``min_keypoints`` keypoints are labeled,
  unless most of them lie strictly inside an ignore region (crowds are not annotated, as in
  PoseTrack); ``track_id`` follows the person's identity through the video (first annotated person
  gets 0), a new person gets a new id;
- ``bbox`` is the drawn figure's box clipped to the image; ``bbox_head`` is the square around the
  head circle (head_top..head_bottom), not clipped, so it always has a positive area;
- labeled frames: a dense middle block of ``dense_frames`` frames plus every ``label_every``-th
  frame (PoseTrack18 val style); unlabeled frames have ``is_labeled: false``, no annotations and
  no ignore regions;
- ids: image id ``10000000000 + int(vid_id) * 10000 + frame``, annotation id ``image_id * 100 + k``.

Detections (every frame, labeled or not; the same boxes in both detection outputs): people are
missed more often when occluded, truncated or small; boxes and keypoints are jittered (keypoints
more, with lower scores, where the person is unseen); some people get a duplicate; false positives
(about ``det_false_positives`` per frame) lie clear of every person. Randomness is drawn from
per-video generators seeded by ``(seed, split, video index)``, separately for the scene and for the
detections, so the output depends only on the options.

Output layout under ``out_dir``::

    images/{split}/{vid}/{frame:06d}.jpg           frames (vid = '000001_mpii_test', ...)
    videos/{split}/{vid}.mp4                        only with write_video=True
    annotations/{split}/{vid}.json                  one PoseTrack18 ground-truth file per video
    annotations/posetrack18_{split}.json            per-split merge (COCO style)
    annotations/posetrack18_{split}_human_detections.json   noisy person boxes (COCO results)
    detections/{split}/{vid}.json                   noisy pose detections, no track_id
    meta.json                                       options, camera events, people, per video
"""
import json
import math
import os
import os.path as osp
import re
import shutil
import zlib
from dataclasses import asdict, dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

__all__ = [
    'CAMERA_MODES', 'KEYPOINT_NAMES', 'POSETRACK18_CATEGORIES', 'SyntheticPoseTrackOptions',
    'generate_synthetic_posetrack18', 'write_synthetic_posetrack18'
]

KEYPOINT_NAMES = ('nose', 'head_bottom', 'head_top', 'left_ear', 'right_ear', 'left_shoulder',
                  'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist',
                  'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle')
SKELETON = [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8],
            [7, 9], [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]]
POSETRACK18_CATEGORIES = [{
    'supercategory': 'person', 'id': 1, 'name': 'person', 'keypoints': list(KEYPOINT_NAMES),
    'skeleton': SKELETON
}]
# Cycled in this order over a split's videos (then shuffled), so small splits get cuts and pans.
CAMERA_MODES = ('shot_cut', 'pan', 'static', 'zoom', 'pan_zoom')

_NUM_JOINTS = 17
_EARS = (3, 4)
_FOCAL = 1.0  # focal length / image height
_HORIZON = 0.3  # horizon row / image height
_CAM_HEIGHT = 2.0  # metres
_DEPTH_RANGE = (3.0, 10.0)  # metres
_CYCLE_HZ = 0.9  # gait cycles per second at 1.3 m/s
_SHIFT = 4  # sub-pixel bits for cv2 drawing
_MAX_SCALE = (0.8, 1.6)  # camera zoom bounds
_MAX_PAN = (0.6, 0.15)  # camera translation bounds / (width, height)
_MARGIN = (1.0, 0.5)  # background canvas margin / (width, height)
_ANN_PER_FRAME = 100  # annotation id = image id * 100 + k
_SPLIT_RE = re.compile(r'^[A-Za-z0-9_-]+$')
_OWNED = ('images', 'videos', 'annotations', 'detections', 'meta.json')


@dataclass
class SyntheticPoseTrackOptions:
    """Options of the synthetic PoseTrack18 generator; the defaults give the embedded default set.

    ``num_videos`` is the number of videos of every split except ``'val'``, which gets
    ``num_val_videos``. A video has ``num_frames`` frames minus up to
    ``length_jitter * num_frames``.
    """
    seed: int = 0
    num_videos: int = 8
    num_val_videos: int = 4
    num_frames: int = 30
    length_jitter: float = 0.2
    max_people: int = 5
    width: int = 320
    height: int = 240
    splits: Tuple[str, ...] = ('train', 'val')
    label_every: int = 4
    dense_frames: int = 20
    fps: float = 15.0
    camera_modes: Tuple[str, ...] = CAMERA_MODES
    ignore_region_ratio: float = 0.35
    similar_pair_ratio: float = 0.5
    min_keypoints: int = 2
    det_miss_rate: float = 0.05
    det_false_positives: float = 0.5
    det_duplicate_rate: float = 0.08
    det_box_jitter: float = 0.05
    det_keypoint_jitter: float = 0.03
    jpeg_quality: int = 90
    write_video: bool = False

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first invalid option."""
        ints = {
            'seed': (0, None), 'num_videos': (1, None), 'num_val_videos': (1, None),
            'num_frames': (1, 9999), 'max_people': (1, 30), 'width': (32, 8192),
            'height': (32, 8192), 'label_every': (1, None), 'dense_frames': (0, None),
            'min_keypoints': (1, 15), 'jpeg_quality': (1, 100)
        }
        for name, (low, high) in ints.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f'{name} must be an int, got {value!r}')
            if value < low or (high is not None and value > high):
                bound = f'>= {low}' if high is None else f'in [{low}, {high}]'
                raise ValueError(f'{name} must be {bound}, got {value!r}')
        floats = {
            'length_jitter': (0.0, 0.99), 'ignore_region_ratio': (0.0, 1.0),
            'similar_pair_ratio': (0.0, 1.0), 'det_miss_rate': (0.0, 1.0),
            'det_duplicate_rate': (0.0, 1.0), 'det_false_positives': (0.0, 20.0),
            'det_box_jitter': (0.0, 1.0), 'det_keypoint_jitter': (0.0, 1.0), 'fps': (1e-3, 1e3)
        }
        for name, (low, high) in floats.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not low <= value <= high:
                raise ValueError(f'{name} must be a number in [{low}, {high}], got {value!r}')
        if isinstance(self.splits, str) or not self.splits or \
                len(set(self.splits)) != len(self.splits) or \
                not all(isinstance(s, str) and _SPLIT_RE.match(s) for s in self.splits):
            raise ValueError(f'splits must be a non-empty sequence of distinct names made of '
                             f'[A-Za-z0-9_-], got {self.splits!r}')
        if isinstance(self.camera_modes, str) or not self.camera_modes or \
                not set(self.camera_modes) <= set(CAMERA_MODES):
            raise ValueError(f'camera_modes must be a non-empty subset of {CAMERA_MODES}, '
                             f'got {self.camera_modes!r}')
        if not isinstance(self.write_video, bool):
            raise ValueError(f'write_video must be a bool, got {self.write_video!r}')
        if sum(self.videos_in(s) for s in self.splits) > 999999:
            raise ValueError('num_videos/num_val_videos: at most 999999 videos in all')

    def videos_in(self, split: str) -> int:
        """Number of videos of ``split``."""
        return self.num_val_videos if split == 'val' else self.num_videos


@dataclass
class _Person:
    """One simulated person: appearance and per-frame state (arrays of length T)."""
    index: int
    height_m: float
    build: float
    colors: Dict[str, Tuple[int, int, int]]
    long_sleeves: bool
    x: np.ndarray
    z: np.ndarray
    heading: np.ndarray
    phase: np.ndarray
    speed: np.ndarray
    similar_to: Optional[int] = None
    points: Optional[np.ndarray] = None  # (T, 19, 2) image coordinates (17 joints + 2 toes)
    depth: Optional[np.ndarray] = None  # (T, 19) camera depth of the points


@dataclass
class _Scene:
    """Everything needed to render and label one video."""
    name: str
    vid_id: str
    num_frames: int
    width: int
    height: int
    camera: np.ndarray  # (T, 3): scale, tx, ty
    gains: np.ndarray  # (T, 3): BGR colour gains (a shot cut changes them)
    camera_mode: str
    camera_events: List[Dict[str, Any]]
    canvas: np.ndarray
    regions: List[np.ndarray]  # ignore polygons in virtual (pre-camera) coordinates
    people: List[_Person]
    labeled: np.ndarray  # (T,) bool
    crossing: Optional[Dict[str, Any]]


@dataclass
class _View:
    """A person as seen in one frame."""
    index: int
    joints: np.ndarray  # (17, 2)
    in_image: np.ndarray  # (17,) bool
    occluded: np.ndarray  # (17,) bool, covered by a nearer person
    hidden: np.ndarray  # (17,) bool, never labeled here (ears, nose facing away)
    box: np.ndarray  # x1, y1, x2, y2 clipped to the image
    head_box: List[float]  # x, y, w, h

    @property
    def labeled(self) -> np.ndarray:
        """Keypoints written as visible in the ground truth."""
        return self.in_image & ~self.occluded & ~self.hidden


# ----------------------------------------------------------------------------------- geometry


def _segment(start: np.ndarray, angle: np.ndarray, length: float) -> np.ndarray:
    """End of a limb of ``length`` at ``angle`` from the downward vertical (forward positive)."""
    return start + length * np.stack([np.sin(angle), np.zeros_like(angle), -np.cos(angle)], -1)


def _body_pose(phase: np.ndarray, amp: np.ndarray, build: float) -> np.ndarray:
    """(T, 19, 3) points (forward, left, up) in body heights: 17 COCO joints, then both toes."""
    pose = np.zeros((phase.shape[0], 19, 3))
    pose[:, 0] = (0.055, 0.0, 0.92)
    pose[:, 1] = (0.0, 0.0, 0.865)
    pose[:, 2] = (0.0, 0.0, 1.0)
    pose[:, 3] = (0.0, 0.06, 0.925)
    pose[:, 4] = (0.0, -0.06, 0.925)
    sin_p, cos_p = np.sin(phase), np.cos(phase)
    for side, sign in ((0, 1.0), (1, -1.0)):
        pose[:, 5 + side] = (0.0, sign * 0.115 * build, 0.815)
        pose[:, 11 + side] = (0.0, sign * 0.075 * build, 0.52)
        leg = sign * 0.45 * amp * sin_p
        arm = -1.1 * leg
        knee = 0.08 + 0.7 * amp * np.maximum(0.0, sign * cos_p)
        pose[:, 7 + side] = _segment(pose[:, 5 + side], arm, 0.175)
        pose[:, 9 + side] = _segment(pose[:, 7 + side], arm + 0.3 + 0.25 * amp, 0.16)
        pose[:, 13 + side] = _segment(pose[:, 11 + side], leg, 0.245)
        pose[:, 15 + side] = _segment(pose[:, 13 + side], leg - knee, 0.245)
        pose[:, 17 + side] = pose[:, 15 + side] + (0.07, 0.0, -0.02)
    pose[:, :, 2] -= (pose[:, 15:17, 2].min(axis=1) - 0.03)[:, None]  # feet on the ground
    return pose


def _project(person: _Person, camera: np.ndarray, width: int,
             height: int) -> Tuple[np.ndarray, np.ndarray]:
    """Image points (T, 19, 2) and depths (T, 19) of a person through the per-frame camera."""
    pose = _body_pose(person.phase, np.minimum(1.0, person.speed / 1.3), person.build)
    a, b, c = (pose[..., k] * person.height_m for k in range(3))
    cos_h, sin_h = np.cos(person.heading)[:, None], np.sin(person.heading)[:, None]
    wx = person.x[:, None] + a * cos_h - b * sin_h
    wz = person.z[:, None] + a * sin_h + b * cos_h
    focal = _FOCAL * height
    u = width / 2 + focal * wx / wz
    v = _HORIZON * height + focal * (_CAM_HEIGHT - c) / wz
    return _apply_camera(np.stack([u, v], -1), camera, width, height), wz


def _apply_camera(points: np.ndarray, camera: np.ndarray, width: int,
                  height: int) -> np.ndarray:
    """Map virtual points (T, N, 2) by the per-frame similarity ``camera`` (T, 3)."""
    scale = camera[:, None, 0:1]
    center = np.array([width / 2, height / 2])
    return points * scale + center * (1 - scale) + camera[:, None, 1:3]


def _view_range(camera: np.ndarray, width: int) -> Tuple[float, float]:
    """Virtual x range seen by one camera state (scale, tx, ty)."""
    scale, tx = camera[0], camera[1]
    offset = width / 2 * (1 - scale) + tx
    return -offset / scale, (width - offset) / scale


def _clip_polygon(poly: np.ndarray, width: int, height: int) -> np.ndarray:
    """Sutherland-Hodgman clip of a polygon (N, 2) to the image rectangle."""
    bounds = ((0, 1.0, 0.0), (0, -1.0, width - 1.0), (1, 1.0, 0.0), (1, -1.0, height - 1.0))
    pts = [p for p in poly]
    for axis, sign, limit in bounds:
        if not pts:
            break
        inside = [sign * (p[axis] - limit) >= 0 for p in pts]
        out = []
        for i, p in enumerate(pts):
            q, q_in = pts[i - 1], inside[i - 1]
            if inside[i] != q_in:
                t = (limit - q[axis]) / (p[axis] - q[axis])
                out.append(q + t * (p - q))
            if inside[i]:
                out.append(p)
        pts = out
    return np.array(pts).reshape(-1, 2)


# ----------------------------------------------------------------------------------- scene


def _smoothstep(num_frames: int) -> np.ndarray:
    """Ease-in-out ramp from 0 to 1 over the video (zeros for a one-frame video)."""
    t = np.linspace(0.0, 1.0, num_frames) if num_frames > 1 else np.zeros(1)
    return t * t * (3 - 2 * t)


def _camera_path(mode: str, num_frames: int, width: int, height: int,
                 rng: np.random.Generator) -> Tuple[str, np.ndarray, np.ndarray, List[Dict]]:
    """Per-frame camera (scale, tx, ty), colour gains and the list of camera events."""
    if num_frames < 2:
        mode = 'static'
    s0 = rng.uniform(0.95, 1.15)
    t0 = np.array([rng.uniform(-0.1, 0.1) * width, rng.uniform(-0.05, 0.05) * height])
    ramp = _smoothstep(num_frames)
    scale = np.full(num_frames, s0)
    shift = np.tile(t0, (num_frames, 1))
    gains = np.ones((num_frames, 3))
    events: List[Dict[str, Any]] = []
    if mode in ('pan', 'pan_zoom'):
        delta = np.array([rng.choice([-1.0, 1.0]) * rng.uniform(0.25, 0.45) * width,
                          rng.uniform(-0.05, 0.05) * height])
        shift = shift + ramp[:, None] * delta
        events.append({'type': 'pan', 'start': 0, 'end': num_frames - 1,
                       'shift': [round(float(d), 2) for d in delta]})
    if mode in ('zoom', 'pan_zoom'):
        ratio = rng.uniform(1.25, 1.45) if rng.random() < 0.6 else 1 / rng.uniform(1.15, 1.25)
        scale = s0 * ratio**ramp
        events.append({'type': 'zoom', 'start': 0, 'end': num_frames - 1,
                       'scale': [round(float(s0), 4), round(float(s0 * ratio), 4)]})
    if mode == 'shot_cut':
        cut = int(rng.integers(max(1, num_frames // 3), max(2, 2 * num_frames // 3 + 1)))
        cut = min(cut, num_frames - 1)
        shift[cut:, 0] += rng.choice([-1.0, 1.0]) * rng.uniform(0.4, 0.6) * width
        shift[cut:, 1] += rng.uniform(-0.08, 0.08) * height
        scale[cut:] *= rng.choice([1.3, 1 / 1.2])
        gains[cut:] = rng.uniform(0.75, 1.25, 3)
        events.append({'type': 'shot_cut', 'frame': cut})
    scale = np.clip(scale, *_MAX_SCALE)
    shift[:, 0] = np.clip(shift[:, 0], -_MAX_PAN[0] * width, _MAX_PAN[0] * width)
    shift[:, 1] = np.clip(shift[:, 1], -_MAX_PAN[1] * height, _MAX_PAN[1] * height)
    return mode, np.column_stack([scale, shift]), gains, events


def _random_color(rng: np.random.Generator, sat: Tuple[float, float],
                  val: Tuple[float, float]) -> Tuple[int, int, int]:
    """A BGR colour with random hue and the given saturation/value ranges (0..255)."""
    hsv = np.uint8([[[rng.integers(0, 180), rng.uniform(*sat), rng.uniform(*val)]]])
    return tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])


def _appearance(rng: np.random.Generator) -> Tuple[Dict[str, Tuple[int, int, int]], bool]:
    """Clothing, skin and hair colours of a person, and whether the sleeves are long."""
    skin_tone = rng.uniform(0.35, 1.0)
    skin = tuple(int(c) for c in np.array([120, 160, 215]) * skin_tone)
    colors = {
        'shirt': _random_color(rng, (90, 255), (90, 255)),
        'trousers': _random_color(rng, (40, 200), (40, 180)),
        'skin': skin,
        'hair': _random_color(rng, (30, 150), (20, 110)),
        'shoes': _random_color(rng, (0, 80), (10, 70)),
    }
    return colors, bool(rng.random() < 0.4)


def _similar_colors(colors: Dict[str, Tuple[int, int, int]],
                    rng: np.random.Generator) -> Dict[str, Tuple[int, int, int]]:
    """A slightly perturbed copy of a colour set (a look-alike)."""
    return {k: tuple(int(np.clip(c + rng.integers(-12, 13), 0, 255)) for c in v)
            for k, v in colors.items()}


def _simulate(rng: np.random.Generator, num_frames: int, dt: float, x0: float, z0: float,
              heading0: float, speed: float, turn_after: int) -> Tuple[np.ndarray, ...]:
    """Walk a person: position, heading, gait phase and speed per frame, with an optional turn."""
    turn_start, turn_len, turn_angle = num_frames, 1, 0.0
    if rng.random() < 0.4 and turn_after < num_frames:
        turn_start = int(rng.integers(turn_after, num_frames))
        turn_len = int(rng.integers(5, 12))
        turn_angle = float(rng.choice([math.pi, -math.pi, math.pi / 2, -math.pi / 2]))
    phase0 = rng.uniform(0, 2 * math.pi)
    xs, zs, hs, ps, ss = (np.empty(num_frames) for _ in range(5))
    x, z, heading, phase = x0, z0, heading0, phase0
    for t in range(num_frames):
        turning = turn_start <= t < turn_start + turn_len
        cur = speed * (0.6 if turning else 1.0)
        xs[t], zs[t], hs[t], ps[t], ss[t] = x, z, heading, phase, cur
        heading += turn_angle / turn_len if turning else 0.0
        x += cur * math.cos(heading) * dt
        z = min(max(z + cur * math.sin(heading) * dt, _DEPTH_RANGE[0]), _DEPTH_RANGE[1])
        phase += 2 * math.pi * _CYCLE_HZ * cur / 1.3 * dt
    return xs, zs, hs, ps, ss


def _spawn_people(rng: np.random.Generator, opts: SyntheticPoseTrackOptions, num_frames: int,
                  camera: np.ndarray, similar: bool) -> Tuple[List[_Person], Optional[Dict]]:
    """People of one video: a crossing pair first (when 2+), then walkers, standers, entrants."""
    width, height = opts.width, opts.height
    focal = _FOCAL * height
    dt = 1.0 / opts.fps
    low = int(math.ceil(opts.max_people / 2))
    count = int(rng.integers(low, opts.max_people + 1))
    view0 = _view_range(camera[0], width)
    crossing = None
    if count >= 2 and num_frames >= 2:  # people 0 and 1 meet at different depths
        meet = rng.uniform(0.35, 0.65) * (num_frames - 1)
        lo, hi = _view_range(camera[int(round(meet))], width)
        u_meet = (lo + hi) / 2 + rng.uniform(-0.15, 0.15) * (hi - lo)
        z_near = rng.uniform(3.6, 5.5)
        z_pair = (z_near, min(z_near + rng.uniform(1.2, 2.5), 9.0))
        crossing = {'people': [0, 1], 'frame': int(round(meet))}
    people: List[_Person] = []
    for k in range(count):
        colors, sleeves = _appearance(rng)
        height_m, build = rng.uniform(1.55, 1.9), rng.uniform(0.9, 1.15)
        if crossing is not None and k < 2:
            z0 = z_pair[k]
            speed = rng.uniform(1.0, 1.8)
            direction = 1.0 if k == 0 else -1.0
            x0 = (u_meet - width / 2) * z0 / focal - direction * speed * meet * dt
            heading0 = 0.0 if k == 0 else math.pi
            turn_after = int(meet) + 4
        else:
            z0 = rng.uniform(3.3, 9.0)
            standing = rng.random() < 0.15
            speed = rng.uniform(0.0, 0.15) if standing else rng.uniform(0.7, 1.9)
            lo, hi = view0
            if not standing and rng.random() < 0.3:  # enters the view from a side
                side = rng.choice([-1.0, 1.0])
                u0 = (hi if side > 0 else lo) + side * rng.uniform(0.1, 0.4) * width
                heading0 = (math.pi if side > 0 else 0.0) + rng.uniform(-0.3, 0.3)
            else:
                u0 = rng.uniform(lo + 0.05 * width, hi - 0.05 * width)
                heading0 = rng.choice([0.0, math.pi]) + rng.uniform(-0.7, 0.7)
            x0 = (u0 - width / 2) * z0 / focal
            turn_after = 0
        x, z, heading, phase, speeds = _simulate(rng, num_frames, dt, x0, z0, heading0, speed,
                                                 turn_after)
        people.append(_Person(k, height_m, build, colors, sleeves, x, z, heading, phase, speeds))
    if similar and count >= 2:
        pair = (0, 1) if rng.random() < 0.5 else tuple(
            int(i) for i in np.sort(rng.choice(count, 2, replace=False)))
        people[pair[1]].colors = _similar_colors(people[pair[0]].colors, rng)
        people[pair[1]].long_sleeves = people[pair[0]].long_sleeves
        people[pair[1]].similar_to = pair[0]
    for p in people:
        p.points, p.depth = _project(p, camera, width, height)
    return people, crossing


def _draw_figure(canvas: np.ndarray, center: Tuple[float, float], size: float,
                 color: Tuple[int, int, int], skin: Tuple[int, int, int]) -> None:
    """A small static person silhouette (crowd member) of pixel height ``size``."""
    x, y = center
    body = (int(x), int(y - size * 0.45))
    cv2.ellipse(canvas, body, (max(1, int(size * 0.14)), max(1, int(size * 0.4))), 0, 0, 360,
                color, -1, cv2.LINE_AA)
    cv2.circle(canvas, (int(x), int(y - size * 0.9)), max(1, int(size * 0.09)), skin, -1,
               cv2.LINE_AA)


def _background(rng: np.random.Generator, width: int, height: int,
                regions: List[np.ndarray]) -> np.ndarray:
    """Textured world canvas (virtual coordinates shifted by the margin): sky, buildings, ground
    with perspective lines, noise, and a crowd inside each ignore region."""
    mx, my = int(_MARGIN[0] * width), int(_MARGIN[1] * height)
    cw, ch = width + 2 * mx, height + 2 * my
    horizon = int(_HORIZON * height) + my
    focal = _FOCAL * height
    canvas = np.empty((ch, cw, 3), np.float32)
    sky_top, sky_low = np.array(_random_color(rng, (60, 160), (150, 230))), np.array(
        _random_color(rng, (10, 60), (200, 250)))
    ramp = np.linspace(0, 1, horizon)[:, None, None]
    canvas[:horizon] = sky_top * (1 - ramp) + sky_low * ramp
    canvas[horizon:] = _random_color(rng, (30, 120), (70, 150))
    img = canvas.astype(np.uint8)
    x = 0
    while x < cw:  # buildings with windows along the horizon
        bw, bh = int(rng.uniform(0.08, 0.25) * width), int(rng.uniform(0.08, 0.3) * height)
        color = _random_color(rng, (10, 120), (60, 200))
        cv2.rectangle(img, (x, horizon - bh), (x + bw, horizon), color, -1)
        window = tuple(int(c * 0.55) for c in color)
        step = max(4, int(0.03 * height))
        for wy in range(horizon - bh + step // 2, horizon - step, step):
            for wx in range(x + step // 2, x + bw - step // 2, step):
                cv2.rectangle(img, (wx, wy), (wx + step // 3, wy + step // 3), window, -1)
        x += bw + int(rng.integers(0, max(2, width // 20)))
    line = tuple(int(c * 0.7) for c in img[-1, 0])
    for depth in np.geomspace(2.0, 60.0, 14):  # ground rows
        row = horizon + int(focal * _CAM_HEIGHT / depth)
        cv2.line(img, (0, row), (cw, row), line, 1, cv2.LINE_AA)
    for lateral in np.arange(-40.0, 41.0, 2.0):  # ground columns towards the vanishing point
        p1 = (mx + int(width / 2 + focal * lateral / 60.0), horizon + int(focal * _CAM_HEIGHT / 60))
        p2 = (mx + int(width / 2 + focal * lateral / 1.5), horizon + int(focal * _CAM_HEIGHT / 1.5))
        cv2.line(img, p1, p2, line, 1, cv2.LINE_AA)
    for poly in regions:  # static crowd, only inside the ignore polygon
        crowd = img.copy()
        pts = poly + (mx, my)
        (x0, y0), (x1, y1) = pts.min(0), pts.max(0)
        feet = rng.uniform((x0, y0), (x1, y1), (int(rng.integers(25, 45)), 2))
        for fx, fy in feet[np.argsort(feet[:, 1])]:
            size = max(4.0, 1.7 * (fy - horizon) / _CAM_HEIGHT)
            _draw_figure(crowd, (fx, fy), size, _random_color(rng, (40, 230), (40, 220)),
                         (110, 150, 200))
        mask = np.zeros(img.shape[:2], np.uint8)
        cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 255)
        img[mask > 0] = crowd[mask > 0]
    coarse = rng.normal(0, 1, (ch // 16 + 1, cw // 16 + 1, 3)) * (14.0, 4.0, 4.0)
    coarse = coarse @ np.array([[1.0, 1.0, 1.0], [1.0, -1.0, 0.0], [0.0, 1.0, -1.0]])
    noise = cv2.resize(coarse.astype(np.float32), (cw, ch), interpolation=cv2.INTER_CUBIC)
    noise += rng.normal(0, 4, (ch, cw, 1)).astype(np.float32)  # mostly brightness texture
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def _ignore_regions(rng: np.random.Generator, width: int, height: int,
                    camera: np.ndarray) -> List[np.ndarray]:
    """One or two crowd polygons (virtual coordinates) near the horizon in the first view."""
    lo, hi = _view_range(camera[0], width)
    regions = []
    for _ in range(1 + int(rng.random() < 0.3)):
        cx = rng.uniform(lo + 0.2 * (hi - lo), hi - 0.2 * (hi - lo))
        cy = (_HORIZON + rng.uniform(0.03, 0.15)) * height
        rx, ry = rng.uniform(0.1, 0.2) * width, rng.uniform(0.07, 0.13) * height
        angles = np.sort(rng.uniform(0, 2 * math.pi, 8))
        radius = rng.uniform(0.75, 1.15, 8)
        regions.append(np.column_stack(
            [cx + rx * radius * np.cos(angles), cy + ry * radius * np.sin(angles)]))
    return regions


def _labeled_frames(num_frames: int, label_every: int, dense_frames: int) -> np.ndarray:
    """Dense middle block plus every ``label_every``-th frame (PoseTrack18 val style)."""
    idx = np.arange(num_frames)
    start = max(0, (num_frames - dense_frames) // 2)
    return (idx % label_every == 0) | ((idx >= start) & (idx < start + dense_frames))


def _balanced(values: Sequence[Any], count: int, rng: np.random.Generator) -> List[Any]:
    """``count`` values cycling through ``values`` (each used about equally), shuffled."""
    cycle = [values[i % len(values)] for i in range(count)]
    return [cycle[i] for i in rng.permutation(count)]


def _flags(count: int, ratio: float, rng: np.random.Generator) -> List[bool]:
    """``ceil(ratio * count)`` True values among ``count``, shuffled."""
    hits = int(math.ceil(ratio * count - 1e-9))
    return _balanced([True] * hits + [False] * (count - hits), count, rng) if count else []


def _build_scene(opts: SyntheticPoseTrackOptions, name: str, rng: np.random.Generator,
                 mode: str, with_regions: bool, similar: bool) -> _Scene:
    """Sample one video: length, camera path, ignore regions, background and people."""
    jitter = int(math.floor(opts.length_jitter * opts.num_frames))
    num_frames = opts.num_frames - int(rng.integers(0, jitter + 1))
    mode, camera, gains, events = _camera_path(mode, num_frames, opts.width, opts.height, rng)
    regions = _ignore_regions(rng, opts.width, opts.height, camera) if with_regions else []
    canvas = _background(rng, opts.width, opts.height, regions)
    people, crossing = _spawn_people(rng, opts, num_frames, camera, similar)
    labeled = _labeled_frames(num_frames, opts.label_every, opts.dense_frames)
    return _Scene(name, name[:6], num_frames, opts.width, opts.height, camera, gains, mode, events,
                  canvas, regions, people, labeled, crossing)


# ----------------------------------------------------------------------------------- rendering


def _fixed(points: np.ndarray) -> np.ndarray:
    """Sub-pixel fixed-point coordinates for cv2 drawing with ``shift=_SHIFT``."""
    return np.round(np.asarray(points) * (1 << _SHIFT)).astype(np.int32)


def _person_primitives(person: _Person, t: int, scale: float, height: int
                       ) -> Tuple[List[Tuple[float, Callable[[np.ndarray, Any, int], None]]],
                                  Tuple[float, float, float]]:
    """Depth-tagged draw calls of one person in frame ``t`` and its head circle (cx, cy, r)."""
    pts, depth = person.points[t], person.depth[t]
    colors = person.colors
    body_px = scale * _FOCAL * height * person.height_m / person.z[t]
    arm_w, leg_w = max(1, int(round(0.045 * body_px))), max(1, int(round(0.06 * body_px)))
    torso_w = max(1, int(round(0.13 * body_px)))
    fx = _fixed(pts)

    def line(i: Union[int, np.ndarray], j: Union[int, np.ndarray], width: int,
             color: Tuple[int, int, int]) -> Callable[[np.ndarray, Any, int], None]:
        a = tuple(fx[i]) if isinstance(i, int) else tuple(_fixed(i))
        b = tuple(fx[j]) if isinstance(j, int) else tuple(_fixed(j))
        return lambda img, col, lt: cv2.line(img, a, b, color if col is None else col, width, lt,
                                             _SHIFT)

    fore = colors['shirt'] if person.long_sleeves else colors['skin']
    shoulders, hips = pts[5:7].mean(0), pts[11:13].mean(0)
    torso = fx[[5, 6, 12, 11]]
    prims = []
    for side in (0, 1):
        prims += [
            (depth[[5 + side, 7 + side]].mean(), line(5 + side, 7 + side, arm_w, colors['shirt'])),
            (depth[[7 + side, 9 + side]].mean(), line(7 + side, 9 + side, arm_w, fore)),
            (depth[[11 + side, 13 + side]].mean(),
             line(11 + side, 13 + side, leg_w, colors['trousers'])),
            (depth[[13 + side, 15 + side]].mean(),
             line(13 + side, 15 + side, leg_w, colors['trousers'])),
            (depth[[15 + side, 17 + side]].mean(),
             line(15 + side, 17 + side, max(1, leg_w - 1), colors['shoes'])),
        ]
    torso_z = depth[[5, 6, 11, 12]].mean()
    prims += [
        (torso_z, lambda img, col, lt: cv2.fillConvexPoly(
            img, torso, colors['shirt'] if col is None else col, lt, _SHIFT)),
        (torso_z - 1e-4, line(shoulders, hips, torso_w, colors['shirt'])),
        (torso_z - 2e-4, line(11, 12, leg_w, colors['trousers'])),
        (torso_z - 3e-4, line(5, 6, arm_w, colors['shirt'])),
        (torso_z - 4e-4, line(1, shoulders, arm_w, colors['skin'])),
    ]
    center = (pts[1] + pts[2]) / 2
    radius = max(1.0, float(np.linalg.norm(pts[2] - pts[1])) / 2)
    heading = person.heading[t]
    face = center + radius * np.array([0.3 * math.cos(heading), 0.15])
    c_fx, f_fx, r_fx = tuple(_fixed(center)), tuple(_fixed(face)), int(radius * (1 << _SHIFT))
    head_z = depth.min() - 1e-3  # the head is drawn last: nothing of the body covers it

    def head(img: np.ndarray, col: Any, lt: int) -> None:
        cv2.circle(img, c_fx, r_fx, colors['hair'] if col is None else col, -1, lt, _SHIFT)
        if col is None and math.sin(heading) < 0.25:  # face visible unless facing away
            cv2.circle(img, f_fx, int(r_fx * 0.75), colors['skin'], -1, lt, _SHIFT)

    prims.append((head_z, head))
    return prims, (float(center[0]), float(center[1]), radius)


def _render(scene: _Scene, t: int) -> Tuple[np.ndarray, List[_View]]:
    """Frame ``t`` of a video (BGR) and the people as seen in it (far to near)."""
    width, height = scene.width, scene.height
    scale, tx, ty = scene.camera[t]
    mx, my = _MARGIN[0] * width, _MARGIN[1] * height
    offset = np.array([width / 2, height / 2]) * (1 - scale) + (tx, ty)
    warp = np.float64([[scale, 0, offset[0] - scale * mx], [0, scale, offset[1] - scale * my]])
    img = cv2.warpAffine(scene.canvas, warp, (width, height), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REFLECT_101)
    id_map = np.zeros((height, width), np.uint8)
    order = sorted(scene.people, key=lambda p: (-p.z[t], p.index))
    heads = {}
    for person in order:
        prims, heads[person.index] = _person_primitives(person, t, scale, height)
        for _, draw in sorted(prims, key=lambda p: -p[0]):
            draw(img, None, cv2.LINE_AA)
            draw(id_map, person.index + 1, cv2.LINE_8)
    if not np.allclose(scene.gains[t], 1.0):
        img = np.clip(img * scene.gains[t], 0, 255).astype(np.uint8)
    views = []
    for person in order:
        view = _make_view(person, t, heads[person.index], id_map, scale, width, height)
        if view is not None:
            views.append(view)
    return img, views


def _make_view(person: _Person, t: int, head: Tuple[float, float, float], id_map: np.ndarray,
               scale: float, width: int, height: int) -> Optional[_View]:
    """Visibility of one person's joints in a rendered frame; None when not in the image."""
    pts = person.points[t]
    joints = pts[:_NUM_JOINTS]
    hx, hy, hr = head
    pad = 0.04 * scale * _FOCAL * height * person.height_m / person.z[t]
    x1 = min(pts[:, 0].min() - pad, hx - hr)
    y1 = min(pts[:, 1].min() - pad, hy - hr)
    x2 = max(pts[:, 0].max() + pad, hx + hr)
    y2 = max(pts[:, 1].max() + pad, hy + hr)
    box = np.array([max(0.0, x1), max(0.0, y1), min(float(width), x2), min(float(height), y2)])
    if box[2] - box[0] <= 1 or box[3] - box[1] <= 1:
        return None
    in_image = ((joints[:, 0] >= 0) & (joints[:, 0] <= width - 1) & (joints[:, 1] >= 0) &
                (joints[:, 1] <= height - 1))
    occluded = np.zeros(_NUM_JOINTS, bool)
    cols = np.clip(np.round(joints[:, 0]).astype(int), 0, width - 1)
    rows = np.clip(np.round(joints[:, 1]).astype(int), 0, height - 1)
    owner = id_map[rows, cols].astype(int)
    occluded[in_image] = (owner[in_image] != 0) & (owner[in_image] != person.index + 1)
    hidden = np.zeros(_NUM_JOINTS, bool)
    hidden[list(_EARS)] = True
    hidden[0] = math.sin(person.heading[t]) > 0.25  # nose of a person facing away
    head_box = [hx - hr, hy - hr, 2 * hr, 2 * hr]
    return _View(person.index, joints, in_image, occluded, hidden, box, head_box)


# ----------------------------------------------------------------------------------- labels


def _r(value: float, digits: int = 2) -> float:
    """A JSON-friendly rounded float."""
    return round(float(value), digits)


def _xywh(box: np.ndarray) -> List[float]:
    """x1, y1, x2, y2 -> rounded [x, y, w, h]."""
    return [_r(box[0]), _r(box[1]), _r(box[2] - box[0]), _r(box[3] - box[1])]


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one x1y1x2y2 box with (N, 4) boxes."""
    if len(boxes) == 0:
        return np.zeros(0)
    lt = np.maximum(box[:2], boxes[:, :2])
    rb = np.minimum(box[2:], boxes[:, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=1)
    area = np.prod(box[2:] - box[:2])
    areas = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    return inter / (area + areas - inter)


def _in_regions(points: np.ndarray, polygons: List[np.ndarray]) -> np.ndarray:
    """Whether each point (N, 2) lies strictly inside any polygon."""
    inside = np.zeros(len(points), bool)
    for poly in polygons:
        contour = poly.astype(np.float32).reshape(-1, 1, 2)
        inside |= np.array([cv2.pointPolygonTest(contour, (float(x), float(y)), False) > 0
                            for x, y in points], bool)
    return inside


def _frame_regions(scene: _Scene, t: int) -> List[np.ndarray]:
    """Ignore polygons of frame ``t`` in image pixels (integers, clipped; small ones dropped)."""
    out = []
    for poly in scene.regions:
        mapped = _apply_camera(poly[None], scene.camera[t:t + 1], scene.width, scene.height)[0]
        clipped = np.round(_clip_polygon(mapped, scene.width, scene.height))
        if len(clipped) >= 3 and cv2.contourArea(clipped.astype(np.float32)) > 1:
            out.append(clipped.astype(np.int64))
    return out


def _annotations(views: List[_View], regions: List[np.ndarray], image_id: int,
                 track_ids: Dict[int, int], min_keypoints: int) -> List[Dict[str, Any]]:
    """Ground-truth annotations of a labeled frame, sorted by track id."""
    chosen = []
    for view in views:
        labeled = view.labeled
        if labeled.sum() < min_keypoints:
            continue
        if regions and _in_regions(view.joints[labeled], regions).mean() > 0.5:
            continue
        chosen.append(view)
    for view in sorted(chosen, key=lambda v: v.index):
        track_ids.setdefault(view.index, len(track_ids))
    anns = []
    for k, view in enumerate(sorted(chosen, key=lambda v: track_ids[v.index])):
        kpts: List[Union[int, float]] = []
        for (x, y), seen in zip(view.joints, view.labeled):
            kpts += [_r(x), _r(y), 1] if seen else [0, 0, 0]
        anns.append({
            'bbox_head': [_r(v) for v in view.head_box],
            'keypoints': kpts,
            'track_id': track_ids[view.index],
            'image_id': image_id,
            'bbox': _xywh(view.box),
            'scores': [],
            'category_id': 1,
            'id': image_id * _ANN_PER_FRAME + k,
            'iscrowd': False,
            'num_keypoints': int(view.labeled.sum()),
        })
    return anns


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


def _detections(rng: np.random.Generator, views: List[_View], opts: SyntheticPoseTrackOptions
                ) -> List[Tuple[np.ndarray, float, np.ndarray]]:
    """Noisy detections of a frame (box x1y1x2y2, score, keypoints (17, 3)), best first:
    misses (more for occluded, truncated and small people), jitter, duplicates, false positives."""
    width, height = opts.width, opts.height
    dets = []
    key = [0, 1, 2] + list(range(5, _NUM_JOINTS))
    for view in views:
        seen = (view.in_image & ~view.occluded)[key].mean()
        small = (view.box[3] - view.box[1]) < 0.12 * height
        p_miss = opts.det_miss_rate + 0.7 * (1 - seen)**2 + (0.15 if small else 0.0)
        if rng.random() < p_miss:
            continue
        sigma = opts.det_keypoint_jitter * (view.box[3] - view.box[1])
        box = _jitter_box(rng, view.box, opts.det_box_jitter, width, height)
        if box is None:
            continue
        score = float(np.clip(0.97 - 0.45 * (1 - seen) - abs(rng.normal(0, 0.08)) -
                              (0.1 if small else 0.0), 0.05, 0.999))
        dets.append((box, score, _noisy_keypoints(rng, view, sigma, width, height, 1.0)))
        if rng.random() < opts.det_duplicate_rate:
            dup = _jitter_box(rng, view.box, 2.5 * opts.det_box_jitter, width, height)
            if dup is not None:
                dets.append((dup, score * rng.uniform(0.3, 0.8),
                             _noisy_keypoints(rng, view, 2 * sigma, width, height, 0.8)))
    people = np.array([v.box for v in views]).reshape(-1, 4)
    for _ in range(int(rng.poisson(opts.det_false_positives))):
        for _try in range(20):  # a box clear of every person
            h = rng.uniform(0.15, 0.45) * height
            w = h * rng.uniform(0.3, 0.6)
            x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
            box = np.array([x, y, x + w, y + h])
            if not (_iou(box, people) > 0.05).any():
                dets.append((box, rng.uniform(0.05, 0.55), _template_keypoints(rng, box)))
                break
    dets.sort(key=lambda d: -d[1])
    return dets[:_ANN_PER_FRAME]


# ----------------------------------------------------------------------------------- writing


def _image_entry(scene: _Scene, split: str, t: int, regions: List[np.ndarray]) -> Dict[str, Any]:
    """PoseTrack18 ``images`` entry of frame ``t``."""
    image_id = 10000000000 + int(scene.vid_id) * 10000 + t
    return {
        'has_no_densepose': True,
        'is_labeled': bool(scene.labeled[t]),
        'file_name': f'images/{split}/{scene.name}/{t:06d}.jpg',
        'nframes': scene.num_frames,
        'frame_id': image_id,
        'vid_id': scene.vid_id,
        'ignore_regions_y': [[int(v) for v in poly[:, 1]] for poly in regions],
        'ignore_regions_x': [[int(v) for v in poly[:, 0]] for poly in regions],
        'id': image_id,
        'width': scene.width,
        'height': scene.height,
    }


def _dump(obj: Any, path: str) -> None:
    """Write compact JSON."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f)


def _write_video(scene: _Scene, split: str, out_dir: str, opts: SyntheticPoseTrackOptions,
                 det_rng: np.random.Generator) -> Tuple[Dict, Dict, List[Dict], Dict]:
    """Render, save and label one video: GT file, detections file, box list and its metadata."""
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
        for k, (box, score, kpts) in enumerate(_detections(det_rng, views, opts)):
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
        'crossing': scene.crossing,
        'people': [{
            'person': p.index, 'track_id': track_ids.get(p.index),
            'height_m': _r(p.height_m), 'similar_to': p.similar_to,
            'colors': {k: list(v) for k, v in p.colors.items()},
        } for p in scene.people],
    }
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
                            'options': asdict(options), 'splits': {}}
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
                                   seed: int = 0,
                                   num_videos: int = 8,
                                   num_frames: int = 30,
                                   max_people: int = 5,
                                   width: int = 320,
                                   height: int = 240,
                                   splits: Union[str, Sequence[str]] = ('train', 'val'),
                                   num_val_videos: int = 4,
                                   overwrite: bool = False,
                                   **options: Any) -> Dict[str, Any]:
    """Write a deterministic synthetic PoseTrack18 dataset under ``out_dir``.

    Further keyword options are the fields of :class:`SyntheticPoseTrackOptions`. Invalid options
    raise ``ValueError`` naming the option; a non-empty ``out_dir`` raises ``FileExistsError``
    unless it holds an earlier output and ``overwrite`` is set. Returns a summary per split
    (video names, frame, labeled-frame, annotation and detection counts).
    """
    opts = SyntheticPoseTrackOptions(
        seed=seed, num_videos=num_videos, num_frames=num_frames, max_people=max_people,
        width=width, height=height, splits=(splits, ) if isinstance(splits, str) else tuple(splits),
        num_val_videos=num_val_videos, **options)
    return write_synthetic_posetrack18(out_dir, opts, overwrite)
