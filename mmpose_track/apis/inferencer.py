"""Track the people of any video with any of our pose models, or any MMPose model
(``tools/track_video.py``; issue 14).

:class:`PoseTrackInferencer` follows MMPose's inferencer conventions
(``mmpose.apis.MMPoseInferencer``): it is built once from a pose config (a file, or
``mmpose::`` / ``mmpose_track::`` names of the packages' configs) and checkpoint, a person
detector for top-down models (an MMDet config and checkpoint, or a detections file) and a tracker
config; calling it on an input (a video file, a folder of frames, a camera index) yields one
result per frame as the frames come: ``frame_idx``, ``file_name``, ``predictions`` (the tracked
people) and, with ``return_vis``, the drawn frame. Frames are read, batched for the models
(``batch_size`` frames: the detector on the batch, the pose model on all their people at once),
tracked and handed out one by one; only the frames of one batch are held.
:meth:`PoseTrackInferencer.track_video` writes what users of PoseTrack read:

* ``OUT_DIR/<name>.json``: PoseTrack18 format, one image per frame, every person with ``track_id``,
  ``bbox``, ``keypoints``, ``scores`` (readable by ``tools/eval_posetrack.py`` and
  ``tools/render_tracks.py``); an ``info`` block says whether the run was complete;
* ``OUT_DIR/<name>_tracks.json``: ``{track id: {frames, bboxes, keypoints, scores}}``;
* ``OUT_DIR/<name>.mp4``: skeletons and boxes coloured by track id, with id labels
  (:class:`~mmpose_track.visualization.PoseTrackLocalVisualizer`, MMPose's visualizer).

Clip models (the Clip Tracking Network of Wang et al. 2020, ``configs/clip_tracking/``) run the
test loop's tube pipeline on the stream (:meth:`PoseTrackInferencer._track_tubes`): only the
frames a tube still needs are held, and the tracks come when the video has ended. An MMDet
detector with a keypoint head (OGN's offset-guided Mask R-CNN, ``configs/ogn/ogn-t4*``) is its own
person detector: boxes and joints come from one pass.

Keypoints: models in PoseTrack18's layout are written as they are; COCO's 17 joints (MMPose's
model zoo) are mapped to PoseTrack18's with MMPose's ``KeypointConverter`` (nose, ears,
shoulders..ankles keep their slots, COCO's eyes have no PoseTrack18 joint, head_bottom and
head_top stay empty with score 0); other layouts are written in their own (``categories`` lists
their names).
"""
import os
import os.path as osp
import time
import warnings
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = ['PoseTrackInferencer', 'COCO_TO_POSETRACK18', 'resolve_config', 'person_label']

#: MMPose KeypointConverter mapping of COCO's 17 joints to PoseTrack18's (as the ST-Embed configs)
COCO_TO_POSETRACK18 = [(0, 0), (3, 3), (4, 4), (5, 5), (6, 6), (7, 7), (8, 8), (9, 9), (10, 10),
                       (11, 11), (12, 12), (13, 13), (14, 14), (15, 15), (16, 16)]
_STAGES = ('decode', 'detect', 'pose', 'track', 'render')


def resolve_config(config: Any, what: str = 'config'):
    """An MMEngine ``Config`` from a file, a ``package::path`` name (``mmpose::body_2d_keypoint/
    ...py``: the config shipped in that package, as ``mim`` finds it) or a ``Config``.

    Raises:
        FileNotFoundError: the file or packaged config does not exist (one line).
    """
    from mmengine.config import Config
    if isinstance(config, Config):
        return config
    config = str(config)
    if '::' in config:
        from mmengine.hub import get_config
        try:
            return get_config(config)
        except (FileNotFoundError, ValueError, KeyError, ImportError) as e:
            raise FileNotFoundError(f'{what} {config} not found ({e})') from None
    if not osp.isfile(config):
        raise FileNotFoundError(f'{what} not found: {config}')
    return Config.fromfile(config)


def person_label(det_model) -> int:
    """The class index of ``person`` in an MMDet detector's ``dataset_meta['classes']`` (0 when
    it has none, e.g. our person-only detectors)."""
    classes = [str(c).lower() for c in (det_model.dataset_meta or {}).get('classes', ('person', ))]
    return classes.index('person') if 'person' in classes else 0


def _read_dets(path: str) -> Dict[int, Tuple[np.ndarray, np.ndarray]]:
    """A COCO-style detections file (``[{image_id, bbox: [x, y, w, h], score}]``, as
    ``tools/detect_people.py`` writes) as ``{frame index: (boxes x1y1x2y2, scores)}``; the
    frame of a PoseTrack18 image id ``10000000000 + vid * 10000 + frame`` is its last four
    digits, a smaller id is the frame index itself."""
    from mmpose_track.structures.posetrack18_format import PoseTrackFormatError, read_json
    data = read_json(path, 'detections file')
    if isinstance(data, dict) and isinstance(data.get('annotations'), list):
        data = data['annotations']  # a PoseTrack18 / COCO file: its boxes
    if not isinstance(data, list):
        raise PoseTrackFormatError(f'{path}: expected a list of detections '
                                   '({"image_id", "bbox", "score"})')
    out: Dict[int, List[Tuple[List[float], float]]] = {}
    for pos, d in enumerate(data):
        try:
            img_id = int(d['image_id'])
            x, y, w, h = (float(v) for v in d['bbox'])
            score = float(d.get('score', 1.0))
        except (KeyError, TypeError, ValueError):
            raise PoseTrackFormatError(f'{path}: detection {pos}: needs "image_id", "bbox" '
                                       '[x, y, w, h] and a numeric "score"') from None
        if not np.isfinite([x, y, w, h, score]).all():
            raise PoseTrackFormatError(f'{path}: detection {pos}: non-finite bbox or score')
        frame = img_id % 10000 if img_id >= 10_000_000_000 else img_id
        out.setdefault(frame, []).append(([x, y, x + w, y + h], score))
    return {f: (np.array([b for b, _ in v], np.float64).reshape(-1, 4),
                np.array([s for _, s in v], np.float64)) for f, v in out.items()}


def _index_like(idx: np.ndarray, tensor):
    """``idx`` as an index tensor on ``tensor``'s device."""
    import torch
    return torch.as_tensor(idx, device=tensor.device)


def _clip_settings(cfg, name) -> Optional[Dict[str, Any]]:
    """The clip tracking settings of a clip model's config (person tubes over ``T`` frames,
    Wang et al. 2020): ``clip_len``, ``enlarge`` and ``keyframe_step`` of its test dataset and
    the video pipeline ``tubes`` of its test loop; None for frame models.

    Raises:
        ValueError: a clip model whose test loop has no ``tubes`` (one line).
    """
    try:
        dataset = cfg.test_dataloader.dataset
    except AttributeError:
        dataset = {}
    dtype, model = str(dataset.get('type', '')), str(cfg.model.get('type', ''))
    if 'Clip' not in dtype and 'Clip' not in model:
        return None
    loop = cfg.get('test_cfg') or {}
    tubes = loop.get('tubes') if hasattr(loop, 'get') else None
    if not tubes:
        raise ValueError(f'{name}: {model} predicts person tubes but its test_cfg has no tubes '
                         '(the clip tracking pipeline, ClipTrackingStream)')
    return dict(clip_len=int(dataset.get('clip_len', 3)),
                enlarge=float(dataset.get('enlarge', 1.25)),
                keyframe_step=int(dataset.get('keyframe_step', 1)), tubes=dict(tubes))


