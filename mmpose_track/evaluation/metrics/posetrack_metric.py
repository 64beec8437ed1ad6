"""``PoseTrackMetric``: the PoseTrack evaluation (AP, MOTA, keypoint HOTA) as an MMEngine metric.

A thin wrapper over :mod:`mmpose_track.evaluation.functional`: it collects frame-level
``PoseDataSample`` predictions with track ids (``docs/architecture.md``, "Frame-level samples at
test time"), gathers them from all ranks (MMEngine ``BaseMetric``), groups them by video and sorts
them by frame, writes one PoseTrack18 prediction file per ground-truth video (submittable; a video
without any prediction gets a file with empty frames and a warning) and scores them.

Each predicted frame is put on its ground-truth frame by ``img_id``, else ``img_path``, else
``frame_idx`` under the project's frame-index rule
(:mod:`mmpose_track.structures.posetrack18_format`); a frame that matches none is an error. The
files are written in the ground truth's frame order, so the evaluation's pairing of frames by
position (poseval's rule) pairs the right frames.

With ``box_recall=True`` (default) and predictions that carry ``bboxes``, it also reports the
person bounding-box recall of Wang et al. 2020 (Table 9), ``posetrack/BoxRecall``
(:func:`~mmpose_track.evaluation.functional.person_box_recall`, IoU 0.5, over the labeled
ground-truth frames of all videos, with the same frame mapping).
"""
import os
import os.path as osp
import shutil
import tempfile
import warnings
from collections import OrderedDict, defaultdict
from typing import Any, Dict, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpose.registry import METRICS

from ...structures.posetrack18_format import frame_indices, read_json
from ..functional import (GROUP_NAMES, evaluate_posetrack, export_posetrack18, format_table,
                          gt_person_boxes, parse_posetrack18, person_box_recall,
                          split_merged_annotations, write_posetrack18)


def _np(x: Any) -> Optional[np.ndarray]:
    if x is None:
        return None
    if hasattr(x, 'detach'):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        meta = obj.get('metainfo')
        return meta.get(key, default) if isinstance(meta, dict) else default
    if hasattr(obj, 'metainfo') and key in obj.metainfo:
        return obj.metainfo[key]
    return getattr(obj, key, default)


def _pred_boxes(rec: Optional[dict]) -> np.ndarray:
    """The ``(P, 4)`` predicted boxes of a frame record; ``(0, 4)`` without a record or
    ``bboxes``. Extra columns (a score) are dropped, as the exporter does."""
    b = None if rec is None else rec.get('bboxes')
    if b is None:
        return np.zeros((0, 4))
    b = np.asarray(b, dtype=np.float64)
    if b.ndim == 2 and b.shape[1] > 4:
        b = b[:, :4]
    return b


