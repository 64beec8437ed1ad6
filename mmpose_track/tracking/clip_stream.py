"""Per-video driver of the clip tracking pipeline (Wang et al. 2020, Sec. 3.2-3.3, 4.1).

:class:`ClipTrackingStream` is the tube counterpart of
:class:`~mmpose_track.tracking.VideoTrackingStream`: the tracking loops drive it the same way
(``push`` the predictions of each batch, ``flush`` after the last one) when their config says
``tubes=dict(...)`` instead of ``tracker=dict(...)``. Its input is one clip sample per keyframe
person, in (video, keyframe) order (``PoseTrack18ClipDataset`` with ``keyframe_step``, whole videos
per rank); each clip sample holds the Clip Tracking Network's pose of the keyframe person in every
frame of its tube (``video_data_samples[t].pred_instances``), a *tracklet*. When the video's last
tube has arrived, the video is tracked offline:

- ``merge='spatial_temporal'`` / ``'baseline'`` (Table 7 rows 3-6): the tracklets are sewn into
  tracks and their hypotheses merged (:func:`~mmpose_track.tracking.track_video_from_tubes`), then
  short tracks and tiny boxes are removed;
- ``merge='none'`` (Table 7 row 2, "3D HRNet without tracking"): every hypothesis becomes a
  person of its frame, and the frames go through a :class:`VideoTrackingStream` with OKS-NMS over
  the hypotheses (``nms``) and a frame tracker (``frame_tracker``, the 2D baseline's OKS greedy
  tracker by default so that MOTA compares with row 1).

The output is one tracked frame-level ``PoseDataSample`` per frame that some tube covers, in frame
order (``docs/architecture.md``, "Frame-level samples at test time"): ``pred_instances`` with
``keypoints (N, K, 2)``, ``keypoint_scores (N, K)``, ``bboxes (N, 4)`` (around the pose's joints,
enlarged by ``box_padding``), ``bbox_scores (N,)`` (mean joint score) and ``track_ids (N,)``.
Frames no tube covers (a video whose frames have no detection at all) are not emitted; the
metric writes them empty. Importing needs numpy only.
"""
from typing import List, Optional, Sequence, Union

import numpy as np

from ._utils import to_numpy
from .clip_pipeline import CLIP_MERGES, track_video_from_tubes
from .similarity import bboxes_from_keypoints
from .suppression import suppress_poses
from .video_stream import PERSON_META_KEYS, VideoTrackingStream

__all__ = ['ClipTrackingStream', 'tube_frame_positions']

#: the frame tracker of ``merge='none'`` when the config gives none (MMPose 0.x's OKS tracker;
#: the Table 7 configs pass the 2D row's oks-gbm tracker)
DEFAULT_FRAME_TRACKER = dict(type='OKSGreedyTracker')


def tube_frame_positions(frame_ids: Sequence[int], key_index: int) -> np.ndarray:
    """Positions of a tube's frames that give its tracklet: one per distinct frame.

    Tubes have ``T`` frames even where the video is shorter or the keyframe is near its border
    (``clip_frame_indices`` replicates the border frame); a frame that appears several times keeps
    the position nearest the keyframe (ties: the earlier one), so a tracklet has one pose per
    frame and a video shorter than ``T`` gives tracklets of its length.

    Args:
        frame_ids: ``(T,)`` frame index of each position of the tube.
        key_index: position of the keyframe in the tube.

    Returns:
        ``(L,)`` int64 positions, sorted by frame index.
    """
    f = np.asarray(frame_ids, np.int64).reshape(-1)
    if f.size == 0:
        return np.zeros(0, np.int64)
    dist = np.abs(np.arange(f.size) - int(key_index))
    order = np.lexsort((np.arange(f.size), dist, f))  # by frame, then nearest the key, earlier
    first = np.ones(f.size, bool)
    first[1:] = f[order][1:] != f[order][:-1]
    return order[first]


