"""MMPose's visualizer with people coloured by track id (MMDet's ``TrackLocalVisualizer`` does the
same for boxes).

:class:`PoseTrackLocalVisualizer` draws tracked predictions (``pred_instances.track_ids``): each
person's skeleton, joints and box in the colour of its track id (:func:`track_color`, stable over
frames and videos), the id above the head, and optionally the frame index in the top-left corner.
Predictions without ``track_ids`` are drawn as :class:`~mmpose.visualization.PoseLocalVisualizer`
does. Used by :class:`~mmpose_track.engine.hooks.PoseTrackVisualizationHook`
(``tools/test.py --show-dir``) and :func:`mmpose_track.apis.render_tracked_video`
(``tools/render_tracks.py``).
"""
from typing import Dict, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmengine.structures import InstanceData
from mmpose.registry import VISUALIZERS
from mmpose.visualization import PoseLocalVisualizer

from mmpose_track.structures.posetrack18_format import POSETRACK18_SKELETON_LINKS

__all__ = ['PoseTrackLocalVisualizer', 'TRACK_PALETTE', 'UNTRACKED_COLOR', 'NECK_LINKS',
           'POSETRACK18_DRAW_LINKS', 'track_color']

#: 20 well-separated colours (RGB; matplotlib's tab10 + a darker/lighter set), indexed by
#: ``track_id % 20``.
TRACK_PALETTE = np.array([
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (188, 189, 34), (23, 190, 207), (255, 215, 0),
    (174, 199, 232), (255, 187, 120), (152, 223, 138), (255, 152, 150), (197, 176, 213),
    (196, 156, 148), (247, 182, 210), (219, 219, 141), (158, 218, 229), (128, 0, 128),
], np.uint8)
#: colour of people without a track (id < 0)
UNTRACKED_COLOR = (128, 128, 128)
#: PoseTrack18 leaves the ears (slots 3, 4) empty, so the COCO links ear-shoulder never show:
#: these join head_bottom (slot 1) to the shoulders instead.
NECK_LINKS: Tuple[Tuple[int, int], ...] = ((1, 5), (1, 6))
#: links drawn when the dataset metainfo gives none: the files' skeleton plus :data:`NECK_LINKS`
POSETRACK18_DRAW_LINKS: Tuple[Tuple[int, int], ...] = tuple(POSETRACK18_SKELETON_LINKS) + NECK_LINKS
#: joints where the id label goes, first present wins: head_top, head_bottom, nose, ears
_LABEL_JOINTS = (2, 1, 0, 3, 4)


def track_color(track_id: Optional[int]) -> Tuple[int, int, int]:
    """RGB colour of a track id: the same id always gets the same colour.

    Args:
        track_id: the id; ``None`` or negative means untracked.

    Returns:
        ``(r, g, b)`` ints; :data:`UNTRACKED_COLOR` for untracked people.
    """
    if track_id is None or track_id < 0:
        return UNTRACKED_COLOR
    return tuple(int(c) for c in TRACK_PALETTE[int(track_id) % len(TRACK_PALETTE)])


def _to_numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if hasattr(x, 'detach') else np.asarray(x)


