"""The PoseTrack18 file format: constants, the frame-index rule, ignore regions, the JSON reader.

Everything that datasets, trackers, the renderer, the metric and the commands need to know about a
PoseTrack18 file lives here, once (numpy and the standard library only: importable without torch,
mmengine or mmpose, so that ``tools/eval_posetrack.py`` and ``tools/track.py`` start fast).

A PoseTrack18 file (one video, or a merged COCO-style file of several) holds ``images`` (``id``,
``file_name`` = ``images/<split>/<video>/<NNNNNN>.jpg``, ``nframes``, ``is_labeled``,
``ignore_regions_x`` / ``ignore_regions_y``...), ``annotations`` (``image_id``, ``track_id``,
``keypoints`` = 17 x ``(x, y, v)`` in :data:`POSETRACK18_KEYPOINT_NAMES` order, ``bbox``,
``bbox_head``, optional ``scores``) and ``categories``.

Public names:

* :class:`PoseTrackFormatError` (a ``ValueError``): a file that lacks a field or holds a bad value;
  messages name file (or video), frame / id and field.
* :func:`read_json`: the one JSON reader (orjson when installed, else ``json``), one-line errors.
* :func:`frame_number`, :func:`frame_index`, :func:`frame_indices`: the one frame-index rule.
* :func:`video_name`: the video a ``file_name`` belongs to (its folder).
* :func:`parse_ignore_regions`: the one ignore-region parser.
* constants: :data:`POSETRACK18_KEYPOINT_NAMES`, :data:`NUM_KEYPOINTS`, :data:`POSEVAL_JOINTS`,
  :data:`NUM_POSEVAL_JOINTS`, :data:`COCO17_TO_POSEVAL`, :data:`POSEVAL_JOINT_GROUPS`,
  :data:`POSETRACK18_SKELETON`, :data:`POSETRACK18_SKELETON_LINKS`,
  :data:`POSETRACK18_FLIP_INDICES`, :data:`POSETRACK18_SIGMAS`, :data:`MAX_TRACK_ID`,
  :data:`MIN_SCORE`.
"""
from __future__ import annotations

import json
import os.path as osp
import re
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

try:  # several times faster than json on PoseTrack files; same values (exact float parsing in both)
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is in requirements/runtime.txt
    _orjson = None

# --------------------------------------------------------------------------------------------
# constants
# --------------------------------------------------------------------------------------------
#: PoseTrack18's 17 keypoint names in COCO order; slots 1 and 2 (COCO's eyes) are the neck
#: (``head_bottom``) and ``head_top``; the ears (3, 4) are never annotated.
POSETRACK18_KEYPOINT_NAMES: Tuple[str, ...] = (
    'nose', 'head_bottom', 'head_top', 'left_ear', 'right_ear', 'left_shoulder', 'right_shoulder',
    'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip', 'right_hip',
    'left_knee', 'right_knee', 'left_ankle', 'right_ankle')
#: old name, kept for importers
POSETRACK18_COCO_NAMES = POSETRACK18_KEYPOINT_NAMES
NUM_KEYPOINTS = 17
#: the 15 joints the official evaluator (poseval ``eval_helpers.Joint``) scores, in its order
POSEVAL_JOINTS: Tuple[str, ...] = (
    'right_ankle', 'right_knee', 'right_hip', 'left_hip', 'left_knee', 'left_ankle',
    'right_wrist', 'right_elbow', 'right_shoulder', 'left_shoulder', 'left_elbow', 'left_wrist',
    'head_bottom', 'nose', 'head_top')
NUM_POSEVAL_JOINTS = 15
#: for each poseval joint, its slot among the 17 COCO-order keypoints
COCO17_TO_POSEVAL = np.array([POSETRACK18_KEYPOINT_NAMES.index(n) for n in POSEVAL_JOINTS])
#: poseval's printed groups (``getCum``): indices into :data:`POSEVAL_JOINTS`
POSEVAL_JOINT_GROUPS: Dict[str, Tuple[int, ...]] = {
    'Head': (14, 12, 13),  # head_top, neck, nose
    'Shou': (8, 9),
    'Elb': (7, 10),
    'Wri': (6, 11),
    'Hip': (2, 3),
    'Knee': (1, 4),
    'Ankl': (0, 5),
}
#: the ``skeleton`` of the files' ``categories[0]`` (1-based keypoint numbers, COCO's links)
POSETRACK18_SKELETON: List[List[int]] = [
    [16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8], [7, 9],
    [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]]
