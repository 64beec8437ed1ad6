"""Motion of live tracks for pose trackers: where each track should be in the current frame.

Config part ``memory=dict(type='TrackMemory', motion=dict(type=...))`` of a
:class:`~mmpose_track.tracking.PoseTracker`. Before matching, the memory replaces each track's
last observation by its prediction at the current frame, so every similarity (OKS, IoU, ...)
scores detections against where the tracks *should* be (SORT's idea), not where they were.

* :class:`KalmanBoxMotion`: MMDet's ``KalmanFilter`` (``mmdet.models.task_modules.tracking``, the
  DeepSORT / SORT / ByteTrack model: state ``(cx, cy, a, h)`` and their velocities, noise
  relative to the box height), run on the pose boxes of all tracks at once. MMDet's filter steps
  one track at a time in Python; we take its matrices and noise weights from the class and apply
  the same equations batched (tested equal to MMDet's per-track steps). The joints move with the
  box: shifted with its centre and scaled with its height.
* :class:`KeypointVelocityMotion`: a constant-velocity model per joint (velocities smoothed with a
  momentum), for poses whose limbs move differently from the box.

Both also take a global camera transform (:meth:`BaseMotion.apply_camera`), e.g. the similarity
transform :func:`~mmpose_track.tracking.camera_motion.estimate_camera_motion` finds between
consecutive frames, applied to every track's prediction.

Plain numpy; MMDet is imported (lazily) only by :class:`KalmanBoxMotion`.
"""
from typing import Optional, Tuple

import numpy as np

from mmpose_track.registry import TRACKING_PARTS

__all__ = ['BaseMotion', 'KalmanBoxMotion', 'KeypointVelocityMotion', 'xyxy_to_xyah',
           'xyah_to_xyxy', 'move_poses_with_boxes', 'apply_similarity_transform']


def xyxy_to_xyah(boxes: np.ndarray) -> np.ndarray:
    """``(N, 4)`` x1y1x2y2 to MMDet's Kalman measurement ``(cx, cy, w / h, h)``."""
    lo, hi = boxes[:, :2], boxes[:, 2:]
    wh = hi - lo
    h = np.maximum(wh[:, 1:], 1e-6)
    return np.concatenate([(lo + hi) * 0.5, wh[:, :1] / h, h], 1)


def xyah_to_xyxy(xyah: np.ndarray) -> np.ndarray:
    """Inverse of :func:`xyxy_to_xyah`."""
    half = xyah[:, 2:4] * xyah[:, 3:4] * 0.5  # (w / 2, h^2 / 2): the second is fixed next
    half[:, 1] = xyah[:, 3] * 0.5
    return np.concatenate([xyah[:, :2] - half, xyah[:, :2] + half], 1)


def move_poses_with_boxes(kpts: np.ndarray, old_boxes: np.ndarray,
                          new_boxes: np.ndarray) -> np.ndarray:
    """Joints ``(M, K, 3)`` carried from ``old_boxes`` to ``new_boxes`` (both ``(M, 4)``): shifted
    with the box centre and scaled about it with the box size (scores kept)."""
    return _move_poses(kpts, old_boxes, (new_boxes[:, :2] + new_boxes[:, 2:]) * 0.5,
                       new_boxes[:, 2:] - new_boxes[:, :2])


def _move_poses(kpts: np.ndarray, old_boxes: np.ndarray, centre: np.ndarray,
                wh: np.ndarray) -> np.ndarray:
    """:func:`move_poses_with_boxes` to new boxes given by their centres and sizes ``(M, 2)``
    (what the Kalman state holds): ``x' = (x - c_old) * scale + c_new``."""
    scale = wh / np.maximum(old_boxes[:, 2:] - old_boxes[:, :2], 1e-6)
    shift = centre - (old_boxes[:, :2] + old_boxes[:, 2:]) * 0.5 * scale
    out = np.empty_like(kpts)
    out[..., :2] = kpts[..., :2] * scale[:, None] + shift[:, None]
    out[..., 2] = kpts[..., 2]
    return out


def apply_similarity_transform(points: np.ndarray, transform: np.ndarray) -> np.ndarray:
    """``(..., 2)`` points mapped by a ``2 x 3`` affine (similarity) matrix ``[A | t]``."""
    return points @ transform[:, :2].T + transform[:, 2]


