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
    out = np.empty((len(boxes), 4))
    out[:, :2] = (boxes[:, :2] + boxes[:, 2:]) / 2
    out[:, 3] = np.maximum(boxes[:, 3] - boxes[:, 1], 1e-6)
    out[:, 2] = (boxes[:, 2] - boxes[:, 0]) / out[:, 3]
    return out


def xyah_to_xyxy(xyah: np.ndarray) -> np.ndarray:
    """Inverse of :func:`xyxy_to_xyah`."""
    half = np.empty((len(xyah), 2))
    half[:, 1] = xyah[:, 3] / 2
    half[:, 0] = xyah[:, 2] * half[:, 1]
    return np.concatenate([xyah[:, :2] - half, xyah[:, :2] + half], 1)


def move_poses_with_boxes(kpts: np.ndarray, old_boxes: np.ndarray,
                          new_boxes: np.ndarray) -> np.ndarray:
    """Joints ``(M, K, 3)`` carried from ``old_boxes`` to ``new_boxes`` (both ``(M, 4)``): shifted
    with the box centre and scaled about it with the box size (scores kept)."""
    out = kpts.copy()
    c_old = (old_boxes[:, :2] + old_boxes[:, 2:]) / 2
    c_new = (new_boxes[:, :2] + new_boxes[:, 2:]) / 2
    s_old = np.maximum(old_boxes[:, 2:] - old_boxes[:, :2], 1e-6)
    scale = (new_boxes[:, 2:] - new_boxes[:, :2]) / s_old
    out[..., :2] = (kpts[..., :2] - c_old[:, None]) * scale[:, None] + c_new[:, None]
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
        if not (np.allclose(self.H, np.eye(4, 8)) and np.allclose(self.F[:4, 4:], np.eye(4))):
            raise ValueError('KalmanBoxMotion expects MMDet\'s constant-velocity model '
                             '(F = [[I, I], [0, I]], H = [I, 0])')
        # process noise std of MMDet's predict: w * h for x, y, h and their velocities, constants
        # (1e-2, 1e-5) for the aspect ratio and its velocity
        self._q_scale = np.array([self.w_pos, self.w_pos, 0, self.w_pos,
                                  self.w_vel, self.w_vel, 0, self.w_vel])
        self._q_const = np.array([0, 0, 1e-2, 0, 0, 0, 1e-5, 0]) ** 2
        self._diag = np.arange(8)
        self._r_scale = np.array([self.w_pos, self.w_pos, 0, self.w_pos])
        self._r_const = np.array([0, 0, 1e-1, 0]) ** 2
        self._diag4 = np.arange(4)
        self.reset()

    def reset(self) -> None:
        self.mean = np.zeros((0, 8))
        self.cov = np.zeros((0, 8, 8))
        self._pred = None  # (gaps, mean, cov) of the last predict(), reused by observe()

    def _motion_cov(self, h: np.ndarray) -> np.ndarray:
        var = (h[:, None] * self._q_scale) ** 2 + self._q_const
        out = np.zeros((len(h), 8, 8))
        out[:, self._diag, self._diag] = var
        return out

    def _step(self, mean, cov):
        """One predict step of MMDet's ``KalmanFilter.predict``, batched."""
        q = self._motion_cov(mean[:, 3])
        return mean @ self.F.T, self.F @ cov @ self.F.T + q

    def start(self, kpts, boxes) -> None:
        self._pred = None
        z = xyxy_to_xyah(boxes)
        h = z[:, 3]
        std = np.stack([2 * self.w_pos * h, 2 * self.w_pos * h, np.full_like(h, 1e-2),
                        2 * self.w_pos * h, 10 * self.w_vel * h, 10 * self.w_vel * h,
                        np.full_like(h, 1e-5), 10 * self.w_vel * h], 1)
        self.mean = np.concatenate([self.mean, np.concatenate([z, np.zeros_like(z)], 1)])
        self.cov = np.concatenate([self.cov, std[:, :, None] ** 2 * np.eye(8)])

    def _predicted_state(self, rows: np.ndarray, gaps: np.ndarray):
        mean, cov = self.mean[rows], self.cov[rows]
        steps = np.minimum(gaps, self.max_gap)
        for s in range(1, int(steps.max(initial=0)) + 1):
            go = steps >= s
            m2, c2 = self._step(mean[go], cov[go])
            mean[go], cov[go] = m2, c2
        return mean, cov

    def observe(self, rows, old_kpts, old_boxes, new_kpts, new_boxes, gaps) -> None:
        """MMDet's ``KalmanFilter.update`` (after the gap's predict steps), batched."""
        cached = self._pred
        if cached is not None and len(cached[0]) == len(self.mean) and \
                np.array_equal(cached[0][rows], gaps):
            mean, cov = cached[1][rows], cached[2][rows]
        else:
            mean, cov = self._predicted_state(rows, gaps)
        # MMDet's project(): measurement noise std w * h for x, y, h, 0.1 for the aspect ratio
        r_var = (mean[:, 3:4] * self._r_scale) ** 2 + self._r_const
        proj_mean = mean[:, :4]  # H = [I 0]: the position part
        proj_cov = cov[:, :4, :4].copy()
        proj_cov[:, self._diag4, self._diag4] += r_var
        pht = cov[:, :, :4]  # P H^T, (n, 8, 4)
        gain = np.linalg.solve(proj_cov, pht.transpose(0, 2, 1)).transpose(0, 2, 1)
        innovation = xyxy_to_xyah(new_boxes) - proj_mean
        self.mean[rows] = mean + (gain @ innovation[:, :, None])[..., 0]
        self.cov[rows] = cov - gain @ proj_cov @ gain.transpose(0, 2, 1)

    def compress(self, keep) -> None:
        self.mean, self.cov = self.mean[keep], self.cov[keep]
        self._pred = None

    def apply_camera(self, transform) -> None:
        self._pred = None
        if len(self.mean) == 0:
            return
        a = transform[:, :2]
        s = float(np.sqrt(abs(np.linalg.det(a))))
        self.mean[:, :2] = apply_similarity_transform(self.mean[:, :2], transform)
        self.mean[:, 4:6] = self.mean[:, 4:6] @ a.T
        self.mean[:, [3, 7]] *= s
        # positions and velocities of the centre turn and scale, the height scales (a first-
        # order model of the covariance: J P J^T with J = diag(A, 1, s, A, 1, s))
        j = np.eye(8)
        j[:2, :2] = a
        j[4:6, 4:6] = a
        j[3, 3] = j[7, 7] = s
        self.cov = np.einsum('ij,njk,lk->nil', j, self.cov, j)

    def predict(self, kpts, boxes, gaps):
        if len(kpts) == 0:
            return kpts, boxes
        mean, cov = self._predicted_state(np.arange(len(kpts)), gaps)
        self._pred = (np.asarray(gaps).copy(), mean, cov)
        pred_boxes = xyah_to_xyxy(mean[:, :4])
        return move_poses_with_boxes(kpts, boxes, pred_boxes), pred_boxes
