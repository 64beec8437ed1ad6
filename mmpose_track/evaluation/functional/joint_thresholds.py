"""Per-joint score thresholds fitted for MOTA (Wang et al. 2020, "Combining detection and
tracking ...", Sec. 4.1: joints are filtered with per-joint thresholds fitted on held-out
training videos before evaluation).

:func:`fit_joint_thresholds` searches a grid of thresholds for each of poseval's 15 joints on
tracked predictions written without a threshold (``PoseTrackMetric(score_thr=None)``, or any
PoseTrack18 prediction files with per-joint ``scores``). poseval's MOTA is computed per joint
(each joint has its own matches, misses, false positives and switches), so the threshold of joint
``j`` changes mostly ``MOTA_j`` and the search goes joint by joint. Not only: in a frame with
ignore regions poseval removes the people left without any visible joint, and (official counting)
a frame left without people counts one miss and one false positive for *every* joint, so the
thresholds of the other joints can move ``MOTA_j``. The MOTA at the fitted thresholds is therefore
evaluated again with all of them applied at once, and when one threshold for all joints does
better, that one is returned. The result plugs into
``PoseTrackMetric(score_thr=...)`` / :func:`export_posetrack18` as 17 values in PoseTrack18's
COCO order (:func:`load_joint_thresholds` reads the JSON file the tool writes).
"""
import copy
import json
from typing import Dict, List, Optional, Sequence

import numpy as np

from ...structures.posetrack18_format import COCO17_TO_POSEVAL, NUM_POSEVAL_JOINTS, read_json
from .posetrack_eval import evaluate_mota, prepare_video
from .posetrack_io import POSEVAL_JOINTS, PoseTrackVideo

__all__ = ['DEFAULT_GRID', 'threshold_video', 'fit_joint_thresholds', 'load_joint_thresholds']

#: thresholds tried by default: 0, 0.05, ..., 0.95
DEFAULT_GRID = tuple(round(0.05 * i, 2) for i in range(20))


def threshold_video(video: PoseTrackVideo, thr) -> PoseTrackVideo:
    """A copy of a predicted video whose joints scored below ``thr`` are missing.

    Args:
        video: predictions (poseval order, 15 joints per person).
        thr: one threshold, or ``(15,)`` per joint in poseval order.

    Returns:
        PoseTrackVideo: ``visible`` cleared where ``score < thr`` (people are kept: a person
        without any joint counts for no joint).
    """
    t = np.broadcast_to(np.asarray(thr, np.float64), (NUM_POSEVAL_JOINTS, ))
    out = copy.copy(video)
    out.frames = []
    for f in video.frames:
        g = copy.copy(f)
        g.visible = f.visible & (f.scores >= t)
        out.frames.append(g)
    return out


def fit_joint_thresholds(gt_videos: Sequence[PoseTrackVideo], pred_videos: Sequence[PoseTrackVideo],
                         grid: Optional[Sequence[float]] = None, strict: bool = False) -> Dict:
    """Per-joint thresholds that maximise MOTA on the given videos (Sec. 4.1).

    Args:
        gt_videos / pred_videos: paired videos (as :func:`evaluate_posetrack`); the predictions
            must carry their joint scores and not be thresholded already.
        grid: thresholds to try (default :data:`DEFAULT_GRID`); ties go to the lowest.
        strict: MOTA counting as :func:`evaluate_mota`.

    Returns:
        dict: ``thresholds`` (17 floats, PoseTrack18 COCO order: the ears, unscored, get the
        median of the fitted ones), ``poseval_thresholds`` (15, poseval order), ``joints``
        (poseval names), ``grid``, ``mota`` (``len(grid) x 15`` table: every joint at one
        threshold, NaN for a joint without ground truth), ``mota_fitted`` (15: evaluated with the
        returned thresholds all applied) and ``mota_fitted_total`` (their mean, as poseval's
        total), ``search`` (``'per_joint'``, or ``'uniform'`` when one grid threshold for every
        joint has a higher total MOTA than the per-joint choice, see the module doc). A joint
        without ground truth in these videos gets the threshold that maximises the mean MOTA over
        the other joints.

    Raises:
        ValueError: no videos, mismatched lists, an empty or non-finite grid.
    """
    if not gt_videos or len(gt_videos) != len(pred_videos):
        raise ValueError(f'fit_joint_thresholds: need paired videos, got {len(gt_videos)} '
                         f'ground-truth and {len(pred_videos)} predicted')
    grid = np.asarray(DEFAULT_GRID if grid is None else grid, np.float64).reshape(-1)
    if grid.size == 0 or not np.isfinite(grid).all():
        raise ValueError(f'fit_joint_thresholds: the grid must be non-empty and finite, got '
                         f'{grid.tolist()}')
    grid = np.unique(grid)  # sorted: ties go to the lowest threshold
    names = [g.name for g in gt_videos]

    def mota_at(thr) -> np.ndarray:
        prepared = [prepare_video(g, threshold_video(p, thr), strict)
                    for g, p in zip(gt_videos, pred_videos)]
        return evaluate_mota(prepared, strict, names=names)['mota'][:NUM_POSEVAL_JOINTS]

    table = np.stack([mota_at(thr) for thr in grid])
    scored = ~np.isnan(table).all(0)
    if not scored.any():
        raise ValueError('fit_joint_thresholds: no joint has ground truth in these videos')
    totals = np.nanmean(table[:, scored], 1)  # each row: one threshold, evaluated at once
    uniform = int(np.argmax(totals))  # ties go to the lowest
    best = np.full(NUM_POSEVAL_JOINTS, uniform, np.int64)
    best[scored] = np.nanargmax(table[:, scored], 0)
    pose_thr = grid[best]
    search = 'per_joint'
    fitted = mota_at(pose_thr) if len(np.unique(best)) > 1 else table[best[0]]
    if totals[uniform] > np.nanmean(fitted[scored]):
        search = 'uniform'
        pose_thr, fitted = np.full(NUM_POSEVAL_JOINTS, grid[uniform]), table[uniform]
    coco = np.full(17, float(np.median(pose_thr)))
    coco[np.asarray(COCO17_TO_POSEVAL)] = pose_thr
    return dict(thresholds=coco.tolist(), poseval_thresholds=pose_thr.tolist(),
                joints=list(POSEVAL_JOINTS), grid=grid.tolist(), mota=table.tolist(),
                mota_fitted=fitted.tolist(), mota_fitted_total=float(np.nanmean(fitted[scored])),
                search=search)


def load_joint_thresholds(path: str) -> List[float]:
    """The 17 thresholds (PoseTrack18 COCO order) of a file written by the fitting tool (a JSON
    object with ``thresholds``) or a plain JSON list of 17 numbers.

    Raises:
        ValueError: one line naming the file when it holds anything else.
    """
    data = read_json(path, 'joint thresholds file')
    thr = data.get('thresholds') if isinstance(data, dict) else data
    try:
        arr = np.asarray(thr, np.float64)
    except (TypeError, ValueError):
        arr = np.zeros(0)
    if arr.shape != (17, ) or not np.isfinite(arr).all():
        raise ValueError(f'{path}: expected "thresholds": 17 finite numbers (PoseTrack18 COCO '
                         f'order), got {json.dumps(thr)[:80]}')
    return arr.tolist()