def _float32(x):
    """Floating tensors (also inside tuples, lists and dicts) as float32; the rest as it is."""
    import torch
    if isinstance(x, torch.Tensor):
        return x.float() if x.is_floating_point() else x
    if isinstance(x, (list, tuple)):
        return type(x)(_float32(v) for v in x)
    if isinstance(x, dict):
        return {k: _float32(v) for k, v in x.items()}
    return x


def _bf16_features(extract_feat, device_type: str):
    """A model's ``extract_feat`` (backbone and neck) under bf16 autocast, its features back
    in float32."""
    import functools

    import torch

    @functools.wraps(extract_feat)
    def run(*args, **kwargs):
        with torch.autocast(device_type, dtype=torch.bfloat16):
            feats = extract_feat(*args, **kwargs)
        return _float32(feats)
    return run


def _keypoint_detector_joints(cfg, name) -> Optional[int]:
    """``K`` of an MMDet detector config with a keypoint head (OGN's offset-guided Mask
    R-CNN: boxes and joints in one pass); None for MMPose models.

    Raises:
        ValueError: an MMDet detector without keypoints given as the pose model (one line).
    """
    if cfg.get('default_scope') != 'mmdet':
        return None
    roi_head = cfg.model.get('roi_head') or {}
    head = roi_head.get('keypoint_head') if hasattr(roi_head, 'get') else None
    if not head:
        raise ValueError(f'{name}: {cfg.model.get("type")} is an MMDet detector without a '
                         'keypoint head: give it as the person detector (--det-config)')
    return int(head.get('num_keypoints', 17))


