"""PoseTrack18 single-frame dataset (top-down: one sample per person box; bottom-up: per frame)."""
import copy
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import mmpose
import numpy as np
from mmpose.datasets.datasets.base import BaseCocoStyleDataset
from mmpose.registry import DATASETS

from .posetrack18_io import load_detections, load_posetrack18

#: keys every PoseTrack18 data info of this package carries, frame-level facts of the frame.
FRAME_KEYS = ('img_id', 'img_path', 'video_id', 'frame_idx', 'num_frames', 'is_labeled')

#: metainfo keys the pipelines' frames need (copied into each frame of pairs and clips).
POSE_METAINFO_KEYS = ('dataset_name', 'upper_body_ids', 'lower_body_ids', 'flip_pairs',
                      'dataset_keypoint_weights', 'flip_indices', 'skeleton_links')


#: MMPose's PoseTrack18 metainfo, by absolute path (MMPose would first try the relative path
#: ``configs/_base_/datasets/posetrack18.py`` in the working directory, then warn).
_MIM_METAINFO = osp.join(
    osp.dirname(mmpose.__file__), '.mim', 'configs', '_base_', 'datasets', 'posetrack18.py')
POSETRACK18_METAINFO = dict(from_file=_MIM_METAINFO if osp.exists(_MIM_METAINFO) else
                            'configs/_base_/datasets/posetrack18.py')


def ensure_synthetic_posetrack18(data_root: Optional[str], ann_file: str,
                                 options: Union[bool, Dict, None]) -> bool:
    """Generate the synthetic PoseTrack18 set into ``data_root`` when ``ann_file`` is missing.

    The embedded default data set is deterministic and takes seconds to write, so the tiny
    configs work from any folder (``generate_if_missing`` of the PoseTrack18 datasets). The set
    is written to a temporary sibling folder and renamed to ``data_root`` in one atomic step, so
    that several processes (distributed ranks) building the dataset at once never see half a
    set: the first rename wins, the others discard their copy. The log says what happens.

    Args:
        data_root: the folder of the set (the dataset's ``data_root``).
        ann_file: the dataset's annotation file or folder (relative to ``data_root`` unless
            absolute).
        options: ``False``/``None``: do nothing; ``True``: the defaults of
            :func:`mmpose_track.datasets.synthetic.generate_synthetic_posetrack18` (the set
            ``tools/quickstart.sh`` generates); a dict: its keyword arguments (``seed``,
            ``num_videos``, ``num_frames``...).

    Returns:
        Whether this call wrote the set.

    Raises:
        ValueError: ``options`` set without a ``data_root``.
        FileNotFoundError: ``ann_file`` is missing but ``data_root`` exists and is not empty (it
            is not the generated set: nothing is overwritten).
    """
    if not options:
        return False
    path = ann_file if (osp.isabs(ann_file) or not data_root) else osp.join(data_root, ann_file)
    if osp.exists(path):
        return False
    if not data_root:
        raise ValueError(f'generate_if_missing needs the dataset\'s data_root (where to write '
                         f'the synthetic set); {ann_file} does not exist')
    import os
    import shutil
    import tempfile
    import time

    from mmengine.logging import print_log

    from mmpose_track.datasets.synthetic import generate_synthetic_posetrack18
    kwargs = {} if options is True else dict(options)
    root = osp.abspath(data_root)
    if osp.isdir(root) and os.listdir(root):
        raise FileNotFoundError(
            f'{path} not found, and {data_root} is not empty: generate_if_missing only writes '
            f'into a new or empty folder (remove it, or run '
            f'tools/dataset_converters/generate_synthetic_posetrack18.py --out {data_root})')
    print_log(f'{path} not found: generating the synthetic PoseTrack18 set in {data_root} '
              f'(generate_if_missing={kwargs})', logger='current')
    os.makedirs(osp.dirname(root), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f'.{osp.basename(root)}.tmp-', dir=osp.dirname(root))
    start = time.perf_counter()
    try:
        generate_synthetic_posetrack18(tmp, **kwargs)
        try:
            os.rename(tmp, root)  # atomic; fails when another process renamed its copy first
        except OSError:
            if not osp.exists(path):
                raise
            print_log(f'{data_root}: another process wrote the synthetic set first; using it',
                      logger='current')
            return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print_log(f'wrote the synthetic PoseTrack18 set in {data_root} '
              f'({time.perf_counter() - start:.1f} s)', logger='current')
    return True