#: the same links 0-based (MMPose's ``skeleton_links``)
POSETRACK18_SKELETON_LINKS: Tuple[Tuple[int, int], ...] = tuple(
    (a - 1, b - 1) for a, b in POSETRACK18_SKELETON)
#: left/right swap under a horizontal flip (MMPose ``posetrack18.py`` ``swap``): unlike COCO,
#: slots 1 and 2 (neck, head top) are not a pair and stay in place
POSETRACK18_FLIP_INDICES: Tuple[int, ...] = (0, 1, 2, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13,
                                             16, 15)
#: OKS sigmas of PoseTrack18 (MMPose ``posetrack18.py``), equal to COCO's (cocoapi)
POSETRACK18_SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07,
                               .87, .87, .89, .89], dtype=np.float64) / 10.0
#: track ids are integers in ``[0, MAX_TRACK_ID)`` (poseval asserts ``track_id < 10000``: it adds
#: ``video_index * 10000`` to make ids unique over videos)
MAX_TRACK_ID = 10000
#: poseval's score of a joint given without a score
MIN_SCORE = -9999.0


class PoseTrackFormatError(ValueError):
    """A PoseTrack18 file (annotations, predictions, detections) that lacks a field or holds a bad
    value; the message names the file or video, the frame / image / annotation id and the field."""


# --------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------
def read_json(path: str, what: str = 'annotation file') -> Any:
    """Read a JSON file: orjson when installed (several times faster), else or when orjson refuses
    the text, Python's ``json``, so the values are always what ``json.load`` gives (it also reads
    the ``NaN`` / ``Infinity`` tokens that ``json.dump`` writes and orjson rejects, and integers
    beyond 64 bits).

    Args:
        path: the file.
        what: what the file is, for messages (``'annotation file'``, ``'prediction file'``,
            ``'detection file'``...).

    Returns:
        The decoded value.

    Raises:
        FileNotFoundError: ``PoseTrack18 <what> not found: <path>``.
        OSError: ``cannot read PoseTrack18 <what> <path>: <reason>`` (permissions, a folder...).
        PoseTrackFormatError: ``malformed JSON in PoseTrack18 <what> <path>: <error> at line L
            column C (char P)`` for an empty, truncated or otherwise invalid file.
    """
    if not osp.exists(path):
        raise FileNotFoundError(f'PoseTrack18 {what} not found: {path}')
    try:
        with open(path, 'rb') as f:
            raw = f.read()
    except OSError as e:
        raise OSError(f'cannot read PoseTrack18 {what} {path}: {e.strerror or e}') from e
    prefix = f'malformed JSON in PoseTrack18 {what} {path}'
    if not raw.strip():
        raise PoseTrackFormatError(f'{prefix}: the file is empty')
    if _orjson is not None:
        try:
            return _orjson.loads(raw)
        except _orjson.JSONDecodeError:
            pass  # NaN / Infinity tokens (Python's json writes them) or a real error: json says
    try:
        return json.loads(raw.decode('utf-8'))
    except json.JSONDecodeError as e:
        end = ' (the file ends there: truncated?)' if e.pos >= len(raw.rstrip()) else ''
        raise PoseTrackFormatError(f'{prefix}: {e.msg} at line {e.lineno} column {e.colno} '
                                   f'(char {e.pos}){end}') from None
    except UnicodeDecodeError as e:
        raise PoseTrackFormatError(f'{prefix}: not UTF-8 text ({e})') from None


# --------------------------------------------------------------------------------------------
# videos and frame indices
# --------------------------------------------------------------------------------------------
_TRAILING_NUMBER = re.compile(r'(\d+)$')


def video_name(file_name: str) -> str:
    """The video of a frame: the folder that holds it (``images/val/009473_mpii_test/000000.jpg``
    -> ``'009473_mpii_test'``); ``''`` when ``file_name`` has no folder."""
    return osp.basename(osp.dirname(str(file_name).replace('\\', '/')))


def frame_number(file_name: Any) -> Optional[int]:
    """The number that ends the file name's stem (``.../000042.jpg`` -> 42, ``frame_7.png`` -> 7),
    ``None`` when the stem does not end in a digit (or ``file_name`` is not a string)."""
    if not isinstance(file_name, str):
        return None
    stem = osp.splitext(osp.basename(file_name.replace('\\', '/')))[0]
    m = _TRAILING_NUMBER.search(stem)
    return int(m.group(1)) if m else None


