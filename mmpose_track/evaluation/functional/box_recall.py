"""Person bounding-box recall (Wang et al. 2020, "Combining detection and tracking for human pose
estimation in videos", Table 9: "Person bounding box recall on PoseTrack 2018").

The share of ground-truth person boxes that a one-to-one matching gives a predicted box with
``IoU >= iou_thr`` (0.5 by default), pooled over all frames. The matching is a maximum-cardinality
bipartite matching per frame (Hungarian, :func:`scipy.optimize.linear_sum_assignment`, on the 0/1
matrix ``IoU >= iou_thr``): the largest number of ground-truth boxes that distinct predictions can
recall, so the number does not depend on the order of the boxes (a greedy matching by IoU could
recall fewer). One prediction recalls at most one ground-truth box.

:func:`gt_person_boxes` reads the ground-truth boxes of a PoseTrack18 video dict. IoU is the
package's one implementation, :func:`mmpose_track.tracking.similarity.bbox_iou_matrix`.
:func:`box_recall_dirs` scores folders of PoseTrack18 files (``tools/eval_posetrack.py``);
``PoseTrackMetric`` reports it as ``posetrack/BoxRecall``.
"""
import os
import os.path as osp
import warnings
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from ...structures.posetrack18_format import PoseTrackFormatError, read_json
from ...tracking.similarity import bbox_iou_matrix

__all__ = ['person_box_recall', 'matched_gt_boxes', 'gt_person_boxes', 'box_recall_dirs',
           'detection_boxes', 'recovered_boxes']


def _check_boxes(boxes: Any, what: str, f: int) -> np.ndarray:
    """``(B, 4)`` float64 boxes of frame ``f``; an empty array of any shape is ``(0, 4)``."""
    try:
        b = np.asarray(boxes, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f'person_box_recall: {what} boxes of frame {f} are not numbers '
                         f'({type(boxes).__name__})') from None
    if b.size == 0 and b.ndim >= 1:
        return np.zeros((0, 4))
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f'person_box_recall: {what} boxes of frame {f} have shape '
                         f'{tuple(b.shape)}, expected (N, 4) x1y1x2y2')
    if not np.isfinite(b).all():
        raise ValueError(f'person_box_recall: {what} boxes of frame {f} hold NaN or infinite '
                         'coordinates')
    return b


def _frame_matched(iou: np.ndarray, iou_thr: float) -> np.ndarray:
    """``(G,)`` bool: the ground-truth boxes (rows of ``iou``) recalled by a maximum one-to-one
    matching among the pairs with ``IoU >= iou_thr``."""
    ok = iou >= iou_thr
    matched = np.zeros(ok.shape[0], bool)
    rows, cols = np.flatnonzero(ok.any(1)), np.flatnonzero(ok.any(0))
    sub = ok[rows][:, cols]
    if sub.size == 0:
        return matched
    # no conflict (each candidate box has exactly one partner): every candidate pair is a match
    if (sub.sum(1) == 1).all() and (sub.sum(0) == 1).all():
        matched[rows] = True
        return matched
    from scipy.optimize import linear_sum_assignment
    r, c = linear_sum_assignment(sub, maximize=True)
    matched[rows[r[sub[r, c]]]] = True
    return matched


