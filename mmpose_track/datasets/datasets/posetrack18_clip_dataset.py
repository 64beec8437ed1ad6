"""Clips of T consecutive PoseTrack18 frames around a labeled key frame, one per key person."""
import copy
from typing import Dict, List

import numpy as np
from mmengine.dataset import force_full_init
from mmpose.registry import DATASETS

from .posetrack18_frame_dataset import FRAME_KEYS, PoseTrack18FrameDataset


def clip_frame_indices(frame_idx: int, clip_len: int, num_frames: int,
                       listed: List[int]) -> List[int]:
    """Frame indices of the clip of ``clip_len`` frames whose key frame ``frame_idx`` sits at
    position ``clip_len // 2``.

    Indices outside ``[0, num_frames)`` are clamped to the border (edge frames replicated); an
    index whose frame is not listed in the annotation file is replaced by the nearest listed
    frame towards the key frame (the key frame itself must be listed).
    """
    listed = set(listed)
    out = []
    for o in range(-(clip_len // 2), clip_len - clip_len // 2):
        t = min(max(frame_idx + o, 0), num_frames - 1)
        step = 1 if t < frame_idx else -1
        while t not in listed and t != frame_idx:
            t += step
        out.append(t)
    return out


def enlarge_boxes(boxes: np.ndarray, factor: float) -> np.ndarray:
    """Boxes ``(N, 4)`` x1y1x2y2 with width and height scaled by ``factor`` about their centres
    (the tube box of Wang et al. 2020, Sec. 3.1: the keyframe box enlarged by 25 %, not clipped
    to the image).

    Returns:
        ``(N, 4)`` float32 boxes.
    """
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    centre, half = (b[:, :2] + b[:, 2:]) / 2, (b[:, 2:] - b[:, :2]) * float(factor) / 2
    return np.concatenate([centre - half, centre + half], 1).astype(np.float32)


@DATASETS.register_module()
class PoseTrack18ClipDataset(PoseTrack18FrameDataset):
    """Top-down tubes: per person of a key frame, ``clip_len`` consecutive frames around it.

    Key frames: labeled frames (ground truth; one sample per person with a visible keypoint) or,
    with ``bbox_file`` (test only), every frame with detections (one sample per detection);
    with ``keyframe_step = S > 1`` only the frames whose index is a multiple of S (Wang et al.
    2020, Sec. 3.2 and Fig. 5b: the detector and the network run on every S-th frame only).
    The clip holds frames ``t - T//2 ... t + (T - 1 - T//2)`` (key frame at position ``T // 2``),
    clamped at the video borders (a video of one frame gives T copies of it); a frame missing from
    the annotation file is replaced by the nearest listed one towards the key frame.

    Every frame of the tube is cropped by the *same* box, the key frame's box enlarged by
    ``enlarge`` about its centre (``bbox``, not clipped to the image; the key box itself is kept
    as ``key_bbox``): put ``GetBBoxCenterScale(padding=1.0)`` in the pipeline or the padding is
    applied twice. Per frame, ``keypoints``/``keypoints_visible`` are those of the person with the
    key person's track id when that frame is labeled and holds it, else zeros (invisible);
    detections carry MMPose's dummy keypoints in every frame.

    ``dataset[i]`` runs the pipeline on::

        dict(frames=[frame_info] * T, key_frame_index=T // 2, clip_frame_idx=[...],
             video_id=..., frame_idx=t, num_frames=..., img_id=..., img_path=..., is_labeled=...,
             track_id=..., bbox=..., key_bbox=...)

    each frame info being a top-down data info of that frame (its ``img_path``, ``img_id``,
    ``frame_idx``, ``is_labeled``; only the key frame keeps ``raw_ann_info``). Example::

        pipeline = [
            dict(type='ApplyToFrames', transforms=[
                dict(type='LoadImage'), dict(type='GetBBoxCenterScale', padding=1.0),
                dict(type='RandomFlip', direction='horizontal'),
                dict(type='RandomBBoxTransform'),
                dict(type='TopdownAffine', input_size=(192, 256)),
                dict(type='GenerateTarget', encoder=dict(
                    type='MSRAHeatmap', input_size=(192, 256), heatmap_size=(48, 64),
                    sigma=2))]),
            dict(type='PackMultiFramePoseInputs')]  # inputs (T, C, H, W)

    Args:
        clip_len (int): T >= 1.
        enlarge (float): factor > 0 applied to the key box's width and height. Defaults to 1.25.
        keyframe_step (int): S >= 1, keep key frames whose ``frame_idx % S == 0``. Defaults to 1.
        data_mode (str): only ``'topdown'``.
        **kwargs: see :class:`PoseTrack18FrameDataset`.
    """

    def __init__(self, clip_len: int = 3, enlarge: float = 1.25, keyframe_step: int = 1,
                 data_mode: str = 'topdown', **kwargs):
        if data_mode != 'topdown':
            raise ValueError(f'{self.__class__.__name__} crops tubes per person: data_mode must '
                             f'be "topdown", got {data_mode!r}')
        if not isinstance(clip_len, int) or clip_len < 1:
            raise ValueError(f'clip_len must be an integer >= 1, got {clip_len!r}')
        if not enlarge > 0:
            raise ValueError(f'enlarge must be > 0, got {enlarge!r}')
        if not isinstance(keyframe_step, int) or keyframe_step < 1:
            raise ValueError(f'keyframe_step must be an integer >= 1, got {keyframe_step!r}')
        self.clip_len = clip_len
        self.keyframe_step = keyframe_step
        self.enlarge = float(enlarge)
        super().__init__(data_mode='topdown', **kwargs)

    def load_data_list(self) -> List[dict]:
        ann = self._load_ann()
        K = self.metainfo['num_keypoints']
        T = self.clip_len
        by_video: Dict[str, Dict[int, dict]] = {}
        for f in ann['frames']:
            by_video.setdefault(f['video_id'], {})[f['frame_idx']] = f
        if self.bbox_file:
            persons = self._detection_infos(ann)
        else:
            persons = [
                p for f in ann['frames'] if f['is_labeled']
                for p in self._people_infos(f, ann['people']) if self._is_valid_instance(p)
            ]
        if self.keyframe_step > 1:
            persons = [p for p in persons if p['frame_idx'] % self.keyframe_step == 0]
        for p in persons:
            vframes = by_video[p['video_id']]
            inds = clip_frame_indices(p['frame_idx'], T, p['num_frames'], list(vframes))
            track = int(p['track_ids'][0])
            kpts = np.zeros((T, K, 2), np.float32)
            vis = np.zeros((T, K), np.float32)
            for t, fi in enumerate(inds):
                frame = vframes[fi]
                if self.bbox_file:
                    vis[t] = 1.  # MMPose's dummy keypoints for detections
                elif fi == p['frame_idx']:
                    kpts[t], vis[t] = p['keypoints'][0], p['keypoints_visible'][0]
                elif frame['is_labeled']:
                    for q in ann['people'][frame['img_id']]:
                        if q['track_id'] == track:
                            kpts[t] = q['keypoints'][:, :2]
                            vis[t] = np.minimum(1, q['keypoints'][:, 2])
                            break
            p['key_bbox'] = p['bbox']
            p['bbox'] = enlarge_boxes(p['bbox'][:1], self.enlarge)
            p['clip'] = [{k: vframes[fi][k] for k in FRAME_KEYS} for fi in inds]
            p['clip_keypoints'] = kpts
            p['clip_keypoints_visible'] = vis
        return persons

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        clip = info.pop('clip')
        kpts = info.pop('clip_keypoints')
        vis = info.pop('clip_keypoints_visible')
        key_index = self.clip_len // 2
        frames = []
        for t, row in enumerate(clip):
            f = copy.deepcopy(info)  # frames must not share arrays
            f.update(row)
            f['keypoints'] = kpts[t][None].copy()
            f['keypoints_visible'] = vis[t][None].copy()
            if t != key_index:
                f.pop('raw_ann_info', None)
            frames.append(f)
        out = {k: info[k] for k in FRAME_KEYS}
        out.update(
            frames=frames,
            key_frame_index=key_index,
            clip_frame_idx=[row['frame_idx'] for row in clip],
            track_id=int(info['track_ids'][0]),
            bbox=info['bbox'],
            key_bbox=info['key_bbox'],
            sample_idx=info['sample_idx'])
        return out