def split_holdout_videos(video_ids: Sequence[str], holdout: Union[float, int],
                 seed: int = 0) -> Tuple[List[str], List[str]]:
    """Split videos into a training part and a held-out part, deterministically.

    The distinct ids are sorted, permuted with ``numpy.random.default_rng(seed).permutation``
    and the first ``n_holdout`` of the permutation are held out, so the split depends only on
    the set of video ids, ``holdout`` and ``seed`` (not on file order).

    Args:
        video_ids: video ids (duplicates allowed, e.g. one per frame).
        holdout: fraction of the videos in ``(0, 1)`` (rounded, at least 1 and at most
            ``n - 1`` videos), or a number of videos in ``[1, n - 1]`` (an int).
        seed: seed of the permutation.

    Returns:
        ``(train_ids, holdout_ids)``: two disjoint sorted lists that together hold every video.

    Raises:
        ValueError: fewer than 2 videos, or ``holdout`` out of range.
    """
    ids = sorted(set(video_ids))
    n = len(ids)
    if n < 2:
        raise ValueError(f'video_split needs at least 2 videos to hold some out, got {n}')
    if isinstance(holdout, (bool, np.bool_)) or not isinstance(holdout, (int, float, np.integer,
                                                                         np.floating)):
        raise ValueError(f'video_split: holdout must be a fraction in (0, 1) or a number of '
                         f'videos, got {holdout!r}')
    if isinstance(holdout, (int, np.integer)):
        if not 1 <= holdout <= n - 1:
            raise ValueError(f'video_split: holdout={holdout} videos must be in [1, {n - 1}] '
                             f'({n} videos)')
        count = int(holdout)
    else:
        if not 0 < holdout < 1:
            raise ValueError(f'video_split: holdout={holdout} must be a fraction in (0, 1) or '
                             f'an int number of videos')
        count = min(max(int(round(holdout * n)), 1), n - 1)
    perm = np.random.default_rng(seed).permutation(n)
    held = set(perm[:count].tolist())
    return ([v for i, v in enumerate(ids) if i not in held],
            [v for i, v in enumerate(ids) if i in held])


def check_video_split(video_split: Optional[dict]) -> Optional[dict]:
    """Check a dataset's ``video_split`` argument and fill its defaults.

    Args:
        video_split: ``None``, or ``dict(holdout=..., part='train' | 'holdout', seed=0)``
            (see :func:`split_holdout_videos` for ``holdout``).

    Returns:
        ``None`` or a new dict with the keys ``holdout``, ``part`` and ``seed``.

    Raises:
        ValueError: not a dict, unknown keys, a missing ``holdout`` or ``part``, a bad value.
    """
    if video_split is None:
        return None
    if not isinstance(video_split, dict):
        raise ValueError(f'video_split must be a dict(holdout=..., part=\'train\'|\'holdout\', '
                         f'seed=0) or None, got {video_split!r}')
    unknown = sorted(set(video_split) - {'holdout', 'part', 'seed'})
    if unknown or 'holdout' not in video_split or 'part' not in video_split:
        raise ValueError(f'video_split needs the keys holdout and part (and optionally seed), '
                         f'got {sorted(video_split)}')
    part, holdout, seed = video_split['part'], video_split['holdout'], video_split.get('seed', 0)
    if part not in ('train', 'holdout'):
        raise ValueError(f'video_split: part must be \'train\' or \'holdout\', got {part!r}')
    if isinstance(holdout, (bool, np.bool_)) or not isinstance(
            holdout, (int, float, np.integer, np.floating)) or not (
                0 < holdout < 1 or (isinstance(holdout, (int, np.integer)) and holdout >= 1)):
        raise ValueError(f'video_split: holdout must be a fraction in (0, 1) or an int number '
                         f'of videos >= 1, got {holdout!r}')
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f'video_split: seed must be an int, got {seed!r}')
    return dict(holdout=holdout, part=part, seed=int(seed))


def _xywh2xyxy(b: np.ndarray) -> np.ndarray:
    return np.array([b[0], b[1], b[0] + b[2], b[1] + b[3]], dtype=np.float32)