def matched_gt_boxes(gt_boxes: Sequence[np.ndarray], pred_boxes: Sequence[np.ndarray],
                     iou_thr: float = 0.5) -> List[np.ndarray]:
    """Which ground-truth boxes the predictions recall, frame by frame (the matching of
    :func:`person_box_recall`).

    Args:
        gt_boxes, pred_boxes, iou_thr: as :func:`person_box_recall`.

    Returns:
        per frame a ``(G_f,)`` bool array, True for a recalled ground-truth box.

    Raises:
        ValueError: as :func:`person_box_recall`.
    """
    number = isinstance(iou_thr, (int, float, np.floating, np.integer))
    if isinstance(iou_thr, bool) or not (number and 0 < float(iou_thr) <= 1):
        raise ValueError(f'person_box_recall: iou_thr must be in (0, 1], got {iou_thr!r}')
    gt_boxes, pred_boxes = list(gt_boxes), list(pred_boxes)
    if len(gt_boxes) != len(pred_boxes):
        raise ValueError(f'person_box_recall: {len(gt_boxes)} ground-truth frames but '
                         f'{len(pred_boxes)} prediction frames')
    out = []
    for f, (g, p) in enumerate(zip(gt_boxes, pred_boxes)):
        g = _check_boxes(g, 'ground-truth', f)
        p = _check_boxes(p, 'predicted', f)
        out.append(_frame_matched(bbox_iou_matrix(g, p), float(iou_thr)) if len(g) and len(p)
                   else np.zeros(len(g), bool))
    return out


def person_box_recall(gt_boxes: Sequence[np.ndarray],
                      pred_boxes: Sequence[np.ndarray],
                      iou_thr: float = 0.5) -> Dict[str, Any]:
    """Person bounding-box recall over frames (Wang et al. 2020, Table 9).

    In each frame the ground-truth and predicted boxes are matched one to one so that the number
    of pairs with ``IoU >= iou_thr`` is the largest possible (Hungarian on the 0/1 matrix
    ``IoU >= iou_thr``); a ground-truth box is recalled when it gets such a pair. A prediction
    recalls at most one ground-truth box; prediction scores are not used. Counts are pooled over
    frames.

    Args:
        gt_boxes: per frame, ``(G_f, 4)`` ground-truth boxes ``x1, y1, x2, y2`` in pixels (an
            empty array for a frame without people).
        pred_boxes: per frame (same number of frames), ``(P_f, 4)`` predicted boxes.
        iou_thr: IoU a match needs, in ``(0, 1]``.

    Returns:
        ``dict(recall=percent (NaN without ground-truth boxes), num_gt=int,
        num_recalled=int)``.

    Raises:
        ValueError: different numbers of frames, a frame whose boxes are not ``(N, 4)``, NaN or
            infinite coordinates, or ``iou_thr`` outside ``(0, 1]``.
    """
    flags = matched_gt_boxes(gt_boxes, pred_boxes, iou_thr)
    num_gt = int(sum(len(m) for m in flags))
    num_recalled = int(sum(int(m.sum()) for m in flags))
    recall = 100.0 * num_recalled / num_gt if num_gt else float('nan')
    return dict(recall=recall, num_gt=num_gt, num_recalled=num_recalled)


def gt_person_boxes(video: dict, name: Optional[str] = None) -> 'OrderedDict[Any, np.ndarray]':
    """Ground-truth person boxes of the labeled frames of a PoseTrack18 video dict.

    Frames are the ``images`` whose ``is_labeled`` is true (an image without the field counts as
    labeled; only its boxes matter), in file order. Every annotation of such a frame with a usable
    ``bbox`` ``[x, y, w, h]`` (finite, ``w > 0`` and ``h > 0``) is a person, with or without
    visible keypoints (PoseTrack18 annotates people whose joints are all hidden with a box, and a
    detector should find them too); annotations without ``bbox`` or with an unusable one are
    skipped, as are annotations whose ``image_id`` is not in ``images``. Ignore regions are not
    applied.

    Args:
        video: the raw JSON of one video (``images``, ``annotations``), as
            :func:`~mmpose_track.structures.posetrack18_format.read_json` returns it.
        name: the video's name, for messages.

    Returns:
        Ground-truth image id -> ``(G, 4)`` float64 boxes ``x1, y1, x2, y2``, one entry per
        labeled frame (``(0, 4)`` for a labeled frame without people).

    Raises:
        PoseTrackFormatError: ``images`` / ``annotations`` missing, or a ``bbox`` that is not
            four numbers (the message names video, image and annotation).
    """
    where = _where(name)
    if not isinstance(video, dict) or not isinstance(video.get('images'), list):
        raise PoseTrackFormatError(f'{where}: no "images" list')
    anns = video.get('annotations', [])
    if not isinstance(anns, list):
        raise PoseTrackFormatError(f'{where}: "annotations" is not a list')
    out: 'OrderedDict[Any, list]' = OrderedDict(
        (img['id'], []) for img in video['images'] if img.get('is_labeled', True))
    for ann in anns:
        lst = out.get(ann.get('image_id'))
        box = ann.get('bbox')
        if lst is None or box is None:
            continue
        x1, y1, x2, y2 = _xywh_to_xyxy(box, where, ann)
        if np.isfinite([x1, y1, x2, y2]).all() and x2 > x1 and y2 > y1:
            lst.append((x1, y1, x2, y2))
    return OrderedDict((k, np.asarray(v, np.float64).reshape(-1, 4)) for k, v in out.items())


