"""Labelling: PoseTrack18 ground-truth annotations and image entries of a rendered frame
(ignore regions, track ids, rounding)."""
from typing import Any, Dict, List, Union

import cv2
import numpy as np

from mmpose_track.structures.polygon import points_in_polygons

from .options import _ANN_PER_FRAME
from .scene import _apply_camera, _clip_polygon, _Scene
from .render import _View


def _r(value: float, digits: int = 2) -> float:
    """A JSON-friendly rounded float."""
    return round(float(value), digits)


def _xywh(box: np.ndarray) -> List[float]:
    """x1, y1, x2, y2 -> rounded [x, y, w, h]."""
    return [_r(box[0]), _r(box[1]), _r(box[2] - box[0]), _r(box[3] - box[1])]


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
        if regions and points_in_polygons(view.joints[labeled], regions).mean() > 0.5:
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