def frame_index(file_name: Any, position: Optional[int] = None) -> int:
    """The 0-based index of a frame in its video: THE frame-index rule of this project.

    PoseTrack18 names frames ``<video>/000000.jpg``, ``000001.jpg``, ... so the index is the number
    that ends the file stem (:func:`frame_number`). When the stem ends in no number, the frame's
    ``position`` (0-based, among its video's images in file order) is used. PoseTrack's
    ``frame_id`` field is not used: it is a global id equal to the image id.

    Use :func:`frame_indices` for a whole video (it never mixes the two cases and rejects two
    frames with the same number).

    Args:
        file_name: the image's ``file_name``.
        position: the fallback.

    Returns:
        The frame index.

    Raises:
        PoseTrackFormatError: no number in ``file_name`` and no ``position``.
    """
    n = frame_number(file_name)
    if n is not None:
        return n
    if position is None:
        raise PoseTrackFormatError(f'field "file_name" ({file_name!r}) ends in no frame number '
                                   'and no position was given')
    return int(position)


def frame_indices(file_names: Sequence[Any], labels: Optional[Sequence[Any]] = None,
                  where: str = '') -> List[int]:
    """:func:`frame_index` of every frame of ONE video, given in file order.

    The numbers of the file names when every name carries one, else the positions ``0..n-1`` for
    all frames (never a mix).

    Args:
        file_names: the ``file_name`` of each image of the video, in file order.
        labels: how messages name each image (default: its file name), e.g. ``'image id 7'``.
        where: message prefix (the file, the video).

    Returns:
        The frame index of each image (same order as ``file_names``).

    Raises:
        PoseTrackFormatError: two images carry the same frame number.
    """
    nums = [frame_number(f) for f in file_names]
    if any(n is None for n in nums):
        return list(range(len(nums)))
    first: Dict[int, int] = {}
    for i, n in enumerate(nums):
        j = first.setdefault(n, i)
        if j != i:
            lab = labels if labels is not None else [repr(f) for f in file_names]
            raise PoseTrackFormatError(
                f'{where + ": " if where else ""}{lab[j]} and {lab[i]} are both frame {n} of the '
                'video (field "file_name")')
    return nums


# --------------------------------------------------------------------------------------------
# ignore regions
# --------------------------------------------------------------------------------------------
def parse_ignore_regions(image: Dict[str, Any], where: str = '') -> Tuple[List[np.ndarray], bool]:
    """The ignore-region polygons of an image entry (``ignore_regions_x`` / ``ignore_regions_y``).

    Args:
        image: an entry of the file's ``images``.
        where: message prefix naming the file / video and the frame.

    Returns:
        ``(polygons, has_regions)``: a list of ``(V, 2)`` float64 arrays of ``x, y`` vertices, and
        whether the image lists at least one region (the official evaluator removes people left
        without points only in such frames). Polygons with fewer than 3 vertices have no inside:
        they are left out with a warning (poseval's shapely would fail on them). Absent or ``null``
        fields mean no regions.

    Raises:
        PoseTrackFormatError: the fields are not two lists of the same length, a polygon's ``x``
            and ``y`` differ in length, or hold something other than finite numbers.
    """
    pre = f'{where}: ' if where else ''
    rx, ry = image.get('ignore_regions_x'), image.get('ignore_regions_y')
    if rx is None and ry is None:
        return [], False
    if not isinstance(rx, list) or not isinstance(ry, list) or len(rx) != len(ry):
        def n(v):
            return f'{len(v)} polygons' if isinstance(v, list) else repr(type(v).__name__)
        raise PoseTrackFormatError(
            f'{pre}"ignore_regions_x" has {n(rx)}, "ignore_regions_y" {n(ry)}: they must be two '
            'lists of polygons of the same length')
    polys = []
    for r, (xs, ys) in enumerate(zip(rx, ry)):
        try:
            x = np.asarray(xs, dtype=np.float64).reshape(-1)
            y = np.asarray(ys, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError) as e:
            raise PoseTrackFormatError(
                f'{pre}field "ignore_regions_x/y[{r}]" must hold numbers ({e})') from None
        if x.size != y.size:
            raise PoseTrackFormatError(
                f'{pre}field "ignore_regions_x[{r}]" has {x.size} numbers, '
                f'"ignore_regions_y[{r}]" {y.size}')
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise PoseTrackFormatError(
                f'{pre}field "ignore_regions_x/y[{r}]" holds non-finite numbers')
        if x.size < 3:
            warnings.warn(f'{pre}field "ignore_regions_x/y[{r}]": polygon with {x.size} vertices '
                          'has no inside; left out')
            continue
        polys.append(np.stack([x, y], axis=1))
    return polys, len(rx) > 0