@DATASETS.register_module()
class PoseTrack18FrameDataset(BaseCocoStyleDataset):
    """PoseTrack18 frames with their video facts, from a merged file or a per-video folder.

    Reuses :class:`mmpose.datasets.BaseCocoStyleDataset` (metainfo of
    ``configs/_base_/datasets/posetrack18.py``, ``bbox_file``, ``filter_cfg=dict(bbox_score_thr)``,
    pipelines) but reads the annotations itself (:func:`load_posetrack18`) so that it keeps the
    video facts and reports bad input with the file, id and field.

    Every data info holds ``img_id``, ``img_path``, ``video_id`` (str, video folder name),
    ``frame_idx`` (0-based), ``num_frames``, ``is_labeled``, and for the people (``N = 1`` in
    top-down): ``bbox`` ``(N, 4)`` x1y1x2y2 clipped to the image, ``bbox_score`` ``(N,)``,
    ``bbox_head`` ``(N, 4)`` x1y1x2y2 (zeros when absent; original image pixels, *not* moved by
    the transforms), ``track_ids`` ``(N,)`` int64 (-1 for detections), ``keypoints`` ``(N, K, 2)``,
    ``keypoints_visible`` ``(N, K)``, ``num_keypoints``, ``area``, ``iscrowd``, ``id``,
    ``category_id``, ``raw_ann_info``; bottom-up frames also ``ignore_regions`` (list of ``(n, 2)``
    polygons) and ``invalid_segs`` (the same polygons in COCO segmentation form, so that MMPose's
    ``BottomupGetHeatmapMask`` masks them out).

    Samples are ordered by (video_id, frame_idx) (videos sorted by name); top-down samples of one
    frame are consecutive. Defined results:

    - top-down: a person with no visible keypoint (or an empty box) gives no sample (MMPose's
      filter), in training and testing; a frame without people gives no sample.
    - bottom-up, training: frames without a person with a visible keypoint are dropped;
      testing: every frame listed in the annotation file is a sample (unlabeled and empty frames
      included, with arrays of length 0), so a test walks each video whole.
    - ``bbox_file`` (top-down test only): its person detections replace the ground-truth boxes
      (keypoints zero, ``track_ids`` -1); a frame without detections gives no sample.

    Whatever the samples, :attr:`frames` lists every frame of the annotation file in
    (video, frame) order (dicts with ``img_id, img_path, video_id, frame_idx, num_frames,
    is_labeled, ori_shape, ignore_regions``) so that a tracking loop or a metric can emit the frames
    that have no sample; :attr:`video_ids` gives the video of every sample (used by
    :class:`VideoGroupedSampler`).

    ``video_split`` keeps part of the videos (:func:`split_holdout_videos`): e.g. with
    ``dict(holdout=0.25, part='train', seed=0)`` a training config leaves a quarter of the videos
    out, and the same dict with ``part='holdout'`` reads exactly those videos (what
    ``tools/analysis_tools/fit_joint_thresholds.py CONFIG CHECKPOINT`` tracks to fit per-joint
    score thresholds). The other videos are removed right after reading the annotations
    (:meth:`_load_ann`), so every kind of sample (top-down, bottom-up, ``bbox_file`` detections,
    and the subclasses' pairs and clips) and :attr:`frames` hold only the kept videos; the
    ``bbox_file`` detections of the removed videos are dropped.

    Args:
        ann_file (str): merged annotation file, or folder of per-video ``*.json`` files.
        bbox_file (str, optional): COCO-style person detections (top-down test only).
        data_mode (str): ``'topdown'`` or ``'bottomup'``.
        check_images (bool): check at load time that every listed image file exists (error names
            the image path, the annotation file, the image id and field ``file_name``); otherwise
            a missing image fails in ``LoadImage`` with its path. Defaults to False.
        generate_if_missing (bool | dict, optional): when ``ann_file`` does not exist, write
            the synthetic PoseTrack18 set into ``data_root`` first (``True``: the default set;
            a dict: arguments of :func:`~mmpose_track.datasets.synthetic.
            generate_synthetic_posetrack18`, e.g. ``dict(seed=0)``), see
            :func:`ensure_synthetic_posetrack18`. The tiny configs set it. Defaults to None.
        video_split (dict, optional): ``dict(holdout=..., part='train' | 'holdout', seed=0)``:
            keep only the videos of one part of a deterministic split of the annotation file's
            videos (``holdout``: fraction in (0, 1), or int number of held-out videos; at least
            one video in each part; see :func:`split_holdout_videos`). Defaults to None (all
            videos).
        **kwargs: the arguments of :class:`BaseCocoStyleDataset` (``data_root``,
            ``data_prefix=dict(img=...)``, ``pipeline``, ``test_mode``, ``metainfo``,
            ``filter_cfg``, ``indices``, ``serialize_data``, ``lazy_init``, ``max_refetch``).

    Example pipelines (see ``tests/test_datasets``)::

        # top-down
        [dict(type='LoadImage'), dict(type='GetBBoxCenterScale'),
         dict(type='RandomFlip', direction='horizontal'), dict(type='RandomBBoxTransform'),
         dict(type='TopdownAffine', input_size=(192, 256)),
         dict(type='GenerateTarget', encoder=dict(type='MSRAHeatmap', input_size=(192, 256),
                                                  heatmap_size=(48, 64), sigma=2)),
         dict(type='PackPoseTrackInputs')]
        # bottom-up
        [dict(type='LoadImage'), dict(type='BottomupRandomAffine', input_size=(512, 512)),
         dict(type='RandomFlip', direction='horizontal'),
         dict(type='GenerateTarget', encoder=...), dict(type='BottomupGetHeatmapMask'),
         dict(type='PackPoseTrackInputs')]
    """

    METAINFO: dict = POSETRACK18_METAINFO

    def __init__(self,
                 ann_file: str = '',
                 bbox_file: Optional[str] = None,
                 data_mode: str = 'topdown',
                 check_images: bool = False,
                 generate_if_missing: Union[bool, dict, None] = None,
                 video_split: Optional[dict] = None,
                 **kwargs):
        kwargs.pop('sample_interval', None)  # MMPose's, meaningless for videos
        self.video_split = check_video_split(video_split)
        # before the pipeline is built (its transforms may name files of the set)
        ensure_synthetic_posetrack18(kwargs.get('data_root'), ann_file, generate_if_missing)
        self.check_images = check_images
        self.frames: List[dict] = []
        self.video_ids: List[str] = []
        super().__init__(ann_file=ann_file, bbox_file=bbox_file, data_mode=data_mode, **kwargs)

    # ------------------------------------------------------------------ loading
    def full_init(self):
        """As :meth:`BaseDataset.full_init`, plus :meth:`_build_index` before serialization."""
        if self._fully_initialized:
            return
        self.data_list = self.load_data_list()
        self.data_list = self.filter_data()
        if self._indices is not None:
            self.data_list = self._get_unserialized_subset(self._indices)
        self._build_index()
        if self.serialize_data:
            if self.data_list:
                self.data_bytes, self.data_address = self._serialize_data()
            else:  # MMEngine cannot serialize an empty list: a defined empty dataset instead
                self.data_bytes = np.zeros(0, dtype=np.uint8)
                self.data_address = np.zeros(0, dtype=np.int64)
                self.data_list.clear()
        self._fully_initialized = True

    def _build_index(self):
        self.video_ids = [d['video_id'] for d in self.data_list]

    def _load_ann(self) -> dict:
        ann = load_posetrack18(
            self.ann_file,
            num_keypoints=self.metainfo['num_keypoints'],
            img_prefix=self.data_prefix.get('img', '') or '')
        if ann['categories']:
            self._metainfo['CLASSES'] = ann['categories']
        ann['all_img_ids'] = [f['img_id'] for f in ann['frames']]
        if self.video_split is not None:
            split = self.video_split
            train, held = split_holdout_videos([f['video_id'] for f in ann['frames']],
                                               split['holdout'], split['seed'])
            keep = set(held if split['part'] == 'holdout' else train)
            ann['frames'] = [f for f in ann['frames'] if f['video_id'] in keep]
            ann['people'] = {f['img_id']: ann['people'][f['img_id']] for f in ann['frames']}
        if self.check_images:
            for f in ann['frames']:
                if not osp.exists(f['img_path']):
                    raise FileNotFoundError(
                        f'image not found: {f["img_path"]} (field "file_name" of image id '
                        f'{f["img_id"]} in {f["ann_file"]})')
        self.frames = [{k: f[k] for k in FRAME_KEYS + ('ori_shape', 'ignore_regions')}
                       for f in ann['frames']]
        return ann

    def load_data_list(self) -> List[dict]:
        ann = self._load_ann()
        if self.bbox_file:
            data_list = self._detection_infos(ann)
        elif self.data_mode == 'topdown':
            data_list = [
                p for f in ann['frames'] for p in self._people_infos(f, ann['people'])
                if self._is_valid_instance(p)
            ]
        else:
            data_list = []
            for f in ann['frames']:
                info = self._frame_info(f, self._people_infos(f, ann['people']))
                if self.test_mode or info['num_valid'] > 0:
                    data_list.append(info)
        return data_list

    @staticmethod
    def _frame_facts(frame: dict) -> dict:
        return {k: frame[k] for k in FRAME_KEYS}

    def _people_infos(self, frame: dict, people: Dict[int, List[dict]]) -> List[dict]:
        """One top-down style info (arrays with a leading axis of 1) per person of ``frame``."""
        infos = []
        K = self.metainfo['num_keypoints']
        for p in people[frame['img_id']]:
            x1, y1, x2, y2 = _xywh2xyxy(p['bbox'])
            if frame['ori_shape'] is not None:
                h, w = frame['ori_shape']
                x1, x2 = np.clip([x1, x2], 0, w - 1)
                y1, y2 = np.clip([y1, y2], 0, h - 1)
            kpts = p['keypoints'].astype(np.float32)
            visible = np.minimum(1, kpts[:, 2]).astype(np.float32)
            info = self._frame_facts(frame)
            info.update(
                bbox=np.array([[x1, y1, x2, y2]], dtype=np.float32),
                bbox_score=np.ones(1, dtype=np.float32),
                bbox_head=_xywh2xyxy(p['bbox_head']).reshape(1, 4),
                track_ids=np.array([p['track_id']], dtype=np.int64),
                keypoints=kpts[None, :, :2].reshape(1, K, 2),
                keypoints_visible=visible[None],
                num_keypoints=int(np.count_nonzero(visible > 0)),
                area=np.array(max((x2 - x1) * (y2 - y1) * 0.53, 1.0), dtype=np.float32),
                iscrowd=p['iscrowd'],
                segmentation=None,
                id=p['id'],
                category_id=np.array(p['category_id']),
                raw_ann_info=copy.deepcopy(p['raw']))
            infos.append(info)
        return infos

    def _frame_info(self, frame: dict, person_infos: List[dict]) -> dict:
        """All people of a frame in one info (bottom-up); arrays of length 0 for no people."""
        K = self.metainfo['num_keypoints']
        info = self._frame_facts(frame)
        valid = [self._is_valid_instance(p) for p in person_infos]
        if person_infos:
            for key in ('bbox', 'bbox_score', 'bbox_head', 'track_ids', 'keypoints',
                        'keypoints_visible'):
                info[key] = np.concatenate([p[key] for p in person_infos], axis=0)
            info['area'] = np.stack([p['area'] for p in person_infos])
            info['category_id'] = np.stack([p['category_id'] for p in person_infos])
            for key in ('num_keypoints', 'iscrowd', 'segmentation', 'id', 'raw_ann_info'):
                info[key] = [p[key] for p in person_infos]
        else:
            info.update(
                bbox=np.zeros((0, 4), np.float32),
                bbox_score=np.zeros(0, np.float32),
                bbox_head=np.zeros((0, 4), np.float32),
                track_ids=np.zeros(0, np.int64),
                keypoints=np.zeros((0, K, 2), np.float32),
                keypoints_visible=np.zeros((0, K), np.float32),
                area=np.zeros(0, np.float32),
                category_id=np.zeros(0, np.int64),
                num_keypoints=[], iscrowd=[], segmentation=[], id=[], raw_ann_info=[])
        info['num_valid'] = int(sum(valid))
        info['ignore_regions'] = frame['ignore_regions']
        info['invalid_segs'] = [[poly.reshape(-1).tolist()] for poly in frame['ignore_regions']
                                if len(poly) >= 3]
        return info

    def _detection_infos(self, ann: dict) -> List[dict]:
        frames = {f['img_id']: (i, f) for i, f in enumerate(ann['frames'])}
        # detections of any image of the file are valid; those of videos left out by
        # video_split are dropped
        dets = load_detections(self.bbox_file, ann.get('all_img_ids', frames.keys()),
                               self.ann_file)
        dets = [d for d in dets if d['image_id'] in frames]
        # stable sort: (video, frame) order, detection-file order within a frame
        dets.sort(key=lambda d: frames[d['image_id']][0])
        K = self.metainfo['num_keypoints']
        data_list = []
        for i, det in enumerate(dets):
            frame = frames[det['image_id']][1]
            info = self._frame_facts(frame)
            info.update(
                bbox=_xywh2xyxy(det['bbox']).reshape(1, 4),
                bbox_score=np.array([det['score']], dtype=np.float32),
                track_ids=np.array([-1], dtype=np.int64),
                keypoints=np.zeros((1, K, 2), dtype=np.float32),
                keypoints_visible=np.ones((1, K), dtype=np.float32),
                id=i)
            if frame['ori_shape'] is not None:
                info['img_shape'] = frame['ori_shape']
            data_list.append(info)
        return data_list

    # ---------------------------------------------------------------- accessors
    def frames_of(self, video_id: str) -> List[dict]:
        """The frames (rows of :attr:`frames`) of one video, in frame order."""
        return [f for f in self.frames if f['video_id'] == video_id]

    def _pose_metainfo(self) -> dict:
        return {k: copy.deepcopy(self._metainfo[k]) for k in POSE_METAINFO_KEYS}