def _where(video: Optional[str]) -> str:
    return f'video {video!r}' if video is not None else 'video'


def _xywh_to_xyxy(box: Any, where: str, ann: dict) -> tuple:
    try:
        x, y, w, h = (float(v) for v in box)
    except (TypeError, ValueError):
        raise PoseTrackFormatError(
            f'{where}, image {ann.get("image_id")!r}, annotation {ann.get("id")!r}: bbox '
            f'{box!r} is not [x, y, w, h]') from None
    return x, y, x + w, y + h


def _pred_file_boxes(video: dict, name: str) -> Optional[List[np.ndarray]]:
    """Predicted boxes of a PoseTrack18 prediction dict, per image in file order (``None`` when
    no annotation has a ``bbox``); non-finite boxes are dropped with a warning."""
    pos = {img['id']: f for f, img in enumerate(video.get('images', []))}
    out: List[list] = [[] for _ in pos]
    seen = dropped = 0
    for ann in video.get('annotations', []):
        f, box = pos.get(ann.get('image_id')), ann.get('bbox')
        if f is None or box is None:
            continue
        seen += 1
        b = _xywh_to_xyxy(box, f'prediction file of {_where(name)}', ann)
        if np.isfinite(b).all():
            out[f].append(b)
        else:
            dropped += 1
    if dropped:
        warnings.warn(f'{_where(name)}: {dropped} predicted boxes with NaN or infinite '
                      'coordinates left out of the box recall')
    return [np.asarray(b, np.float64).reshape(-1, 4) for b in out] if seen else None


def _dir_boxes(gt_dir: str, pred_dir: Optional[str]):
    """Ground-truth boxes of every labeled frame of ``gt_dir`` (keys ``(video, image id)``) and
    the predicted boxes of the same frames in ``pred_dir`` (None: no folder); ``any_boxes`` is
    False when no prediction file has a ``bbox``."""
    keys: List[tuple] = []
    gts: List[np.ndarray] = []
    prs: List[np.ndarray] = []
    any_boxes = False
    for fname in sorted(n for n in os.listdir(gt_dir) if n.endswith('.json')):
        name = fname[:-5]
        gdata = read_json(osp.join(gt_dir, fname), 'ground-truth file')
        gboxes = gt_person_boxes(gdata, name)
        ppath = None if pred_dir is None else osp.join(pred_dir, fname)
        pboxes = None
        if ppath is not None and osp.exists(ppath):
            pdata = read_json(ppath, 'prediction file')
            if len(pdata.get('images', [])) != len(gdata['images']):
                raise PoseTrackFormatError(
                    f'{_where(name)}: prediction file has {len(pdata.get("images", []))} frames, '
                    f'ground truth {len(gdata["images"])}')
            pboxes = _pred_file_boxes(pdata, name)
        any_boxes = any_boxes or pboxes is not None
        pos = {img['id']: f for f, img in enumerate(gdata['images'])}
        for image_id, g in gboxes.items():
            keys.append((name, image_id))
            gts.append(g)
            prs.append(np.zeros((0, 4)) if pboxes is None else pboxes[pos[image_id]])
    return keys, gts, prs, any_boxes