@METRICS.register_module()
class PoseTrackMetric(BaseMetric):
    """PoseTrack AP / MOTA / keypoint HOTA, official-equal by default.

    Args:
        ann_file: merged COCO-style PoseTrack18 file; videos are named after the folder of
            ``file_name`` (e.g. ``009473_mpii_test``). Give this or ``gt_dir``.
        gt_dir: folder of per-video PoseTrack18 files (the official layout).
        out_dir: folder for the per-video prediction files (``<video>.json``, named as the
            ground truth). ``outfile_prefix`` is an alias. Without either, a temporary folder is
            used and removed.
        strict: corrected counting instead of poseval's quirks (``docs/evaluation.md``).
        score_thr: joints with a score below it are written as missing before evaluation
            (papers filter low-confidence joints); None keeps all. One number, 17 per-joint
            thresholds (PoseTrack18 COCO order), or the path of a JSON file with them (what
            ``fit_joint_thresholds`` returns, e.g. written by a fitting tool).
        threshold_ap: with ``score_thr``, whether AP too is computed on the thresholded joints
            (default). ``False``: AP on all the joints, MOTA / MOTP / precision / recall / HOTA on
            those above ``score_thr`` (clip tracking, Sec. 4.1: "we compute AP on all the
            localized body joints, but we threshold low confidence predictions prior to
            computing MOTA"; so do FlowTrack and HRNet); the written files are the thresholded
            ones.
        hota: also compute keypoint HOTA / DetA / AssA.
        box_recall: also report ``BoxRecall``, the person bounding-box recall (Wang et al. 2020,
            Table 9): percent of ground-truth person boxes of the labeled frames recalled by a
            predicted box with IoU >= 0.5 under a one-to-one matching
            (:func:`~mmpose_track.evaluation.functional.person_box_recall`); a labeled frame
            without prediction record (or without ``bboxes``) misses all its boxes. Skipped, with
            one log line, when no prediction carries ``bboxes``. Predicted boxes with NaN or
            infinite coordinates are dropped with a warning.
        prefix: key prefix, default ``'posetrack'`` (``posetrack/AP``, ``posetrack/MOTA``, ...).
    """
    default_prefix: Optional[str] = 'posetrack'

    def __init__(self,
                 ann_file: Optional[str] = None,
                 gt_dir: Optional[str] = None,
                 out_dir: Optional[str] = None,
                 outfile_prefix: Optional[str] = None,
                 strict: bool = False,
                 score_thr: Union[None, float, Sequence[float], str] = None,
                 hota: bool = True,
                 box_recall: bool = True,
                 threshold_ap: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if (ann_file is None) == (gt_dir is None):
            raise ValueError('PoseTrackMetric needs exactly one of ann_file or gt_dir')
        if out_dir is not None and outfile_prefix is not None and out_dir != outfile_prefix:
            raise ValueError('give out_dir or outfile_prefix, not both')
        self.ann_file = ann_file
        self.gt_dir = gt_dir
        self.out_dir = out_dir if out_dir is not None else outfile_prefix
        self.strict = strict
        if isinstance(score_thr, str):
            from ..functional.joint_thresholds import load_joint_thresholds
            score_thr = load_joint_thresholds(score_thr)
        elif score_thr is not None and np.shape(score_thr) not in ((), (17, )):
            raise ValueError(f'PoseTrackMetric: score_thr must be a number, 17 per-joint '
                             f'thresholds or a thresholds file, got {score_thr!r}')
        self.score_thr = score_thr
        self.threshold_ap = threshold_ap
        self.hota = hota
        self.box_recall = box_recall
        self._box_recall_logged = False
        self._gt: Optional[Dict[str, dict]] = None

    # ------------------------------------------------------------------ collection
    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Keep one compact record per frame-level sample (numpy arrays only)."""
        for ds in data_samples:
            pred = _get(ds, 'pred_instances')
            rec = dict(video_id=_get(ds, 'video_id'), frame_idx=_get(ds, 'frame_idx'),
                       img_id=_get(ds, 'img_id'), img_path=_get(ds, 'img_path'))
            if rec['video_id'] is None:
                p = rec['img_path']
                rec['video_id'] = osp.basename(osp.dirname(p)) if p else None
            if rec['video_id'] is None:
                raise KeyError('PoseTrackMetric needs metainfo video_id (or img_path) in every '
                               'data sample')
            for k in ('keypoints', 'keypoint_scores', 'bboxes', 'bbox_scores', 'track_ids'):
                rec[k] = _np(_get(pred, k)) if pred is not None else None
            n = 0 if rec['keypoints'] is None else len(rec['keypoints'])
            if n and rec['track_ids'] is None:
                raise KeyError(f'video {rec["video_id"]!r}, frame {rec["frame_idx"]}: '
                               'pred_instances has no track_ids (run a tracker first)')
            self.results.append(rec)

    # ------------------------------------------------------------------ ground truth
    def _load_gt(self) -> Dict[str, dict]:
        if self._gt is None:
            if self.gt_dir is not None:
                if not osp.isdir(self.gt_dir):
                    raise FileNotFoundError(
                        f'PoseTrackMetric: ground-truth folder gt_dir={self.gt_dir!r} not found '
                        '(set val_evaluator.gt_dir / test_evaluator.gt_dir to the folder of '
                        'per-video PoseTrack18 files)')
                names = sorted(n for n in os.listdir(self.gt_dir) if n.endswith('.json'))
                self._gt = OrderedDict(
                    (n[:-5], read_json(osp.join(self.gt_dir, n), 'ground-truth file'))
                    for n in names)
            else:
                self._gt = OrderedDict(sorted(
                    split_merged_annotations(read_json(self.ann_file)).items()))
        return self._gt

    @staticmethod
    def _frame_key(rec: dict, by_id: dict, by_name: dict, by_index: dict):
        """The ground-truth image id of a predicted frame: by ``img_id``; else by the last two
        parts of ``img_path`` (``<video>/<frame file>``); else by ``frame_idx``, matched with the
        ground-truth frame of that index under the project's frame-index rule
        (:func:`~mmpose_track.structures.posetrack18_format.frame_indices`: the number ending the
        file name, else the position in the file). ``None`` when nothing matches."""
        if rec['img_id'] is not None and rec['img_id'] in by_id:
            return rec['img_id']
        p = rec['img_path']
        if p:
            key = '/'.join(str(p).replace('\\', '/').split('/')[-2:])
            if key in by_name:
                return by_name[key]
        f = rec['frame_idx']
        if f is not None:
            return by_index.get(int(f))
        return None

    # ------------------------------------------------------------------ metrics
    def compute_metrics(self, results: list) -> Dict[str, float]:
        logger = MMLogger.get_current_instance()
        gt = self._load_gt()
        per_video: Dict[str, Dict[Any, dict]] = defaultdict(dict)
        seen = set()
        # frames may arrive in any order across ranks (and padded duplicates): group, sort, dedupe
        for rec in sorted(results, key=lambda r: (str(r['video_id']),
                                                   -1 if r['frame_idx'] is None
                                                   else int(r['frame_idx']))):
            key = (rec['video_id'], rec['frame_idx'], rec['img_id'])
            if key in seen:
                continue
            seen.add(key)
            per_video[str(rec['video_id'])][key] = rec
        unknown = sorted(set(per_video) - set(gt))
        if unknown:
            warnings.warn(f'predictions for {len(unknown)} videos without ground truth ignored: '
                          f'{unknown[:5]}')
        tmp = None
        out_dir = self.out_dir
        if out_dir is None:
            tmp = out_dir = tempfile.mkdtemp(prefix='posetrack_pred_')
        try:
            gts, prs = [], []
            ap_prs = None if self.threshold_ap or self.score_thr is None else []
            box_frames = []  # per video: (name, GT boxes per labeled frame, predicted boxes)
            has_boxes = False
            for name, gdata in gt.items():
                images = gdata['images']
                by_id = {img['id']: img for img in images}
                by_name = {'/'.join(str(img.get('file_name', '')).replace('\\', '/')
                                    .split('/')[-2:]): img['id'] for img in images}
                by_index = {}  # filled when a frame needs it
                frames = {}
                for rec in per_video.get(name, {}).values():
                    if not by_index and rec['img_id'] not in by_id:
                        by_index = dict(zip(
                            frame_indices([img.get('file_name') for img in images],
                                          [f'image id {img["id"]}' for img in images],
                                          f'PoseTrackMetric: ground truth of video {name!r}'),
                            [img['id'] for img in images]))
                    k = self._frame_key(rec, by_id, by_name, by_index)
                    if k is None:
                        raise ValueError(
                            f'PoseTrackMetric: video {name!r}: a predicted frame (img_id='
                            f'{rec["img_id"]!r}, img_path={rec["img_path"]!r}, frame_idx='
                            f'{rec["frame_idx"]!r}) matches no ground-truth image by img_id, '
                            'img_path or frame index')
                    frames[k] = rec
                if name not in per_video:
                    warnings.warn(f'video {name!r}: no predictions at all; an empty prediction '
                                  'file is written and scored (every ground-truth joint missed)')
                if self.box_recall:
                    gboxes = gt_person_boxes(gdata, name)
                    box_frames.append((name, list(gboxes.values()),
                                       [_pred_boxes(frames.get(k)) for k in gboxes]))
                    has_boxes = has_boxes or any(r['bboxes'] is not None
                                                 for r in frames.values())
                pred = export_posetrack18(images, frames, score_thr=self.score_thr, video=name)
                write_posetrack18(osp.join(out_dir, name + '.json'), pred)
                gts.append(parse_posetrack18(gdata, name, is_gt=True))
                prs.append(parse_posetrack18(pred, name, is_gt=False))
                if ap_prs is not None:
                    ap_prs.append(parse_posetrack18(
                        export_posetrack18(images, frames, score_thr=None, video=name), name,
                        is_gt=False))
            res = evaluate_posetrack(gts, prs, strict=self.strict, hota=self.hota,
                                     ap_pred_videos=ap_prs)
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
        logger.info('PoseTrack evaluation (%s):\n%s', 'strict' if self.strict else 'official',
                    format_table(res))
        if self.out_dir is not None:
            logger.info(f'PoseTrack18 prediction files written to {self.out_dir}')
        metrics: Dict[str, float] = OrderedDict()
        for k in ('AP', 'MOTA', 'MOTP', 'Precision', 'Recall', 'HOTA', 'DetA', 'AssA'):
            if k in res:
                metrics[k] = res[k]['Total']
        for k in ('AP', 'MOTA', 'HOTA'):
            if k in res:
                for g in GROUP_NAMES[:-1]:
                    metrics[f'{k}_{g}'] = res[k][g]
        # identity switches of MOTA's counts, summed over the joints (poseval counts them per
        # joint track; it prints only MOTA)
        metrics['IDSW'] = float(sum(res['counts']['num_switches']))
        if self.box_recall:
            if has_boxes:
                metrics['BoxRecall'] = self._box_recall(box_frames, logger)
            elif not self._box_recall_logged:
                self._box_recall_logged = True
                logger.info('PoseTrackMetric: no prediction carries bboxes; BoxRecall is not '
                            'reported')
        return metrics

    @staticmethod
    def _box_recall(box_frames: list, logger: Any) -> float:
        """Person box recall (percent, IoU 0.5) pooled over the videos of ``box_frames``."""
        num_gt = num_recalled = dropped = 0
        for name, gboxes, pboxes in box_frames:
            for i, p in enumerate(pboxes):
                if p.ndim == 2 and p.shape[1] == 4 and not np.isfinite(p).all():
                    keep = np.isfinite(p).all(1)
                    dropped += int((~keep).sum())
                    pboxes[i] = p[keep]
            try:
                r = person_box_recall(gboxes, pboxes, iou_thr=0.5)
            except ValueError as e:
                raise ValueError(f'PoseTrackMetric: video {name!r} (frame numbers count its '
                                 f'labeled ground-truth frames only): {e}') from None
            num_gt += r['num_gt']
            num_recalled += r['num_recalled']
        if dropped:
            warnings.warn(f'PoseTrackMetric: {dropped} predicted boxes with NaN or infinite '
                          'coordinates left out of BoxRecall')
        recall = 100.0 * num_recalled / num_gt if num_gt else float('nan')
        logger.info(f'Person box recall (IoU 0.5): {recall:.2f}% ({num_recalled} of {num_gt} '
                    'ground-truth boxes of the labeled frames)')
        return recall