class BaseMotion:
    """Interface of a motion model; its state has one row per memory row.

    The memory calls :meth:`reset` (new video), :meth:`start` (new tracks), :meth:`observe`
    (tracks matched in the current frame, before the memory overwrites their last observation),
    :meth:`compress` (tracks popped) and :meth:`predict` (before matching).
    """

    def reset(self) -> None:
        raise NotImplementedError

    def start(self, kpts: np.ndarray, boxes: np.ndarray) -> None:
        """Append the state of new tracks observed at ``kpts (n, K, 3)``, ``boxes (n, 4)``."""
        raise NotImplementedError

    def observe(self, rows: np.ndarray, old_kpts: np.ndarray, old_boxes: np.ndarray,
                new_kpts: np.ndarray, new_boxes: np.ndarray, gaps: np.ndarray) -> None:
        """Tracks ``rows`` moved from their last observation to a new one ``gaps`` frames
        later."""
        raise NotImplementedError

    def compress(self, keep: np.ndarray) -> None:
        raise NotImplementedError

    def apply_camera(self, transform: np.ndarray) -> None:
        """Express the state in the current frame's image after a global ``2 x 3`` similarity
        transform (camera motion): velocities turn and scale with it."""
        raise NotImplementedError

    def predict(self, kpts: np.ndarray, boxes: np.ndarray,
                gaps: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Predicted ``(M, K, 3)`` joints and ``(M, 4)`` boxes ``gaps (M,)`` frames after the last
        observations ``kpts``, ``boxes``."""
        raise NotImplementedError


@TRACKING_PARTS.register_module()
class KeypointVelocityMotion(BaseMotion):
    """Constant velocity per joint: ``x_t = x_last + v * gap``.

    The velocity of a joint is ``(x_new - x_old) / gap`` at each observation, smoothed as
    ``v = m * v_old + (1 - m) * v_new``; a joint missing at either end keeps its velocity, a new
    track starts at rest. Boxes move with the mean velocity of their joints.

    Args:
        momentum (float): ``m`` in ``[0, 1)``; 0 keeps the last displacement only.
        max_gap (int): predictions extrapolate at most this many frames (a long-lost track stays
            where it would have been then).
    """

    def __init__(self, momentum: float = 0.5, max_gap: int = 5):
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f'KeypointVelocityMotion: momentum must be in [0, 1), got {momentum}')
        self.momentum = float(momentum)
        self.max_gap = int(max_gap)
        self.reset()

    def reset(self) -> None:
        self.vel: Optional[np.ndarray] = None  # (M, K, 2)

    def start(self, kpts, boxes) -> None:
        add = np.zeros(kpts.shape[:2] + (2, ))
        self.vel = add if self.vel is None or len(self.vel) == 0 else np.concatenate(
            [self.vel, add])

    def observe(self, rows, old_kpts, old_boxes, new_kpts, new_boxes, gaps) -> None:
        both = (old_kpts[..., 2] > 0) & (new_kpts[..., 2] > 0)
        step = (new_kpts[..., :2] - old_kpts[..., :2]) / np.maximum(gaps, 1)[:, None, None]
        old = self.vel[rows]
        fresh = np.where(np.isfinite(step), step, 0.0)
        new = self.momentum * old + (1 - self.momentum) * fresh
        self.vel[rows] = np.where(both[..., None], new, old)

    def compress(self, keep) -> None:
        if self.vel is not None:
            self.vel = self.vel[keep]

    def apply_camera(self, transform) -> None:
        if self.vel is not None:
            self.vel = self.vel @ transform[:, :2].T

    def predict(self, kpts, boxes, gaps):
        if self.vel is None or len(kpts) == 0:
            return kpts, boxes
        dt = np.minimum(gaps, self.max_gap).astype(np.float64)
        out = kpts.copy()
        out[..., :2] = kpts[..., :2] + self.vel * dt[:, None, None]
        shift = self.vel.mean(1) * dt[:, None]
        return out, boxes + np.concatenate([shift, shift], 1)


@TRACKING_PARTS.register_module()
class KalmanBoxMotion(BaseMotion):
    """MMDet's Kalman filter on the pose boxes of all tracks at once; joints follow the box.

    The model is ``mmdet.models.task_modules.tracking.KalmanFilter``'s (constant velocity in
    ``(cx, cy, a, h)``; process and measurement noise proportional to the box height with its
    ``_std_weight_position`` 1/20 and ``_std_weight_velocity`` 1/160): its matrices and weights are
    read from an instance, the predict / update equations applied batched over tracks. A gap of
    ``g`` frames is ``g`` predict steps (as MMDet's trackers predict every lost track every
    frame), at most ``max_gap``.

    The motion matrix ``F = [[I, I], [0, I]]``, ``H = [I, 0]`` and MMDet's diagonal noises never
    couple two coordinates, so the ``8 x 8`` covariance of each track is four independent ``2 x
    2`` blocks (position, velocity) of ``cx``, ``cy``, ``a``, ``h``; the filter keeps the blocks
    (``pp``, ``pv``, ``vv``, each ``(M, 4)``) and runs the equations on them element-wise, which is
    exactly MMDet's arithmetic (tested equal) at a fraction of the numpy calls. :attr:`cov`
    assembles the full matrices.

    Args:
        max_gap (int): at most this many predict steps per track.
    """

    def __init__(self, max_gap: int = 30):
        from mmdet.models.task_modules.tracking import KalmanFilter  # heavy: imported on use
        kf = KalmanFilter()
        self.F = kf._motion_mat
        self.H = kf._update_mat
        self.w_pos = kf._std_weight_position
        self.w_vel = kf._std_weight_velocity
        self.max_gap = int(max_gap)
        if not (np.allclose(self.H, np.eye(4, 8)) and np.allclose(self.F, np.block(
                [[np.eye(4), np.eye(4)], [np.zeros((4, 4)), np.eye(4)]]))):
            raise ValueError('KalmanBoxMotion expects MMDet\'s constant-velocity model '
                             '(F = [[I, I], [0, I]], H = [I, 0])')
        w = np.array([1., 1., 0., 1.])  # the coordinates whose noise scales with the height
        # MMDet's predict(): process noise std w_pos h, w_vel h for x, y, h and their velocities,
        # constants 1e-2 / 1e-5 for the aspect ratio; as (pp, pv, vv) blocks, times h^2 + const
        self._q_scale = np.stack([w * self.w_pos ** 2, 0 * w, w * self.w_vel ** 2])
        self._q_const = np.array([[0, 0, 1e-2 ** 2, 0], [0] * 4, [0, 0, 1e-5 ** 2, 0]])
        # MMDet's initiate(): std 2 w_pos h and 10 w_vel h, and again 1e-2 / 1e-5
        self._init_scale = np.stack([w * (2 * self.w_pos) ** 2, 0 * w,
                                     w * (10 * self.w_vel) ** 2])
        self._init_const = self._q_const
        # MMDet's project(): measurement noise std w_pos h, 0.1 for the aspect ratio
        self._r_scale = w * self.w_pos ** 2
        self._r_const = np.array([0, 0, 1e-1 ** 2, 0])
        self._F_T = np.ascontiguousarray(self.F.T)
        # F P F^T per coordinate block: (pp, pv, vv) -> (pp + 2 pv + vv, pv + vv, vv)
        self._L = np.array([[1., 2., 1.], [0., 1., 1.], [0., 0., 1.]])
        self.reset()

    def reset(self) -> None:
        self.mean = np.zeros((0, 8))
        #: ``(M, 3, 4)``: for each coordinate (cx, cy, a, h), the variance of the position, the
        #: covariance of position and velocity and the variance of the velocity
        self.blocks = np.zeros((0, 3, 4))
        self._pred = None  # (gaps, mean, blocks) of the last predict(), reused by observe()

    @property
    def cov(self) -> np.ndarray:
        """``(M, 8, 8)`` covariances in MMDet's layout (assembled from the blocks)."""
        out = np.zeros((len(self.mean), 8, 8))
        i = np.arange(4)
        out[:, i, i] = self.blocks[:, 0]
        out[:, i, i + 4] = out[:, i + 4, i] = self.blocks[:, 1]
        out[:, i + 4, i + 4] = self.blocks[:, 2]
        return out

    def _step(self, mean, blocks):
        """One predict step of MMDet's ``KalmanFilter.predict``, batched: ``x' = F x``, and per
        coordinate ``F P F^T + Q`` = ``(pp + 2 pv + vv + q_p, pv + vv, vv + q_v)``."""
        return mean @ self._F_T, self._L @ blocks + \
            mean[:, 3, None, None] ** 2 * self._q_scale + self._q_const

    def start(self, kpts, boxes) -> None:
        self._pred = None
        z = xyxy_to_xyah(boxes)
        # MMDet's initiate(): std 2 w_pos h and 10 w_vel h, (1e-2, 1e-5) for the aspect ratio
        blocks = z[:, 3, None, None] ** 2 * self._init_scale + self._init_const
        self.mean = np.concatenate([self.mean, np.concatenate([z, np.zeros_like(z)], 1)])
        self.blocks = np.concatenate([self.blocks, blocks])

    def _predicted_state(self, rows: Optional[np.ndarray], gaps: np.ndarray):
        mean, blocks = (self.mean, self.blocks) if rows is None else \
            (self.mean[rows], self.blocks[rows])
        if len(gaps) and (gaps == 1).all():  # the usual case: every track seen last frame
            return self._step(mean, blocks)
        steps = np.minimum(gaps, self.max_gap)
        last = int(steps.max(initial=0))
        if last and (steps == last).all():
            for _ in range(last):
                mean, blocks = self._step(mean, blocks)
            return mean, blocks
        mean, blocks = mean.copy(), blocks.copy()
        for s in range(1, last + 1):
            go = steps >= s
            mean[go], blocks[go] = self._step(mean[go], blocks[go])
        return mean, blocks

    def observe(self, rows, old_kpts, old_boxes, new_kpts, new_boxes, gaps) -> None:
        """MMDet's ``KalmanFilter.update`` (after the gap's predict steps), batched: per
        coordinate, with ``S = pp + R``, the gain is ``(pp, pv) / S``."""
        cached = self._pred
        if cached is not None and len(cached[0]) == len(self.mean) and \
                np.array_equal(cached[0][rows], gaps):
            mean, blocks = cached[1][rows], cached[2][rows]
        else:
            mean, blocks = self._predicted_state(rows, gaps)
        # MMDet's project(): measurement noise std w * h for x, y, h, 0.1 for the aspect ratio
        s = blocks[:, 0] + mean[:, 3, None] ** 2 * self._r_scale + self._r_const
        gain = blocks[:, :2] / s[:, None]  # (n, 2, 4): position and velocity gains
        innovation = xyxy_to_xyah(new_boxes) - mean[:, :4]
        self.mean[rows] = mean + (gain * innovation[:, None]).reshape(-1, 8)
        self.blocks[rows] = blocks - gain[:, [0, 0, 1]] * blocks[:, [0, 1, 1]]

    def compress(self, keep) -> None:
        self.mean, self.blocks = self.mean[keep], self.blocks[keep]
        self._pred = None

    def apply_camera(self, transform) -> None:
        """Centre positions and velocities turn and scale with ``A``, the height scales with
        ``s = sqrt|det A|``; the covariance is the first-order ``J P J^T`` with ``J = diag(A, 1,
        s)`` per block, of which the blocks keep the diagonal (the x, y blocks are equal under
        MMDet's noises, so for a similarity transform nothing is dropped)."""
        self._pred = None
        if len(self.mean) == 0:
            return
        a = transform[:, :2]
        s2 = abs(float(np.linalg.det(a)))
        self.mean[:, :2] = apply_similarity_transform(self.mean[:, :2], transform)
        self.mean[:, 4:6] = self.mean[:, 4:6] @ a.T
        self.mean[:, [3, 7]] *= np.sqrt(s2)
        self.blocks[..., :2] = self.blocks[..., :2] @ (a ** 2).T  # diag(A diag(p) A^T)
        self.blocks[..., 3] *= s2

    def predict(self, kpts, boxes, gaps):
        if len(kpts) == 0:
            return kpts, boxes
        mean, blocks = self._predicted_state(None, gaps)
        self._pred = (np.asarray(gaps).copy(), mean, blocks)
        pred_boxes = xyah_to_xyxy(mean[:, :4])
        wh = pred_boxes[:, 2:] - pred_boxes[:, :2]
        return _move_poses(kpts, boxes, mean[:, :2], wh), pred_boxes