@VISUALIZERS.register_module()
class PoseTrackLocalVisualizer(PoseLocalVisualizer):
    """``PoseLocalVisualizer`` that colours people by ``pred_instances.track_ids``.

    A joint is drawn when its coordinates and score are finite and its score is ``> kpt_thr``
    (missing ``(0, 0)`` joints with score 0 are skipped); a link when both its joints are. Scores
    are ``keypoint_scores`` (else ``keypoints_visible``, else 1). Lines, joints and labels are
    drawn with OpenCV (anti-aliased), so only the ``'opencv'`` backend is supported.

    Args:
        radius (int, optional): joint radius in pixels; ``None``: ``max(2, min(h, w) / 80)``.
        line_width (int, optional): limb width; ``None``: ``max(2, min(h, w) / 120)``.
        skeleton (sequence, optional): 0-based links used when the dataset metainfo
            (``skeleton_links``) gives none; default :data:`POSETRACK18_DRAW_LINKS`.
        draw_track_ids (bool): write the id above each person's head.
        draw_frame_idx (bool): write the sample's ``frame_idx`` in the top-left corner.
        Others: as :class:`~mmpose.visualization.PoseLocalVisualizer`.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 image: Optional[np.ndarray] = None,
                 vis_backends: Optional[Dict] = None,
                 save_dir: Optional[str] = None,
                 bbox_color: Union[str, Tuple[int, int, int]] = 'green',
                 kpt_color: Union[str, Tuple[Tuple[int]]] = 'red',
                 link_color=None,
                 text_color: Tuple[int, int, int] = (255, 255, 255),
                 skeleton: Optional[Sequence[Sequence[int]]] = POSETRACK18_DRAW_LINKS,
                 line_width: Optional[int] = None,
                 radius: Optional[int] = None,
                 show_keypoint_weight: bool = False,
                 backend: str = 'opencv',
                 alpha: float = 1.0,
                 draw_track_ids: bool = True,
                 draw_frame_idx: bool = False) -> None:
        if backend != 'opencv':
            raise ValueError(f'{type(self).__name__} draws with OpenCV: backend must be '
                             f"'opencv', got {backend!r}")
        super().__init__(name=name, image=image, vis_backends=vis_backends, save_dir=save_dir,
                         bbox_color=bbox_color, kpt_color=kpt_color, link_color=link_color,
                         text_color=text_color, skeleton=skeleton, line_width=line_width,
                         radius=radius, show_keypoint_weight=show_keypoint_weight,
                         backend=backend, alpha=alpha)
        self.fixed_radius, self.fixed_line_width = radius, line_width
        self.draw_track_ids = draw_track_ids
        self.draw_frame_idx = draw_frame_idx
        self._frame_idx = None

    # ----------------------------------------------------------------------------- sizes
    def _sizes(self, image: np.ndarray) -> Tuple[int, int]:
        """Joint radius and line width for ``image`` (fixed ones, else from its size)."""
        size = max(min(image.shape[:2]), 1)
        radius = self.fixed_radius or max(2, int(round(size / 80)))
        width = self.fixed_line_width or max(2, int(round(size / 120)))
        return radius, width

    def _draw_instances_bbox(self, image: np.ndarray, instances: InstanceData) -> np.ndarray:
        if 'track_ids' not in instances or 'bboxes' not in instances:
            if self.fixed_line_width is None:  # MMPose's drawing needs a number
                self.line_width = self._sizes(image)[1]
            return super()._draw_instances_bbox(image, instances)
        img = np.ascontiguousarray(image).copy()
        _, width = self._sizes(img)
        boxes = np.round(_to_numpy(instances.bboxes).astype(np.float64)).astype(np.int64)
        for box, tid in zip(boxes, _to_numpy(instances.track_ids).reshape(-1)):
            if np.all(np.abs(box) < 1 << 30):
                cv2.rectangle(img, (int(box[0]), int(box[1])), (int(box[2]), int(box[3])),
                              track_color(int(tid)), max(1, width // 2))
        self.set_image(img)
        return img

    # ----------------------------------------------------------------------------- keypoints
    def _draw_instances_kpts(self,
                             image: np.ndarray,
                             instances: InstanceData,
                             kpt_thr: float = 0.3,
                             show_kpt_idx: bool = False,
                             skeleton_style: str = 'mmpose') -> np.ndarray:
        if 'track_ids' not in instances:
            if self.fixed_radius is None or self.fixed_line_width is None:
                self.radius, self.line_width = self._sizes(image)
            img = super()._draw_instances_kpts(image, instances, kpt_thr, show_kpt_idx,
                                               skeleton_style)
        else:
            img = self.draw_tracked_poses(image, instances, kpt_thr)
        if self.draw_frame_idx and self._frame_idx is not None:
            img = np.ascontiguousarray(img)
            cv2.putText(img, str(self._frame_idx), (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                        (255, 255, 255), 1, cv2.LINE_AA)
            self.set_image(img)
        return img

    def draw_tracked_poses(self, image: np.ndarray, instances: InstanceData,
                           kpt_thr: float = 0.3) -> np.ndarray:
        """Draw people's skeletons in their track colour, with the id above the head.

        Args:
            image: RGB ``(H, W, 3)`` uint8 image (not modified).
            instances: ``keypoints`` ``(N, K, 2)`` (or ``(N, K, 3)`` with the score last),
                ``track_ids`` ``(N,)`` (``< 0``: grey), ``keypoint_scores`` ``(N, K)`` (else
                ``keypoints_visible``, else 1).
            kpt_thr: joints scored at most this are not drawn.

        Returns:
            The drawn RGB image (also the visualizer's current image).
        """
        img = np.ascontiguousarray(image).copy()
        kpts = _to_numpy(instances.keypoints).astype(np.float64)
        tids = _to_numpy(instances.track_ids).reshape(-1).astype(np.int64)
        if kpts.size == 0:
            self.set_image(img)
            return img
        if kpts.ndim != 3 or kpts.shape[-1] not in (2, 3):
            raise ValueError(f'keypoints: shape {kpts.shape}, expected (N, K, 2) or (N, K, 3)')
        n, k = kpts.shape[:2]
        if len(tids) != n:
            raise ValueError(f'track_ids: {len(tids)} ids for {n} people')
        if kpts.shape[-1] == 3:
            scores = kpts[..., 2]
        elif 'keypoint_scores' in instances:
            scores = _to_numpy(instances.keypoint_scores).astype(np.float64).reshape(n, k)
        elif 'keypoints_visible' in instances:
            scores = _to_numpy(instances.keypoints_visible).astype(np.float64).reshape(n, k)
        else:
            scores = np.ones((n, k))
        xy = kpts[..., :2]
        radius, width = self._sizes(img)
        size = max(min(img.shape[:2]), 1)
        links = np.asarray(self.skeleton if self.skeleton is not None else POSETRACK18_DRAW_LINKS,
                           dtype=np.int64).reshape(-1, 2)
        links = links[(links < k).all(1) & (links >= 0).all(1)]

        valid = (np.isfinite(xy).all(-1) & np.isfinite(scores) & (scores > kpt_thr)
                 & ~((xy == 0).all(-1) & (scores == 0)))                      # (N, K)
        link_ok = valid[:, links[:, 0]] & valid[:, links[:, 1]]              # (N, L)
        pts = np.zeros((n, k, 2), np.int32)
        pts[valid] = np.round(np.clip(xy[valid], -4 * size, 8 * size)).astype(np.int32)
        colors = [track_color(int(t)) for t in tids]
        for p, li in zip(*np.nonzero(link_ok)):
            a, b = links[li]
            cv2.line(img, (int(pts[p, a, 0]), int(pts[p, a, 1])),
                     (int(pts[p, b, 0]), int(pts[p, b, 1])), colors[p], width, cv2.LINE_AA)
        for p, j in zip(*np.nonzero(valid)):
            cv2.circle(img, (int(pts[p, j, 0]), int(pts[p, j, 1])), radius, colors[p], -1,
                       cv2.LINE_AA)
        if self.draw_track_ids:
            scale = max(0.35, size / 600)
            head = [j for j in _LABEL_JOINTS if j < k]
            for p in np.flatnonzero(valid.any(1)):
                anchor = next((j for j in head if valid[p, j]), None)
                if anchor is None:  # topmost drawn joint
                    js = np.flatnonzero(valid[p])
                    anchor = js[np.argmin(xy[p, js, 1])]
                x, y = pts[p, anchor]
                org = (int(x) - radius, int(y) - 2 * radius - 1)
                label = str(int(tids[p])) if tids[p] >= 0 else '?'
                cv2.putText(img, label, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0),
                            width + 2, cv2.LINE_AA)
                cv2.putText(img, label, org, cv2.FONT_HERSHEY_SIMPLEX, scale, colors[p], width,
                            cv2.LINE_AA)
        self.set_image(img)
        return img

    def add_datasample(self, name: str, image: np.ndarray, data_sample, *args, **kwargs):
        """As :meth:`PoseLocalVisualizer.add_datasample`; remembers the sample's ``frame_idx``
        for ``draw_frame_idx``."""
        self._frame_idx = data_sample.metainfo.get('frame_idx') if data_sample is not None \
            else None
        try:
            return super().add_datasample(name, image, data_sample, *args, **kwargs)
        finally:
            self._frame_idx = None