class ClipTrackingStream:
    """Tube predictions in dataloader order in, tracked frames out, video by video.

    Args:
        merge (str): ``'spatial_temporal'`` (Sec. 3.3), ``'baseline'`` (highest score per joint),
            or ``'none'`` (no linking: OKS-NMS over the hypotheses of each frame, then the frame
            tracker; Table 7 row 2).
        sim_thr (float): mean OKS a tracklet needs to join a track
            (:func:`~mmpose_track.tracking.merge_clip_tracklets`).
        balance (float): λ of the spatial-temporal merge (Sec. 4.2: 1).
        bandwidth_ratio (float): mean-shift radius in head sizes (Sec. 4.2: 0.5, the PCKh
            radius).
        spatial (bool), temporal (bool): the two terms of the spatial-temporal merge, for the
            Table 7 rows "+ spatial merge" / "+ temporal merge"; see
            :func:`~mmpose_track.tracking.spatial_temporal_merge`.
        min_track_length (int): tracks with fewer posed frames are dropped (Sec. 4.1).
        min_box_area (float): merged poses whose joint box covers fewer square pixels are
            dropped (Sec. 4.1, "tiny bounding boxes").
        box_padding (float): the output ``bboxes`` are the joints' tight box scaled by this
            about its centre (a figure extends past its joints); used by the person-box recall.
        sigmas, vis_thr: of the OKS between tracklets (PoseTrack18's sigmas by default, or the
            dataset's ``sigmas``).
        frame_tracker (dict, optional): tracker of ``merge='none'`` (default OKS greedy).
        nms (dict | list[dict], optional): per-frame suppression of duplicate people
            (:func:`~mmpose_track.tracking.suppress_poses`, people scored by their mean joint
            score). ``merge='none'``: over the hypotheses before the frame tracker (default
            ``dict(type='oks', thr=0.9)``, MMPose's evaluation setting). Sewn tracks: over the
            merged poses of each frame (default None: every track kept); a suppressed pose
            leaves its track in that frame only. Not in the paper's text: a duplicate detection
            of a keyframe, or a tracklet that fails to join its person's track, otherwise leaves
            two tracks on one person.
        num_keypoints (int, optional), dataset_meta (dict, optional): as
            :class:`VideoTrackingStream` (``K`` of empty frames of ``merge='none'``; the OKS
            ``sigmas`` of the dataset).
    """

    def __init__(self,
                 merge: str = 'spatial_temporal',
                 sim_thr: float = 0.3,
                 balance: float = 1.0,
                 bandwidth_ratio: float = 0.5,
                 spatial: bool = True,
                 temporal: bool = True,
                 min_track_length: int = 1,
                 min_box_area: float = 0.,
                 box_padding: float = 1.0,
                 sigmas=None,
                 vis_thr: Optional[float] = None,
                 frame_tracker: Optional[dict] = None,
                 nms: Union[dict, List[dict], None] = None,
                 num_keypoints: Optional[int] = None,
                 dataset_meta: Optional[dict] = None) -> None:
        if merge not in CLIP_MERGES + ('none', ):
            raise ValueError(f'ClipTrackingStream: merge must be one of '
                             f'{CLIP_MERGES + ("none", )}, got {merge!r}')
        if not box_padding > 0:
            raise ValueError(f'ClipTrackingStream: box_padding must be > 0, got {box_padding!r}')
        self.merge = merge
        if sigmas is None and dataset_meta and dataset_meta.get('sigmas') is not None:
            sigmas = np.asarray(dataset_meta['sigmas'], np.float64)
        self.track_args = dict(sim_thr=sim_thr, sigmas=sigmas, vis_thr=vis_thr, balance=balance,
                               bandwidth_ratio=bandwidth_ratio, spatial=spatial,
                               temporal=temporal, min_track_length=min_track_length,
                               min_box_area=min_box_area)
        self.box_padding = float(box_padding)
        self.frame_stream = None
        self.nms = None if merge == 'none' or nms is None else nms
        if merge == 'none':
            self.frame_stream = VideoTrackingStream(
                frame_tracker or DEFAULT_FRAME_TRACKER,
                nms=dict(type='oks', thr=0.9) if nms is None else nms,
                num_keypoints=num_keypoints, dataset_meta=dataset_meta)
        self._video: Optional[str] = None
        self._tubes: list = []  # (keyframe, frame ids (L,), poses (L, K, 3), det score)
        self._frame_meta: dict = {}  # frame index -> frame metainfo of the current video
        self._seen_videos: set = set()

    # ----------------------------------------------------------------- input
    def push(self, samples: Sequence) -> list:
        """Feed the clip samples of one batch (``video_data_samples[t].pred_instances``).

        Returns:
            list: the tracked frames of every video finished by these samples, often empty.
        """
        done: list = []
        for sample in samples:
            meta = sample.metainfo
            frames = sample.get('video_data_samples', None)
            if frames is None or 'video_id' not in meta or 'frame_idx' not in meta:
                raise KeyError(
                    f'ClipTrackingStream: sample of img_id={meta.get("img_id")} is not a tube '
                    'prediction with video_id / frame_idx (PoseTrack18ClipDataset + '
                    'PackMultiFramePoseInputs + ClipTopdownPoseEstimator)')
            video = str(meta['video_id'])
            if video != self._video:
                done += self._close_video()
                if video in self._seen_videos:
                    raise RuntimeError(
                        f'video {video} arrived twice on this rank (its tubes are not contiguous); '
                        'use a sampler that keeps videos whole and ordered (VideoGroupedSampler)')
                self._seen_videos.add(video)
                self._video = video
            self._add_tube(sample, frames)
        return done

    def flush(self) -> list:
        """Finish the last video (call after the last batch); returns its frames."""
        return self._close_video()

    def _add_tube(self, sample, frames: list) -> None:
        key_index = int(sample.metainfo.get('key_frames_inds', [len(frames) // 2])[0])
        fids = [int(f.metainfo['frame_idx']) for f in frames]
        for f, fid in zip(frames, fids):
            if fid not in self._frame_meta:
                self._frame_meta[fid] = {k: v for k, v in f.metainfo.items()
                                         if k not in PERSON_META_KEYS}
        pos = tube_frame_positions(fids, key_index)
        poses, score = [], 1.0
        for p in pos:
            pred = frames[p].get('pred_instances', None)
            if pred is None or len(pred) != 1:
                n = None if pred is None else len(pred)
                raise ValueError(f'ClipTrackingStream: video {self._video}, keyframe '
                                 f'{sample.metainfo["frame_idx"]}: frame {fids[p]} of the tube '
                                 f'has {n} predicted people, expected 1 (the keyframe person)')
            kp = to_numpy(pred.keypoints)[0]
            sc = to_numpy(pred.keypoint_scores)[0]
            poses.append(np.concatenate([kp[:, :2], sc[:, None]], -1))
            if 'bbox_scores' in pred:
                score = float(to_numpy(pred.bbox_scores).reshape(-1)[0])
        self._tubes.append((int(sample.metainfo['frame_idx']), np.asarray(fids)[pos],
                            np.stack(poses), score))

    # ----------------------------------------------------------------- output
    def _frame_sample(self, meta: dict, keypoints: np.ndarray, track_ids=None, box_scores=None):
        """A frame-level ``PoseDataSample`` with metainfo ``meta`` and poses ``(N, K, 3)``."""
        from mmengine.structures import InstanceData
        from mmpose.structures import PoseDataSample
        kp = np.asarray(keypoints, np.float64)
        missing = ~np.isfinite(kp).all(-1)
        xy = np.where(missing[..., None], 0.0, kp[..., :2]).astype(np.float32)
        scores = np.where(missing, 0.0, kp[..., 2]).astype(np.float32)
        boxes = bboxes_from_keypoints(np.where(missing[..., None], np.nan, kp), score_thr=None)
        centre, half = (boxes[:, :2] + boxes[:, 2:]) / 2, (boxes[:, 2:] - boxes[:, :2]) / 2
        half = half * self.box_padding
        pred = InstanceData(
            keypoints=xy, keypoint_scores=scores,
            bboxes=np.concatenate([centre - half, centre + half], -1).astype(np.float32),
            bbox_scores=(scores.mean(-1) if box_scores is None else
                         np.asarray(box_scores, np.float32)).astype(np.float32))
        if track_ids is not None:
            pred.track_ids = np.asarray(track_ids, np.int64)
        frame = PoseDataSample(metainfo=meta)
        frame.pred_instances = pred
        return frame

    def _close_video(self) -> list:
        tubes, frame_meta = self._tubes, self._frame_meta
        self._tubes, self._frame_meta = [], {}
        if not tubes:
            return []
        num_frames = max(int(m.get('num_frames', 0)) for m in frame_meta.values())
        num_frames = max(num_frames, max(frame_meta) + 1)
        if self.merge == 'none':
            return self._untracked_frames(tubes, frame_meta)
        per_frame = track_video_from_tubes(
            [t[1] for t in tubes], [t[2] for t in tubes], [t[0] for t in tubes],
            num_frames=num_frames, merge=self.merge, **self.track_args)
        frames = [self._frame_sample(frame_meta[f], per_frame[f]['keypoints'],
                                     per_frame[f]['track_ids']) for f in sorted(frame_meta)]
        if self.nms is not None:
            for frame in frames:
                pred = frame.pred_instances
                if len(pred) > 1:
                    keep = np.sort(suppress_poses(pred.keypoints, pred.keypoint_scores,
                                                  pred.bboxes, pred.bbox_scores,
                                                  steps=self.nms))
                    frame.pred_instances = pred[keep]
        return frames

    def _untracked_frames(self, tubes: list, frame_meta: dict) -> list:
        """Table 7 row 2: every hypothesis a person of its frame, OKS-NMS, frame tracker."""
        fids = np.concatenate([t[1] for t in tubes])
        poses = np.concatenate([t[2] for t in tubes])
        dets = np.concatenate([np.full(len(t[1]), t[3], np.float32) for t in tubes])
        order = np.argsort(fids, kind='stable')
        fids, poses, dets = fids[order], poses[order], dets[order]
        present, starts = np.unique(fids, return_index=True)
        by_frame = dict(zip(present.tolist(), zip(np.split(poses, starts[1:]),
                                                   np.split(dets, starts[1:]))))
        K = poses.shape[1]
        frames = []
        for f in sorted(frame_meta):
            kp, sc = by_frame.get(f, (np.zeros((0, K, 3)), np.zeros(0, np.float32)))
            frames.append(self._frame_sample(frame_meta[f], kp, box_scores=sc))
        out = self.frame_stream.push(frames)
        return out + self.frame_stream.flush()
