"""Scene simulation: people walking on a ground plane (gait, turns, crossings), the camera path
(pan, zoom, shot cuts), the textured world canvas with crowds in ignore regions, labelled frames."""
import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .options import (_CAM_HEIGHT, _CYCLE_HZ, _DEPTH_RANGE, _FOCAL, _HORIZON, _MARGIN, _MAX_PAN,
                      _MAX_SCALE, SyntheticPoseTrackOptions)


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
    crossings: List[Dict[str, Any]]  # crossing pairs, the first one is meta.json's 'crossing'
    dropout: Optional[np.ndarray] = None  # (people, T) bool: missing from the detections


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


def _smoothstep(num_frames: int, sweeps: float = 1.0) -> np.ndarray:
    """Ease-in-out ramp from 0 to 1 over the video (zeros for a one-frame video); with ``sweeps``
    s > 1 it goes back and forth s times (0 -> 1 -> 0 ...), each sweep eased, so it moves s times
    as fast within the same range."""
    t = np.linspace(0.0, 1.0, num_frames) if num_frames > 1 else np.zeros(1)
    u = t * sweeps
    turn = np.floor(u)
    t = np.where(turn % 2 == 0, u - turn, 1 - (u - turn))  # triangle wave; t itself when s = 1
    return t * t * (3 - 2 * t)


def _cut_frames(num_frames: int, cuts: int, rng: np.random.Generator) -> List[int]:
    """Frames of up to ``cuts`` shot cuts: one in the middle third of each of ``cuts`` equal
    slots, increasing (a cut that would not come after the previous one is dropped)."""
    frames: List[int] = []
    for i in range(cuts):
        start = i * num_frames // cuts
        length = (i + 1) * num_frames // cuts - start
        low = max(start + length // 3, 1)
        cut = int(rng.integers(low, max(start + 2 * length // 3 + 1, low + 1)))
        cut = min(cut, num_frames - 1)
        if not frames or cut > frames[-1]:
            frames.append(cut)
    return frames


def _camera_path(mode: str, num_frames: int, width: int, height: int, rng: np.random.Generator,
                 strength: float = 1.0,
                 cuts: int = 1) -> Tuple[str, np.ndarray, np.ndarray, List[Dict]]:
    """Per-frame camera (scale, tx, ty), colour gains and the list of camera events.

    Pans and zooms sweep their range back and forth ``strength`` times (so the camera moves
    ``strength`` times as fast); a ``'shot_cut'`` video gets up to ``cuts`` cuts, each a jump of
    the view (cuts after the first jump back towards the centre when they would leave the pan
    bounds) with a new zoom and colour balance.
    """
    if num_frames < 2:
        mode = 'static'
    s0 = rng.uniform(0.95, 1.15)
    t0 = np.array([rng.uniform(-0.1, 0.1) * width, rng.uniform(-0.05, 0.05) * height])
    ramp = _smoothstep(num_frames, strength)
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
        if strength != 1:
            events[-1]['sweeps'] = strength
    if mode in ('zoom', 'pan_zoom'):
        ratio = rng.uniform(1.25, 1.45) if rng.random() < 0.6 else 1 / rng.uniform(1.15, 1.25)
        scale = s0 * ratio**ramp
        events.append({'type': 'zoom', 'start': 0, 'end': num_frames - 1,
                       'scale': [round(float(s0), 4), round(float(s0 * ratio), 4)]})
        if strength != 1:
            events[-1]['sweeps'] = strength
    if mode == 'shot_cut':
        for k, cut in enumerate(_cut_frames(num_frames, cuts, rng)):
            jump = rng.choice([-1.0, 1.0]) * rng.uniform(0.4, 0.6) * width
            if k > 0 and abs(shift[cut, 0] + jump) > _MAX_PAN[0] * width:
                jump = -jump
            shift[cut:, 0] += jump
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
                  camera: np.ndarray,
                  similar: bool) -> Tuple[List[_Person], List[Dict[str, Any]]]:
    """People of one video: crossing pairs first (people 2j and 2j + 1 meet at different depths,
    up to ``opts.crossing_pairs`` pairs), then walkers, standers, entrants."""
    width, height = opts.width, opts.height
    focal = _FOCAL * height
    dt = 1.0 / opts.fps
    low = int(math.ceil(opts.max_people / 2))
    count = int(rng.integers(low, opts.max_people + 1))
    view0 = _view_range(camera[0], width)
    crossings, pairs = [], []
    for j in range(min(opts.crossing_pairs, count // 2) if num_frames >= 2 else 0):
        meet = rng.uniform(0.35, 0.65) * (num_frames - 1)
        lo, hi = _view_range(camera[int(round(meet))], width)
        u_meet = (lo + hi) / 2 + rng.uniform(-0.15, 0.15) * (hi - lo)
        z_near = rng.uniform(3.6, 5.5)
        pairs.append((meet, u_meet, (z_near, min(z_near + rng.uniform(1.2, 2.5), 9.0))))
        crossings.append({'people': [2 * j, 2 * j + 1], 'frame': int(round(meet))})
    people: List[_Person] = []
    for k in range(count):
        colors, sleeves = _appearance(rng)
        height_m, build = rng.uniform(1.55, 1.9), rng.uniform(0.9, 1.15)
        if k < 2 * len(pairs):
            meet, u_meet, z_pair = pairs[k // 2]
            z0 = z_pair[k % 2]
            speed = rng.uniform(1.0, 1.8)
            direction = 1.0 if k % 2 == 0 else -1.0
            x0 = (u_meet - width / 2) * z0 / focal - direction * speed * meet * dt
            heading0 = 0.0 if k % 2 == 0 else math.pi
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
    return people, crossings


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
    mode, camera, gains, events = _camera_path(mode, num_frames, opts.width, opts.height, rng,
                                               opts.camera_strength, opts.shot_cuts)
    regions = _ignore_regions(rng, opts.width, opts.height, camera) if with_regions else []
    canvas = _background(rng, opts.width, opts.height, regions)
    people, crossings = _spawn_people(rng, opts, num_frames, camera, similar)
    labeled = _labeled_frames(num_frames, opts.label_every, opts.dense_frames)
    return _Scene(name, name[:6], num_frames, opts.width, opts.height, camera, gains, mode, events,
                  canvas, regions, people, labeled, crossings)