class PoseTrackInferencer:
    """Pose estimation and tracking of videos, frame by frame (MMPose inferencer conventions).

    Args:
        pose_config: the pose model's config (file, ``mmpose::...`` / ``mmpose_track::...``
            name, or ``Config``); top-down (MMPose's ``TopdownPoseEstimator`` and ours),
            bottom-up, a clip model (person tubes; its test loop's ``tubes`` track), or an
            MMDet detector with a keypoint head (boxes and joints in one pass).
        pose_checkpoint: its weights (None: random weights, for smoke tests).
        det_config, det_checkpoint: an MMDet person detector (top-down models; its
            ``person`` class, or class 0).
        dets: instead of a detector, a detections file (see :func:`_read_dets`).
        tracker: a tracker config file / dict (``configs/trackers/``); None: the pose config's
            ``test_cfg.tracker`` when it has one, else the default tracker
            (:data:`~mmpose_track.tracking.DEFAULT_TRACKER`). Clip models: the frame tracker
            of ``tubes.merge='none'``, unused otherwise.
        device: ``'cpu'``, ``'cuda'``, ``'cuda:0'``...; None: the first GPU when there is
            one, else the CPU (as MMPose's inferencers).
        batch_size: frames per batch (the detector runs on the batch, the pose model on all
            its people in chunks of ``pose_batch_size``).
        pose_batch_size: people per pose-model forward (top-down; for bottom-up models, frames
            per forward, at most their config's test batch size: MMPose's DEKR predicts one
            image at a time).
        det_score_thr: person boxes scored at most this are dropped.
        max_people: at most this many people per frame (the best scored boxes of the
            detector, or people of a bottom-up model; a frame with more gives a one-line
            warning).
        nms: per-frame suppression of duplicate poses before tracking
            (:func:`~mmpose_track.tracking.suppress_poses` steps); None: the pose config's
            ``test_cfg.nms`` when it has one, else ``[dict(type='oks', thr=0.9)]`` for
            top-down models (MMPose's evaluation) and none for bottom-up ones.
        kpt_thr: joints scored at most this are not drawn.
        amp: run the backbones (and necks) of the detector and the pose model under bf16
            autocast (``extract_feat``); their features return as float32, so the heads,
            decoders and NMS, which take no bf16 (MMPose's ``to_numpy``, mmcv's NMS), run as
            without it. Meant for CUDA; on CPUs without bf16 units it is slower.

    Raises:
        FileNotFoundError: a config or checkpoint is missing.
        ValueError: a top-down model without a detector or detections file.
    """

    def __init__(self,
                 pose_config,
                 pose_checkpoint: Optional[str] = None,
                 det_config=None,
                 det_checkpoint: Optional[str] = None,
                 dets: Optional[str] = None,
                 tracker=None,
                 device: Optional[str] = None,
                 batch_size: int = 4,
                 pose_batch_size: int = 32,
                 det_score_thr: float = 0.5,
                 max_people: int = 100,
                 nms=None,
                 kpt_thr: float = 0.3,
                 amp: bool = False):
        import mmpose_track  # noqa: F401  (registers our modules)
        from mmpose.apis import init_model
        for path, what in ((pose_checkpoint, 'pose checkpoint'),
                           (det_checkpoint, 'detector checkpoint'), (dets, 'detections file')):
            if path is not None and not osp.isfile(path):
                raise FileNotFoundError(f'{what} not found: {path}')
        if batch_size < 1 or pose_batch_size < 1 or max_people < 1:
            raise ValueError('batch_size, pose_batch_size and max_people must be >= 1')
        if device is None:
            import torch
            device = 'cuda:0' if torch.cuda.is_available() else 'cpu'
        cfg = resolve_config(pose_config, 'pose config')
        self.clip = _clip_settings(cfg, pose_config)
        # an MMDet keypoint detector finds the people and their joints in one pass
        self.detector_joints = _keypoint_detector_joints(cfg, pose_config)
        self.pose_cfg = cfg
        self.device = device
        if self.detector_joints is not None:
            from mmdet.apis import init_detector
            self.pose_model = init_detector(cfg, pose_checkpoint, device=device)
            self.person_label = person_label(self.pose_model)
        else:
            self.pose_model = init_model(cfg, pose_checkpoint, device=device)
        self.topdown = self.detector_joints is None and self._is_topdown(cfg)
        self.det_model = None
        self.dets = None
        if self.topdown:
            if det_config is not None:
                from mmdet.apis import init_detector
                det_cfg = resolve_config(det_config, 'detector config')
                self.det_model = init_detector(det_cfg, det_checkpoint, device=device)
                self.person_label = person_label(self.det_model)
            elif dets is not None:
                self.dets = _read_dets(dets)
            else:
                raise ValueError('a top-down pose model needs person boxes: give a detector '
                                 '(--det-config, --det-checkpoint) or a detections file (--dets)')
        elif det_config is not None or dets is not None:
            warnings.warn('a bottom-up pose model or a keypoint detector finds the people '
                          'itself: the person detector / detections file is not used',
                          stacklevel=2)
        self.batch_size = int(batch_size)
        self.pose_batch_size = int(pose_batch_size)
        if not self.topdown and self.detector_joints is None:
            try:
                test_batch = int(cfg.test_dataloader.get('batch_size', 1) or 1)
            except AttributeError:
                test_batch = 1
            self.pose_batch_size = min(self.pose_batch_size, max(1, test_batch))
        self.det_score_thr = float(det_score_thr)
        self.max_people = int(max_people)
        self.kpt_thr = float(kpt_thr)
        self.amp = bool(amp)
        if self.amp:  # the backbones in bf16; heads, decoding and NMS stay in float32
            kind = 'cuda' if str(device).startswith('cuda') else 'cpu'
            for model in (self.pose_model, self.det_model):
                if model is not None and callable(getattr(model, 'extract_feat', None)):
                    model.extract_feat = _bf16_features(model.extract_feat, kind)
        test_cfg = cfg.get('test_cfg') or {}
        user_nms = nms
        if nms is None and self.clip is None:
            nms = test_cfg.get('nms', None) if hasattr(test_cfg, 'get') else None
            if nms is None and self.topdown:
                nms = [dict(type='oks', thr=0.9)]
        self.nms = nms
        self._setup_layout()
        if self.clip is not None:  # clip tracking: the tubes' own video pipeline
            self.tracker = None
            self.tubes_cfg = self._tubes_config(tracker, user_nms)
        else:
            if tracker is None and hasattr(test_cfg, 'get') and test_cfg.get('tracker'):
                tracker = test_cfg['tracker']
            self.tracker = self._build_tracker(tracker)
        # TKMRNet's temporal keypoint refinement (test_cfg.refine), tau frames behind
        make_refiner = getattr(self.pose_model, 'video_refiner', None)
        self.refiner = make_refiner() if callable(make_refiner) else None
        self._warned = set()
        self.timings = {k: 0.0 for k in _STAGES}
        self.source_info = None  # the last input's FrameSourceInfo
        self.truncated = False  # whether the last input ended in a damaged frame
        self.remap: Dict[int, int] = {}  # the tracker's offline step on the last input
        # called once per frame read (clip models, whose results come at the video's end)
        self._on_frame_read = None

    # ------------------------------------------------------------------ setup
    @staticmethod
    def _is_topdown(cfg) -> bool:
        mode = None
        try:
            mode = cfg.test_dataloader.dataset.get('data_mode')
        except AttributeError:
            pass
        if mode is not None:
            return mode == 'topdown'
        pipeline = []
        try:
            pipeline = [t.get('type', '') for t in cfg.test_dataloader.dataset.pipeline]
        except AttributeError:
            pass
        return any('Topdown' in str(t) for t in pipeline) or \
            'Topdown' in str(cfg.model.get('type', ''))

    def _setup_layout(self) -> None:
        """The output layout: PoseTrack18's (converting COCO's with MMPose's KeypointConverter),
        else the model's own; and the visualizer's metainfo."""
        from mmpose.datasets.datasets.utils import parse_pose_metainfo
        from mmpose_track.structures.posetrack18_format import POSETRACK18_KEYPOINT_NAMES
        meta = dict(self.pose_model.dataset_meta or {})
        name = str(meta.get('dataset_name', '')).lower()
        k = int(meta.get('num_keypoints', 0) or 0)
        if self.detector_joints is not None:  # our keypoint detectors learn PoseTrack18's
            name, k = 'posetrack18', self.detector_joints
        self.converter = None
        if k == 17 and name.startswith('coco'):
            from mmpose.datasets.transforms import KeypointConverter
            self.converter = KeypointConverter(num_keypoints=17, mapping=COCO_TO_POSETRACK18)
        if k == 17 and ('posetrack' in name or self.converter is not None):
            from mmpose_track.datasets.datasets.posetrack18_frame_dataset import \
                POSETRACK18_METAINFO
            self.out_meta = parse_pose_metainfo(dict(POSETRACK18_METAINFO))
            self.keypoint_names = list(POSETRACK18_KEYPOINT_NAMES)
        else:
            self.out_meta = meta
            names = meta.get('keypoint_id2name') or {}
            self.keypoint_names = [str(names.get(i, f'kpt{i}')) for i in range(k)]
        skeleton = [[int(a) + 1, int(b) + 1] for a, b in self.out_meta.get('skeleton_links', [])]
        self.categories = [dict(id=1, name='person', supercategory='person',
                                keypoints=self.keypoint_names, skeleton=skeleton)]

    def _build_tracker(self, tracker):
        from mmpose_track.tracking import build_tracker, default_tracker_config
        if tracker is None:
            tracker = default_tracker_config()
        elif isinstance(tracker, str) and not osp.isfile(tracker):
            raise FileNotFoundError(f'tracker config not found: {tracker}')
        return build_tracker(tracker, dataset_meta=self.out_meta)

    def _tubes_config(self, tracker, nms) -> Dict[str, Any]:
        """The :class:`~mmpose_track.tracking.ClipTrackingStream` arguments of a clip model: its
        test loop's ``tubes``; a ``tracker`` becomes the frame tracker of ``merge='none'`` (the
        other merges sew the tubes themselves: it is not used, with a warning); ``nms``
        replaces the tubes' suppression."""
        tubes = dict(self.clip['tubes'])
        if tracker is not None:
            if isinstance(tracker, str) and not osp.isfile(tracker):
                raise FileNotFoundError(f'tracker config not found: {tracker}')
            if tubes.get('merge', 'spatial_temporal') == 'none':
                tubes['frame_tracker'] = tracker
            else:
                warnings.warn(f'the tracker is not used: {self.pose_cfg.model.type} sews its '
                              f'tubes into tracks (test_cfg.tubes, merge='
                              f'{tubes.get("merge", "spatial_temporal")!r})', stacklevel=3)
        if nms is not None:
            tubes['nms'] = nms
        return tubes

    def _warn_once(self, key: str, msg: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            warnings.warn(msg, stacklevel=3)

    # ------------------------------------------------------------------ models
    def _person_boxes(self, frames: Sequence[Tuple[int, np.ndarray, str]]):
        """``[(boxes x1y1x2y2 (n, 4), scores (n,))]`` per frame of the batch."""
        if self.det_model is not None:
            return [(d['bboxes'], d['scores']) for d in self._detect(self.det_model, frames)]
        empty = (np.zeros((0, 4)), np.zeros(0))
        out = []
        for idx, _, _ in frames:
            boxes, scores = self.dets.get(idx, empty)
            keep = self._kept_boxes(idx, boxes, scores)
            out.append((boxes[keep], scores[keep]))
        return out

    def _kept_boxes(self, frame_idx: int, boxes: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Indices of the person boxes kept: scored above ``det_score_thr``, of positive size,
        at most the ``max_people`` best (with one warning)."""
        ok = np.flatnonzero((scores > self.det_score_thr) & (boxes[:, 2] > boxes[:, 0]) &
                            (boxes[:, 3] > boxes[:, 1]))
        return self._at_most_max_people(frame_idx, ok, scores, 'person boxes')

    def _at_most_max_people(self, frame_idx: int, keep: np.ndarray, scores: np.ndarray,
                            what: str) -> np.ndarray:
        """``keep`` (indices into ``scores``), or its ``max_people`` best scored when it has
        more (one warning per video run)."""
        if len(keep) > self.max_people:
            self._warn_once('max_people', f'frame {frame_idx}: {len(keep)} {what}, kept the '
                            f'{self.max_people} best (max_people; warned once)')
            keep = keep[np.argsort(-scores[keep], kind='stable')[:self.max_people]]
        return keep

    def _detect(self, model, frames, keypoints: bool = False) -> List[Dict[str, np.ndarray]]:
        """An MMDet model on a batch of frames: per frame its detections of the ``person``
        class kept by :meth:`_kept_boxes`, as float64 arrays ``bboxes (n, 4)``, ``scores
        (n,)`` and, with ``keypoints``, ``keypoints (n, K, 2)`` and ``keypoint_scores (n, K)``."""
        import torch
        from mmdet.apis import inference_detector
        from mmengine.registry import DefaultScope

        from mmpose_track.tracking._utils import to_numpy
        # MMDet builds its test pipeline at each call, in the current scope: MMDet's
        with DefaultScope.overwrite_default_scope('mmdet'), torch.no_grad():
            results = inference_detector(model, [img for _, img, _ in frames])
        fields = dict(bboxes=(4, ), scores=())
        if keypoints:
            fields.update(keypoints=(self.detector_joints, 2),
                          keypoint_scores=(self.detector_joints, ))
        out = []
        for (idx, _, _), res in zip(frames, results):
            pred = res.pred_instances
            arr = {k: to_numpy(pred.get(k)).reshape((-1, ) + shape) for k, shape in fields.items()}
            person = np.flatnonzero((to_numpy(pred.labels).reshape(-1) == self.person_label) &
                                    np.isfinite(arr['bboxes']).all(1))
            keep = person[self._kept_boxes(idx, arr['bboxes'][person], arr['scores'][person])]
            out.append({k: v[keep] for k, v in arr.items()})
        return out

    def _detector_poses(self, frames) -> List[Dict[str, Any]]:
        """The keypoint detector on a batch of frames: per frame the people of its ``person``
        class, boxes and joints."""
        return [dict(keypoints=d['keypoints'], keypoint_scores=d['keypoint_scores'],
                     bboxes=d['bboxes'], bbox_scores=d['scores'], _pairwise={})
                for d in self._detect(self.pose_model, frames, keypoints=True)]

    def _pose_batch(self, data_list: List[dict]):
        """The pose model's ``test_step`` on ``data_list`` (already through the test
        pipeline), in chunks; one ``PoseDataSample`` per entry."""
        import torch
        from mmengine.dataset import pseudo_collate
        out = []
        for i in range(0, len(data_list), self.pose_batch_size):
            batch = pseudo_collate(data_list[i:i + self.pose_batch_size])
            with torch.no_grad():
                out.extend(self.pose_model.test_step(batch))
        return out

    def _test_pipeline(self):
        """The pose config's test pipeline, built once in its registry scope."""
        if getattr(self, '_pipeline', None) is None:
            from mmengine.dataset import Compose
            from mmengine.registry import DefaultScope
            with DefaultScope.overwrite_default_scope(self.pose_cfg.get('default_scope',
                                                                        'mmpose')):
                self._pipeline = Compose(self.pose_cfg.test_dataloader.dataset.pipeline)
        return self._pipeline

    def _poses(self, frames, boxes):
        """Per frame ``dict(keypoints (n, K, 2), keypoint_scores (n, K), bboxes (n, 4),
        bbox_scores (n,), extra per-person fields)``."""
        pipeline = self._test_pipeline()
        meta = self.pose_model.dataset_meta
        data_list, owner = [], []
        for f, (idx, img, _) in enumerate(frames):
            if self.topdown:
                for b, s in zip(*boxes[f]):
                    info = dict(img=img, bbox=b[None].astype(np.float32),
                                bbox_score=np.array([s], np.float32), img_id=idx,
                                video_id=self._video_id, frame_idx=idx)
                    info.update(meta)
                    data_list.append(pipeline(info))
                    owner.append(f)
            else:
                info = dict(img=img, img_id=idx, video_id=self._video_id, frame_idx=idx)
                info.update(meta)
                data_list.append(pipeline(info))
                owner.append(f)
        results = self._pose_batch(data_list) if data_list else []
        per_frame = [[] for _ in frames]
        for f, res in zip(owner, results):
            per_frame[f].append(res)
        out = []
        for f, samples in enumerate(per_frame):
            out.append(self._gather(samples))
        return out

    def _gather(self, samples) -> Dict[str, np.ndarray]:
        """One frame's people from the model's samples (top-down: one per box)."""
        from mmpose_track.tracking._utils import is_tensor, to_numpy
        kpts, scores, bbs, bss, extra, pairwise = [], [], [], [], {}, {}
        want = [k for k in getattr(self.tracker, 'feature_keys', ()) if k != 'image']
        if self.refiner is not None:  # the refinement inputs of each person
            want += [k for k in self.refiner.instance_keys if k not in want]
        for s in samples:
            for key, val in (s.get('pred_pairwise', None) or {}).items():
                if key in want:  # per-frame inputs (TemporalNet's arrays, TKMRNet's callables)
                    pairwise.setdefault(key, val)
            pred = s.pred_instances
            if 'keypoints' not in pred or len(pred) == 0:
                continue
            k = to_numpy(pred.keypoints)[..., :2].reshape(len(pred), -1, 2)
            kpts.append(k)
            scores.append(to_numpy(pred.keypoint_scores).reshape(len(pred), -1))
            if 'bboxes' in pred:
                bbs.append(to_numpy(pred.bboxes).reshape(-1, 4))
            else:
                from mmpose_track.tracking import bboxes_from_keypoints
                kk = np.concatenate([k, scores[-1][..., None]], -1)
                bbs.append(bboxes_from_keypoints(kk))
            # people without a box score (MMPose's DEKR) are scored by their mean joint score
            bss.append(to_numpy(pred.bbox_scores).reshape(-1) if 'bbox_scores' in pred else
                       scores[-1].mean(-1))
            for key in want:
                if key in pred:  # as the model gives them (tensors stay on its device)
                    extra.setdefault(key, []).append(pred.get(key))
        k = self.pose_model.dataset_meta.get('num_keypoints', 0) if not kpts else \
            kpts[0].shape[1]
        out = dict(keypoints=np.concatenate(kpts) if kpts else np.zeros((0, k, 2)),
                   keypoint_scores=np.concatenate(scores) if scores else np.zeros((0, k)),
                   bboxes=np.concatenate(bbs) if bbs else np.zeros((0, 4)),
                   bbox_scores=np.concatenate(bss) if bss else np.zeros(0))
        for key, v in extra.items():
            if sum(len(x) for x in v) != len(out['keypoints']):
                continue
            if all(is_tensor(x) for x in v):
                import torch
                out[key] = torch.cat(list(v))
            else:
                out[key] = np.concatenate([to_numpy(x) for x in v])
        out['_pairwise'] = pairwise
        out['keypoints'], out['keypoint_scores'] = self._to_output_layout(
            out['keypoints'], out['keypoint_scores'])
        return out

    def _to_output_layout(self, keypoints: np.ndarray,
                          scores: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Joints ``(N, K, 2)`` and scores ``(N, K)`` in the output layout: COCO's mapped to
        PoseTrack18's with MMPose's ``KeypointConverter``, others as they are."""
        if self.converter is None or not len(keypoints):
            return keypoints, scores
        conv = self.converter.transform(dict(keypoints=keypoints, keypoints_visible=scores))
        vis = conv['keypoints_visible']
        return conv['keypoints'][..., :2], (vis[..., 0] if vis.ndim == 3 else vis)

    def _suppress(self, people: Dict[str, Any], frame_idx: int) -> Dict[str, Any]:
        """Per-frame suppression (``nms``), then at most the ``max_people`` best scored people
        (bottom-up models find any number; one warning); the model's per-frame arrays that index
        people (``pred_pairwise``) are restricted to the people kept in the frames they index,
        as in the test loops
        (:func:`~mmpose_track.tracking.video_stream.select_pairwise_features`)."""
        from mmpose_track.tracking._utils import is_tensor
        from mmpose_track.tracking.video_stream import select_pairwise_features
        pairwise = people.pop('_pairwise', {})
        n = len(people['keypoints'])
        keep = np.arange(n)
        if self.nms and n >= 2:
            from mmpose_track.tracking import suppress_poses
            keep = np.sort(np.asarray(suppress_poses(
                people['keypoints'], people['keypoint_scores'], people['bboxes'],
                people['bbox_scores'], steps=self.nms), np.int64))
        keep = np.sort(self._at_most_max_people(
            frame_idx, keep, np.asarray(people['bbox_scores'], np.float64), 'people'))
        if len(keep) == n:
            keep = None
        if keep is not None:
            people = {k: v[_index_like(keep, v)] if is_tensor(v) else v[keep]
                      for k, v in people.items()}
        if pairwise:
            people['_pairwise'] = select_pairwise_features(
                pairwise, tuple(pairwise), getattr(self.tracker, 'pairwise_axes', None) or {},
                self._keep_prev, keep)
        self._keep_prev = keep
        return people

    # ------------------------------------------------------------------ streaming
    def __call__(self, inputs: Union[str, int], return_vis: bool = False, show: bool = False,
                 max_frames: Optional[int] = None) -> Iterator[Dict[str, Any]]:
        """Track the people of one video; yields one result per frame, in order.

        Args:
            inputs: a video file, a folder of frames or a camera index.
            return_vis: add ``visualization``, the drawn frame (BGR).
            show: show each drawn frame in a window (``cv2.imshow``).
            max_frames: stop after that many frames.

        Yields:
            ``dict(frame_idx, file_name, width, height, predictions, visualization?)`` with
            ``predictions`` a list of people: ``track_id``, ``bbox`` ``[x1, y1, x2, y2]``,
            ``bbox_score``, ``keypoints`` ``(K, 2)``, ``keypoint_scores`` ``(K,)``.

        The tracker is reset first; after the last frame :attr:`remap` holds its offline step
        (``finalize()``: stitched ids, ``-1`` for dropped tracks). Clip models track a whole
        video offline (:meth:`_track_tubes`): their results come after the last frame.
        """
        if show:
            _check_display()
        if self.clip is not None:
            yield from self._track_tubes(inputs, return_vis, show, max_frames)
            return
        from mmpose_track.apis.video_io import open_frames
        source = open_frames(inputs, max_frames=max_frames)
        self.source_info = source.info
        self._video_id = source.info.name
        self._keep_prev = None  # the people the suppression kept in the previous frame
        self.tracker.reset()
        if self.refiner is not None:
            self.refiner.reset()
        self._position = 0  # frames pushed in this video
        self._refined_upto = -1  # the last position the refiner returned
        self.remap = {}
        self.timings = {k: 0.0 for k in _STAGES}
        vis = None
        if return_vis or show:
            vis = self._visualizer()
        from collections import deque
        pending: deque = deque()  # frames tracked, waiting for their refinement (TKMRNet)
        try:
            it = iter(source)
            while True:
                t0 = time.perf_counter()
                batch = []
                for item in it:
                    batch.append(item)
                    if len(batch) == self.batch_size:
                        break
                self.timings['decode'] += time.perf_counter() - t0
                if not batch:
                    break
                for frame in self._process(batch):
                    pending.append(frame)
                    if self.refiner is not None:
                        self._refine(pending, self.refiner.push_instances(frame['instances']))
                    yield from self._emit(pending, vis, show)
                if len(batch) < self.batch_size:
                    break
            if self.refiner is not None:
                self._refine(pending, self.refiner.flush())
            yield from self._emit(pending, vis, show, final=True)
        finally:
            source.close()
            self.truncated = bool(getattr(source, 'truncated', False))
            if hasattr(self.tracker, 'finalize'):
                self.remap = dict(self.tracker.finalize() or {})

    def _process(self, batch):
        """Detect, estimate, suppress and track a batch of frames; yields one frame record per
        frame (``res`` without drawing, the image, the people's arrays and ids, and for a
        refiner the frame's ``instances``)."""
        t0 = time.perf_counter()
        boxes = self._person_boxes(batch) if self.topdown else [None] * len(batch)
        t1 = time.perf_counter()
        self.timings['detect'] += t1 - t0
        if self.detector_joints is not None:  # boxes and joints in one pass ('pose')
            people = self._detector_poses(batch)
        else:
            people = self._poses(batch, boxes)
        self.timings['pose'] += time.perf_counter() - t1
        keys = getattr(self.tracker, 'feature_keys', ())
        for (idx, img, file_name), p in zip(batch, people):
            t2 = time.perf_counter()
            p = self._suppress(p, idx)
            kpts = np.concatenate([p['keypoints'], p['keypoint_scores'][..., None]], -1)
            feats = {k: v for k, v in p.items() if k in keys}
            feats.update(p.pop('_pairwise', {}))
            if 'image' in keys:
                feats['image'] = img
            ids = np.asarray(self.tracker.update(kpts, p['bboxes'], idx, **feats), np.int64)
            self.timings['track'] += time.perf_counter() - t2
            frame = dict(res=dict(frame_idx=int(idx), file_name=file_name,
                                  width=int(img.shape[1]), height=int(img.shape[0])),
                         img=img, people=p, ids=ids, position=self._position)
            self._position += 1
            if self.refiner is not None:
                from mmengine.structures import InstanceData
                inst = InstanceData(keypoints=p['keypoints'], keypoint_scores=p['keypoint_scores'],
                                    bboxes=p['bboxes'], track_ids=ids)
                for key in self.refiner.instance_keys:
                    if key in p:
                        inst.set_field(p.pop(key), key)  # the refiner keeps what it needs
                frame['instances'] = inst
            yield frame

    def _refine(self, pending, results) -> None:
        """Write the refiner's poses (``(t, result)``, ``t`` the frame's position in the
        video) into the pending frames, as the test loops' stream does."""
        by_pos = {f['position']: f for f in pending}
        for t, out in results:
            frame = by_pos.get(t)
            if frame is None or not len(frame['ids']):
                continue
            frame['people']['keypoints'] = np.asarray(out['image_keypoints'], np.float64)
            frame['people']['keypoint_scores'] = np.asarray(out['image_keypoint_scores'],
                                                            np.float64)
        # frames up to the last one refined can leave (the refiner returns them in order)
        self._refined_upto = max([self._refined_upto] + [t for t, _ in results])

    def _emit(self, pending, vis, show, final: bool = False):
        """Yield the pending frames that are final: all without a refiner, else those up to
        the last refined position (the refiner is ``tau`` frames behind), all at the end."""
        upto = self._refined_upto
        while pending and (final or self.refiner is None or pending[0]['position'] <= upto):
            frame = pending.popleft()
            t0 = time.perf_counter()
            res, p, ids = frame['res'], frame['people'], frame['ids']
            res['predictions'] = [
                dict(track_id=int(t), bbox=p['bboxes'][i].tolist(),
                     bbox_score=float(p['bbox_scores'][i]), keypoints=p['keypoints'][i],
                     keypoint_scores=p['keypoint_scores'][i])
                for i, t in enumerate(ids.tolist())]
            if vis is not None:
                res['visualization'] = self._draw(vis, frame['img'], p, ids)
                if show:
                    _show(res['visualization'])
            self.timings['render'] += time.perf_counter() - t0
            yield res

    # ------------------------------------------------------------------ clip models
    def _track_tubes(self, inputs, return_vis: bool, show: bool, max_frames: Optional[int]):
        """Clip tracking of one video (Wang et al. 2020, Sec. 3.2-3.3), as the test loop's
        :class:`~mmpose_track.tracking.ClipTrackingStream` does it, on a stream of frames.

        Keyframes (frames whose number is a multiple of ``keyframe_step``) go through the
        detector in batches of up to ``batch_size``; each box, enlarged by the dataset's
        ``enlarge``, cuts a tube from the ``clip_len`` frames around its keyframe
        (:class:`~mmpose_track.apis.tube_window.TubeWindow`: at most ``clip_len`` frames are
        held), and the tubes go through the model in batches (``pose_batch_size`` crops). Only
        the tracklets (poses, not frames) are kept for the offline step: when the video ends
        they are sewn into tracks and their hypotheses merged (the test loop's ``tubes``), and
        the frames are handed out; drawing them (``return_vis`` / ``show``) reads the input a
        second time.

        Ctrl-C stops the reading: the frames whose tubes have all been predicted are tracked
        and handed out, then the interrupt is raised again.

        Raises:
            ValueError: a camera (the offline step needs the video's end).
        """
        from collections import deque

        from mmpose_track.apis.tube_window import TubeWindow
        from mmpose_track.apis.video_io import open_frames
        from mmpose_track.tracking.clip_stream import ClipTrackingStream
        if _is_camera(inputs):
            raise ValueError(f'{self.pose_cfg.model.type} tracks whole videos offline (tube '
                             'merging): give a video file or a folder of frames, not a camera')
        source = open_frames(inputs, max_frames=max_frames)
        self.source_info = source.info
        self._video_id = source.info.name
        self._refined_upto = -1  # no refiner: every frame leaves when it is tracked
        self.remap = {}
        self.timings = {k: 0.0 for k in _STAGES}
        meta = self.pose_model.dataset_meta or {}
        stream = ClipTrackingStream(**self.tubes_cfg, num_keypoints=meta.get('num_keypoints'),
                                    dataset_meta=meta)
        window = TubeWindow(self.clip['clip_len'], self.clip['keyframe_step'], self.batch_size)
        records: List[dict] = []  # per position: frame_idx, file_name, width, height
        tubes: deque = deque()  # (keyframe, tube data through the test pipeline)
        chunk = max(1, self.pose_batch_size // self.clip['clip_len'])  # tubes per forward
        interrupted = None
        try:
            it = iter(source)
            while True:
                t0 = time.perf_counter()
                item = next(it, None)
                self.timings['decode'] += time.perf_counter() - t0
                ended = item is None
                if not ended:
                    idx, img, file_name = item
                    window.push(item, index=idx)  # keyframes by frame number, as the dataset
                    records.append(dict(frame_idx=int(idx), file_name=file_name,
                                        width=int(img.shape[1]), height=int(img.shape[0])))
                    if self._on_frame_read is not None:
                        self._on_frame_read()
                keys = window.to_detect(ended)
                if keys:
                    t0 = time.perf_counter()
                    window.set_boxes(keys, self._person_boxes([window.frame(k) for k in keys]))
                    self.timings['detect'] += time.perf_counter() - t0
                for key in window.ready(ended):
                    t0 = time.perf_counter()
                    tubes.extend((key, d) for d in self._tube_data(window, key, *window.boxes(key)))
                    window.cut_done(key)  # after: an interrupted keyframe still counts as waiting
                    self.timings['pose'] += time.perf_counter() - t0
                while len(tubes) >= chunk or (ended and tubes):
                    m = min(chunk, len(tubes))
                    self._predict_tubes([tubes[i][1] for i in range(m)], stream)
                    for _ in range(m):  # after: interrupted tubes still count as waiting
                        tubes.popleft()
                window.release()
                if ended:
                    break
        except KeyboardInterrupt as e:
            interrupted = e
        finally:
            source.close()
            self.truncated = bool(getattr(source, 'truncated', False))
        n = len(records)
        if interrupted is not None:
            # frames some tube not yet predicted would cover are left out: those from T // 2
            # before the oldest keyframe waiting (or the next frame, which may be one)
            waiting = window.waiting + [k for k, _ in tubes] + [window.count]
            n = max(0, min(n, min(waiting) - window.before))
        t0 = time.perf_counter()
        by_pos = {int(f.metainfo['frame_idx']): f.pred_instances for f in stream.flush()}
        self.timings['track'] += time.perf_counter() - t0
        vis = self._visualizer() if return_vis or show else None
        images = open_frames(inputs, max_frames=n) if vis is not None and n else None
        try:
            image_iter = iter(images) if images is not None else None
            for pos in range(n):
                people, ids = self._tube_people(by_pos.get(pos))
                img = next(image_iter)[1] if image_iter is not None else None
                pending = deque([dict(res=records[pos], img=img, people=people, ids=ids,
                                      position=pos)])
                yield from self._emit(pending, vis, show, final=True)
        finally:
            if images is not None:
                images.close()
        if interrupted is not None:
            raise interrupted

    def _tube_data(self, window, key: int, boxes: np.ndarray, scores: np.ndarray) -> List[dict]:
        """The tubes of keyframe ``key``, one per box, through the test pipeline: every frame
        of the tube cropped by the keyframe box enlarged by ``enlarge`` (as
        ``PoseTrack18ClipDataset`` gives them to the test loop)."""
        from mmpose_track.datasets.datasets.posetrack18_clip_dataset import enlarge_boxes
        pipeline = self._test_pipeline()
        meta = self.pose_model.dataset_meta
        positions = window.tube_positions(key)
        frames = [window.frame(q) for q in positions]
        out = []
        for box, tube_box, score in zip(boxes, enlarge_boxes(boxes, self.clip['enlarge']),
                                        scores):
            clip = []
            for q, (idx, img, _) in zip(positions, frames):
                info = dict(img=img, bbox=tube_box[None], bbox_score=np.array([score], np.float32),
                            img_id=int(idx), frame_idx=q, video_id=self._video_id)
                info.update(meta)
                clip.append(info)
            out.append(pipeline(dict(
                frames=clip, key_frame_index=window.before, clip_frame_idx=list(positions),
                video_id=self._video_id, frame_idx=key, img_id=int(window.frame(key)[0]),
                bbox=tube_box[None], key_bbox=np.asarray(box, np.float32)[None])))
        return out

    def _predict_tubes(self, data_list: List[dict], stream) -> None:
        """The model on a batch of tubes; their tracklets go to the clip tracking ``stream``."""
        t0 = time.perf_counter()
        samples = self._pose_batch(data_list)
        t1 = time.perf_counter()
        self.timings['pose'] += t1 - t0
        stream.push(samples)
        self.timings['track'] += time.perf_counter() - t1

    def _tube_people(self, pred) -> Tuple[Dict[str, np.ndarray], np.ndarray]:
        """One frame's tracked people (the stream's ``pred_instances``, None for a frame no
        track reaches) as the frame models' arrays, and their track ids."""
        from mmpose_track.tracking._utils import to_numpy
        k = len(self.keypoint_names)
        if pred is None or len(pred) == 0:
            return dict(keypoints=np.zeros((0, k, 2)), keypoint_scores=np.zeros((0, k)),
                        bboxes=np.zeros((0, 4)), bbox_scores=np.zeros(0)), np.zeros(0, np.int64)
        kpts, scores = self._to_output_layout(to_numpy(pred.keypoints)[..., :2],
                                              to_numpy(pred.keypoint_scores))
        people = dict(keypoints=kpts, keypoint_scores=scores,
                      bboxes=to_numpy(pred.bboxes).reshape(-1, 4),
                      bbox_scores=to_numpy(pred.bbox_scores).reshape(-1))
        return people, to_numpy(pred.track_ids, np.int64).reshape(-1)

    def _visualizer(self):
        from mmpose_track.visualization import PoseTrackLocalVisualizer
        vis = PoseTrackLocalVisualizer(name=f'pose_track_inferencer_{id(self)}_{time.time()}',
                                       draw_frame_idx=True)
        vis.set_dataset_meta(self.out_meta)
        return vis

    def _draw(self, vis, img: np.ndarray, people: Dict[str, np.ndarray],
              ids: np.ndarray) -> np.ndarray:
        """The frame (BGR) with the tracked people drawn."""
        from mmengine.structures import InstanceData
        from mmpose.structures import PoseDataSample
        sample = PoseDataSample(metainfo=dict(frame_idx=0))
        sample.pred_instances = InstanceData(
            keypoints=people['keypoints'], keypoint_scores=people['keypoint_scores'],
            bboxes=people['bboxes'], track_ids=ids)
        drawn = vis.add_datasample('frame', img[..., ::-1], sample, draw_gt=False,
                                   draw_bbox=True, kpt_thr=self.kpt_thr)
        return np.ascontiguousarray(drawn[..., ::-1])

    # ------------------------------------------------------------------ files
    def track_video(self, inputs: Union[str, int], out_dir: str, render: bool = True,
                    max_frames: Optional[int] = None, progress: bool = True,
                    name: Optional[str] = None, show: bool = False) -> Dict[str, Any]:
        """Track one video and write ``<name>.json``, ``<name>_tracks.json`` and (``render``)
        ``<name>.mp4`` to ``out_dir``.

        Ctrl-C (``KeyboardInterrupt``) stops the run cleanly: the JSON files hold every frame
        done so far, with ``info.complete`` false, and the mp4 is closed (playable); the
        interrupt is then raised again.

        Returns:
            A summary: ``name``, ``frames``, ``people`` (tracked people over all frames),
            ``tracks``, ``fps`` (end to end), ``seconds``, per-stage ``ms_per_frame``,
            ``complete``, ``truncated``, and the written ``files``.
        """
        from mmpose_track.apis.video_io import VideoWriter
        os.makedirs(out_dir, exist_ok=True)
        writer_json = PoseTrackVideoWriter(self.categories)
        # a tracker with an offline step renames ids at the end: then the mp4 is drawn in a
        # second pass over the input with the final ids (not possible for a camera)
        offline = self.has_offline_step and not _is_camera(inputs)
        mp4 = None
        start = time.perf_counter()
        complete, interrupted = False, None
        bar = None

        def progress_bar():  # made once the source is open (its frame count is known)
            nonlocal bar
            if bar is None:
                total = self.source_info.num_frames
                bar = _Progress(total if max_frames is None else
                                min(max_frames, total or max_frames), enabled=progress)
            return bar
        if self.clip is not None:  # results come at the end: the bar follows the reading
            self._on_frame_read = lambda: progress_bar().update()
        try:
            results = self(inputs, return_vis=render and not offline, show=show,
                           max_frames=max_frames)
            for res in results:
                if mp4 is None and render and not offline:
                    name = name or self.source_info.name
                    mp4 = VideoWriter(osp.join(out_dir, f'{name}.mp4'), _fps(self.source_info))
                writer_json.add(res)
                if mp4 is not None and 'visualization' in res:
                    t0 = time.perf_counter()
                    mp4.write(res['visualization'])
                    self.timings['render'] += time.perf_counter() - t0
                if self.clip is None:
                    progress_bar().update()
            complete = True
        except KeyboardInterrupt as e:
            interrupted = e
        finally:
            self._on_frame_read = None
            if mp4 is not None:
                mp4.close()
            if bar is not None:
                bar.close()
        info = self.source_info
        name = name or getattr(info, 'name', 'video')
        n = writer_json.num_frames
        gap_fill = None
        if getattr(self.tracker, 'interpolate', None) is not None and n:
            # the whole remap: tracks it drops (-1) are not filled either
            gap_fill = self.tracker.gap_fill(self.remap)
        final = writer_json.finalize(self.remap, gap_fill)
        files = writer_json.write(out_dir, name, final, complete=complete,
                                  truncated=self.truncated, fps=getattr(info, 'fps', None))
        if render and offline and n and interrupted is None:
            try:
                mp4 = self._render_pass(inputs, osp.join(out_dir, f'{name}.mp4'), final,
                                        _fps(info), n)
            except KeyboardInterrupt as e:
                interrupted = e
        if mp4 is not None and mp4.frames_written:
            files.append(osp.join(out_dir, f'{name}.mp4'))
        seconds = time.perf_counter() - start
        summary = dict(name=name, frames=n, people=writer_json.written_people,
                       tracks=writer_json.written_tracks, seconds=seconds,
                       fps=n / seconds if seconds > 0 else 0.0,
                       ms_per_frame={k: 1e3 * v / max(n, 1) for k, v in self.timings.items()},
                       complete=complete, truncated=self.truncated, files=files)
        if interrupted is not None:
            self.last_summary = summary
            raise interrupted
        return summary

    @property
    def has_offline_step(self) -> bool:
        """Whether the tracker changes ids or adds people after the video (stitching, gap
        filling, dropping short tracks)."""
        if self.clip is not None:  # tube merging runs when the video has ended
            return True
        t = self.tracker
        return (getattr(t, 'stitch', None) is not None or
                getattr(t, 'interpolate', None) is not None or
                int(getattr(t, 'min_track_length', 1) or 1) > 1)

    def _render_pass(self, inputs, path: str, final: List[list], fps: float, n: int):
        """Draw the final people (:meth:`PoseTrackVideoWriter.finalize`) on a second read of
        the first ``n`` frames of the input; returns the closed writer."""
        from mmpose_track.apis.video_io import VideoWriter, open_frames
        vis = self._visualizer()
        k = len(self.keypoint_names)
        mp4 = VideoWriter(path, fps)
        try:
            with open_frames(inputs, max_frames=n) as source:
                for (_, img, _), people in zip(source, final):
                    t0 = time.perf_counter()
                    arr = dict(
                        keypoints=np.array([p['keypoints'] for p, _ in people]).reshape(-1, k, 2),
                        keypoint_scores=np.array([p['scores'] for p, _ in people]).reshape(-1, k),
                        bboxes=np.array([p['bbox'] for p, _ in people],
                                        np.float64).reshape(-1, 4))
                    ids = np.array([t for _, t in people], np.int64)
                    mp4.write(self._draw(vis, img, arr, ids))
                    self.timings['render'] += time.perf_counter() - t0
        finally:
            mp4.close()
        return mp4


def _show(frame: np.ndarray) -> None:
    """Show a drawn frame in a window; a one-line error where there is no display."""
    import cv2
    try:
        cv2.imshow('mmpose_track', frame)
        cv2.waitKey(1)
    except cv2.error as e:
        lines = str(e).strip().splitlines()
        raise ValueError('cannot show frames (no display or no GUI support in OpenCV): '
                         f'{lines[-1] if lines else e}') from None


def _check_display() -> None:
    """One line now, before any frame is read, where no window can be opened (``show``)."""
    import cv2
    try:
        cv2.namedWindow('mmpose_track', cv2.WINDOW_NORMAL)
    except cv2.error as e:
        lines = str(e).strip().splitlines()
        raise ValueError('cannot show frames (no display or no GUI support in OpenCV): '
                         f'{lines[-1] if lines else e}') from None


def _is_camera(inputs) -> bool:
    return isinstance(inputs, int) or (isinstance(inputs, str) and inputs.isdigit() and
                                       not osp.exists(inputs))


def _fps(info) -> float:
    fps = getattr(info, 'fps', None)
    return float(fps) if fps and fps > 0 else 25.0


class PoseTrackVideoWriter:
    """Collects the tracked frames of one video and writes the PoseTrack18 and per-track JSON.

    Args:
        categories: the ``categories`` entry (keypoint names, skeleton).
    """

    def __init__(self, categories: List[dict]):
        self.categories = categories
        self.images: List[dict] = []
        self.people: List[Tuple[int, dict]] = []  # (position of the image, person)

    @property
    def num_frames(self) -> int:
        return len(self.images)

    @property
    def num_people(self) -> int:
        return len(self.people)

    @property
    def num_tracks(self) -> int:
        return len({p['track_id'] for _, p in self.people if p['track_id'] >= 0})

    def add(self, res: Dict[str, Any]) -> None:
        """Add one frame (a result of :class:`PoseTrackInferencer`)."""
        self.images.append(dict(file_name=res['file_name'], frame_idx=res['frame_idx'],
                                width=res['width'], height=res['height']))
        pos = len(self.images) - 1
        for p in res['predictions']:
            self.people.append((pos, dict(track_id=p['track_id'], bbox=p['bbox'],
                                          bbox_score=p['bbox_score'],
                                          keypoints=np.asarray(p['keypoints'], np.float64),
                                          scores=np.asarray(p['keypoint_scores'], np.float64))))

    def finalize(self, remap: Optional[Dict[int, int]] = None, gap_fill=None) -> List[list]:
        """The people of each frame with their final ids, ``[[(person, id), ...], ...]``.

        ``remap`` (the tracker's offline step, ``finalize()``) renames ids; people mapped to
        ``-1`` are left out. ``gap_fill`` (``(frame_idx, track_id, keypoints (L, K, 3))`` of
        the tracker's ``gap_fill(remap)``) adds the people of the frames a track missed,
        marked ``interpolated``. Track ids are then renumbered ``0, 1, ...`` by first
        appearance (:func:`~mmpose_track.apis.tracking.compact_ids`), as ``tools/track.py``
        does.
        """
        from mmpose_track.apis.tracking import compact_ids
        from mmpose_track.tracking import remap_track_ids
        remap = dict(remap or {})
        raw = [[] for _ in self.images]
        members = [[] for _ in self.images]
        for pos, p in self.people:
            raw[pos].append(p['track_id'])
            members[pos].append(p)
        frames_ids = [remap_track_ids(np.asarray(r, np.int64), remap) if remap else
                      np.asarray(r, np.int64) for r in raw]
        kept = [[(p, t) for p, t in zip(m, ids.tolist()) if t >= 0]
                for m, ids in zip(members, frames_ids)]
        if gap_fill is not None and len(gap_fill[0]):
            from mmpose_track.tracking import bboxes_from_keypoints
            pos_of = {int(img['frame_idx']): i for i, img in enumerate(self.images)}
            fill_f, fill_t, fill_k = gap_fill
            boxes = bboxes_from_keypoints(np.asarray(fill_k, np.float64))
            for f, t, k, b in zip(np.asarray(fill_f).tolist(), np.asarray(fill_t).tolist(),
                                  np.asarray(fill_k, np.float64), boxes):
                if int(f) in pos_of and t >= 0:
                    kept[pos_of[int(f)]].append((dict(
                        track_id=int(t), bbox=b.tolist(), bbox_score=0.0,
                        keypoints=k[:, :2], scores=k[:, 2], interpolated=True), int(t)))
        new_ids, _ = compact_ids([np.asarray([t for _, t in k], np.int64) for k in kept])
        return [[(p, int(t)) for (p, _), t in zip(k, ids.tolist())]
                for k, ids in zip(kept, new_ids)]

    def write(self, out_dir: str, name: str, final: List[list], complete: bool = True,
              truncated: bool = False, fps: Optional[float] = None) -> List[str]:
        """Write ``<name>.json`` (PoseTrack18) and ``<name>_tracks.json`` of the people
        :meth:`finalize` gave; returns their paths."""
        vid = 1
        images, anns, tracks = [], [], {}
        ann_id = 0
        for img, people in zip(self.images, final):
            frame = int(img['frame_idx'])
            img_id = 10_000_000_000 + vid * 10000 + min(frame, 9999)
            images.append(dict(id=img_id, frame_id=img_id, vid_id=f'{vid:06d}',
                               file_name=img['file_name'], nframes=len(self.images),
                               frame_idx=frame, width=img['width'], height=img['height'],
                               is_labeled=True, has_no_densepose=True))
            for p, t in people:
                x1, y1, x2, y2 = (float(v) for v in p['bbox'])
                kp = np.concatenate([p['keypoints'], p['scores'][:, None]], 1)
                kp = np.where(np.isfinite(kp), kp, 0.0)
                ann_id += 1
                xy = [[round(float(x), 3), round(float(y), 3)] for x, y in kp[:, :2]]
                sc = [round(float(v), 5) for v in kp[:, 2]]
                ann = dict(id=ann_id, image_id=img_id, category_id=1, track_id=int(t),
                           bbox=[x1, y1, x2 - x1, y2 - y1], score=float(p['bbox_score']),
                           keypoints=[v for (x, y), c in zip(xy, sc) for v in (x, y, c)],
                           scores=sc)
                if p.get('interpolated'):
                    ann['interpolated'] = True
                anns.append(ann)
                tr = tracks.setdefault(str(int(t)), dict(
                    frames=[], image_ids=[], bboxes=[], keypoints=[], scores=[]))
                tr['frames'].append(frame)
                tr['image_ids'].append(img_id)
                tr['bboxes'].append([x1, y1, x2 - x1, y2 - y1])
                tr['keypoints'].append(xy)
                tr['scores'].append(sc)
        self.written_tracks = len(tracks)
        self.written_people = len(anns)
        info = dict(complete=bool(complete), truncated=bool(truncated), frames=len(images),
                    fps=fps, generator='mmpose_track tools/track_video.py')
        paths = [osp.join(out_dir, f'{name}.json'), osp.join(out_dir, f'{name}_tracks.json')]
        _write_json(paths[0], dict(info=info, images=images, annotations=anns,
                                   categories=self.categories))
        _write_json(paths[1], dict(info=info, keypoint_names=self.categories[0]['keypoints'],
                                   tracks=tracks))
        return paths


def _write_json(path: str, obj: Any) -> None:
    """Write atomically (a temporary file renamed): an interrupted write never leaves half a
    file."""
    import json
    tmp = f'{path}.tmp'
    with open(tmp, 'w') as f:
        json.dump(obj, f)
    os.replace(tmp, path)


class _Progress:
    """MMEngine's progress bar (frames per second, ETA) when the frame count is known; a line
    every second otherwise (cameras)."""

    def __init__(self, total: Optional[int], enabled: bool = True):
        self.enabled = enabled
        self.total = total
        self.count = 0
        self.start = time.perf_counter()
        self.last = 0.0
        self.bar = None
        if enabled and total:
            from mmengine.utils import ProgressBar
            self.bar = ProgressBar(total)

    def update(self) -> None:
        self.count += 1
        if not self.enabled:
            return
        if self.bar is not None and self.count <= self.bar.task_num:
            self.bar.update()
            return
        now = time.perf_counter()
        if now - self.last >= 1.0:
            self.last = now
            fps = self.count / max(now - self.start, 1e-9)
            print(f'\rframe {self.count}, {fps:.1f} frames/s', end='', flush=True)

    def close(self) -> None:
        if self.enabled:
            print(flush=True)