def box_recall_dirs(gt_dir: str, pred_dir: str, iou_thr: float = 0.5) -> Optional[dict]:
    """Person box recall of the official layout (``tools/eval_posetrack.py``'s folders).

    Ground truth as :func:`gt_person_boxes`; predicted boxes are the ``bbox`` fields of the
    prediction file of the same name, whose frames are paired with the ground truth's by position
    (poseval's rule, as the evaluation); a missing prediction file misses every box of its video.

    Args:
        gt_dir: folder of per-video ground-truth PoseTrack18 files.
        pred_dir: folder of prediction files named as the ground truth.
        iou_thr: IoU a match needs.

    Returns:
        :func:`person_box_recall`'s dict, or ``None`` when no prediction file has a ``bbox``
        (the recall would be a misleading 0).

    Raises:
        PoseTrackFormatError: a file with another number of frames than its ground truth, or a
            ``bbox`` that is not four numbers.
    """
    _, gts, prs, any_boxes = _dir_boxes(gt_dir, pred_dir)
    return person_box_recall(gts, prs, iou_thr=iou_thr) if any_boxes else None


def detection_boxes(det_file: str, image_ids: Sequence, score_thr: float = 0.) -> List[np.ndarray]:
    """The person boxes of a COCO-style detections file (``image_id``, ``bbox`` ``[x, y, w, h]``,
    ``score``), x1y1x2y2, for each of ``image_ids`` (boxes scored below ``score_thr`` left out).

    Args:
        det_file: detections JSON (a list), as ``tools/detect_people.py`` writes it.
        image_ids: the frames wanted, in order.
        score_thr: lowest score kept.

    Returns:
        per image id a ``(D, 4)`` array.

    Raises:
        PoseTrackFormatError: a file that is not a list of detections with four-number boxes.
    """
    dets = read_json(det_file, 'detections file')
    if not isinstance(dets, list):
        raise PoseTrackFormatError(f'{det_file}: a detections file is a list of detections, got '
                                   f'{type(dets).__name__}')
    wanted = {i: [] for i in image_ids}
    for d in dets:
        if d.get('image_id') in wanted and float(d.get('score', 1.0)) >= score_thr:
            wanted[d['image_id']].append(_xywh_to_xyxy(d.get('bbox'), det_file, d))
    return [np.asarray(wanted[i], np.float64).reshape(-1, 4) for i in image_ids]


def recovered_boxes(gt_dir: str, det_file: str, pred_dir: str, score_thr: float = 0.,
                    iou_thr: float = 0.5) -> Dict[str, Any]:
    """What a tracker's output boxes recall beyond the detector's (Wang et al. 2020, Table 9 and
    its claim: boxes propagated from keyframes recover people the detector missed).

    Args:
        gt_dir: per-video ground-truth files (labeled frames are scored).
        det_file: the detector's boxes of those frames (COCO-style list).
        pred_dir: prediction files named as the ground truth, with ``bbox`` per person.
        score_thr: detections scored below it do not count (what the pose stage saw).
        iou_thr: IoU a match needs.

    Returns:
        ``dict(num_gt, detector=recall % of the detections, predictions=recall % of the output
        boxes, recovered=boxes missed by the detector and recalled by the output, lost=boxes
        recalled by the detector and missed by the output)``.
    """
    keys, gts, prs, _ = _dir_boxes(gt_dir, pred_dir)
    dets = detection_boxes(det_file, [k[1] for k in keys], score_thr)
    by_det = np.concatenate([np.zeros(0, bool)] + matched_gt_boxes(gts, dets, iou_thr))
    by_pred = np.concatenate([np.zeros(0, bool)] + matched_gt_boxes(gts, prs, iou_thr))
    n = len(by_det)
    pct = (lambda m: 100.0 * m.sum() / n) if n else (lambda m: float('nan'))
    return dict(num_gt=n, detector=pct(by_det), predictions=pct(by_pred),
                recovered=int((~by_det & by_pred).sum()), lost=int((by_det & ~by_pred).sum()))
