"""Pure evaluation functions (numpy/scipy only: importable without torch or mmpose).

The PoseTrack evaluation: :func:`evaluate_posetrack` (AP, MOTA, keypoint HOTA per joint group,
official-equal by default, ``strict=True`` for corrected counting), file reading/validation and the
PoseTrack18 exporter; person box recall (:func:`person_box_recall`, :func:`gt_person_boxes`).
``tools/eval_posetrack.py`` imports it (``mmpose_track`` and ``mmpose_track.evaluation`` import
lazily: no torch, no mmengine). The file format itself lives in
:mod:`mmpose_track.structures.posetrack18_format`, point-in-polygon in
:mod:`mmpose_track.structures.polygon`; their names used here are re-exported.
"""
from .box_recall import (box_recall_dirs, detection_boxes, gt_person_boxes, matched_gt_boxes,
                         person_box_recall, recovered_boxes)
from .joint_thresholds import (DEFAULT_GRID, fit_joint_thresholds, load_joint_thresholds,
                               threshold_video)
from .keypoint_hota import ALPHAS, evaluate_keypoint_hota, keypoint_similarity
from .posetrack_eval import (GROUP_NAMES, EvalFrame, evaluate_ap, evaluate_mota,
                             evaluate_posetrack, format_table, frame_ap_labels, group_values,
                             head_sizes, ignored_joints, pair_distances, points_in_polygon,
                             points_in_polygons, prepare_video, voc_ap)
from .posetrack_io import (JOINT_GROUPS, MAX_TRACK_ID, MIN_SCORE, NUM_JOINTS, POSEVAL_JOINTS,
                           POSETRACK18_COCO_NAMES, PoseTrackFormatError, PoseTrackFrame,
                           PoseTrackVideo, export_posetrack18, load_gt_pred_dirs,
                           load_posetrack_file, parse_posetrack18, read_json,
                           split_merged_annotations, write_posetrack18)


def evaluate_posetrack_dirs(gt_dir: str, pred_dir: str, strict: bool = False,
                            missing: str = 'error', hota: bool = True) -> dict:
    """Evaluate the official layout: one PoseTrack18 file per video in ``gt_dir`` and a
    prediction file of the same name in ``pred_dir`` (see :func:`evaluate_posetrack`)."""
    gts, prs = load_gt_pred_dirs(gt_dir, pred_dir, missing=missing)
    return evaluate_posetrack(gts, prs, strict=strict, hota=hota)


__all__ = [
    'box_recall_dirs', 'gt_person_boxes', 'person_box_recall', 'matched_gt_boxes',
    'detection_boxes', 'recovered_boxes',
    'DEFAULT_GRID', 'fit_joint_thresholds', 'load_joint_thresholds', 'threshold_video',
    'ALPHAS', 'evaluate_keypoint_hota', 'keypoint_similarity', 'GROUP_NAMES', 'EvalFrame',
    'evaluate_ap', 'evaluate_mota', 'evaluate_posetrack', 'evaluate_posetrack_dirs',
    'format_table', 'frame_ap_labels', 'group_values', 'head_sizes', 'ignored_joints',
    'pair_distances', 'points_in_polygon', 'points_in_polygons', 'prepare_video', 'voc_ap',
    'JOINT_GROUPS', 'MAX_TRACK_ID', 'MIN_SCORE', 'NUM_JOINTS', 'POSEVAL_JOINTS',
    'POSETRACK18_COCO_NAMES', 'PoseTrackFormatError', 'PoseTrackFrame', 'PoseTrackVideo',
    'export_posetrack18', 'load_gt_pred_dirs', 'load_posetrack_file', 'parse_posetrack18',
    'read_json', 'split_merged_annotations', 'write_posetrack18'
]
