"""Rendering: people drawn far to near over the warped canvas, and what each person shows in a
frame (joints in the image, occluded by a nearer person, never labelled)."""
import math
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Tuple, Union

import cv2
import numpy as np

from .options import _EARS, _FOCAL, _MARGIN, _NUM_JOINTS, _SHIFT
from .scene import _Person, _Scene


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
