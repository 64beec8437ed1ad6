"""Deterministic synthetic PoseTrack18 dataset (the project's embedded default data set).

numpy + OpenCV (and the package's torch-free modules: the shared IoU, point-in-polygon and
PoseTrack18 constants); no torch, no model stack. Entry point:
:func:`generate_synthetic_posetrack18`; command line: ``tools/dataset_converters/
generate_synthetic_posetrack18.py``.

Scene model. People are articulated figures (torso, limbs, head with hair and face) with the 17 COCO
joints, walking on a ground plane seen by a perspective camera: a gait cycle, turns (facing changes,
so left and right swap sides in the image), scale changing with depth, crossings at different
depths, entering and leaving the view. Every frame is then mapped by a global similarity
(scale + translation) that carries the camera's pan, zoom and shot cuts; the textured background is
warped by the same transform. People are drawn from far to near.

Labelling rules (PoseTrack18 conventions; the files meet the official PoseTrack evaluation's input
rules):

- keypoints in COCO order, slots 1 and 2 are ``head_bottom`` and ``head_top``; the ears are never
  labeled (as in PoseTrack18); the nose is not labeled when the person faces away from the camera;
- a keypoint covered by a nearer person (decided on the rendered person-id map) or outside the image
  is not labeled and written ``0, 0, 0``; limbs hidden by the person's own body stay labeled;
- a person is annotated in a labeled frame when at least ``min_keypoints`` keypoints are labeled,
  unless most of them lie strictly inside an ignore region (crowds are not annotated, as in
  PoseTrack); ``track_id`` follows the person's identity through the video (first annotated person
  gets 0), a new person gets a new id;
- ``bbox`` is the drawn figure's box clipped to the image; ``bbox_head`` is the square around the
  head circle (head_top..head_bottom), not clipped, so it always has a positive area;
- labeled frames: a dense middle block of ``dense_frames`` frames plus every ``label_every``-th
  frame (PoseTrack18 val style); unlabeled frames have ``is_labeled: false``, no annotations and
  no ignore regions;
- ids: image id ``10000000000 + int(vid_id) * 10000 + frame``, annotation id ``image_id * 100 + k``.

Detections (every frame, labeled or not; the same boxes in both detection outputs): people are
missed more often when occluded, truncated or small; boxes and keypoints are jittered (keypoints
more, with lower scores, where the person is unseen); some people get a duplicate; false positives
(about ``det_false_positives`` per frame) lie clear of every person. Randomness is drawn from
per-video generators seeded by ``(seed, split, video index)``, separately for the scene and for the
detections, so the output depends only on the options.

Robustness options (defaults: the default set, byte for byte): ``camera_strength`` (pans and zooms
sweep back and forth, as many times as fast), ``shot_cuts``, ``crossing_pairs``, ``det_dropout``
(runs of frames where a person is missing from the detections, not from the ground truth). The
``hard`` preset (:data:`HARD_OPTIONS`, ``SyntheticPoseTrackOptions.hard()``, ``preset='hard'``)
sets them for a harder val split.

Modules, by concern: :mod:`.options` (options, constants), :mod:`.scene` (people, camera, world
canvas), :mod:`.render` (frames and what each person shows), :mod:`.labels` (ground truth),
:mod:`.detections` (detector noise), :mod:`.writer` (files; the entry points).

Output layout under ``out_dir``::

    images/{split}/{vid}/{frame:06d}.jpg           frames (vid = '000001_mpii_test', ...)
    videos/{split}/{vid}.mp4                        only with write_video=True
    annotations/{split}/{vid}.json                  one PoseTrack18 ground-truth file per video
    annotations/posetrack18_{split}.json            per-split merge (COCO style)
    annotations/posetrack18_{split}_human_detections.json   noisy person boxes (COCO results)
    detections/{split}/{vid}.json                   noisy pose detections, no track_id
    meta.json                                       options, camera events, people, per video
"""
from .options import (CAMERA_MODES, HARD_OPTIONS, KEYPOINT_NAMES, POSETRACK18_CATEGORIES,
                      PRESETS, SyntheticPoseTrackOptions)
from .writer import generate_synthetic_posetrack18, write_synthetic_posetrack18

__all__ = [
    'CAMERA_MODES', 'HARD_OPTIONS', 'KEYPOINT_NAMES', 'POSETRACK18_CATEGORIES', 'PRESETS',
    'SyntheticPoseTrackOptions', 'generate_synthetic_posetrack18', 'write_synthetic_posetrack18'
]
