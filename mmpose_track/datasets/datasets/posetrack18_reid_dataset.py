"""Person crops of PoseTrack18 videos as a re-identification dataset (OGN, Sec. 4.2).

OGN tracks with IoU plus the Euclidean distance of "human Re-identification" features. We train
that ReID model with MMDet's ReID recipe (``ReIDDataset`` triplet sampling, ``PackReIDInputs``,
``TripletLoss`` + cross-entropy) on person crops of the PoseTrack18 training videos, an identity
being a ``(video_id, track_id)`` pair.

- :class:`PoseTrack18ReIDDataset` (MMDet ``DATASETS``): reads the annotation files with
  :func:`load_posetrack18` and yields one info per annotated person: ``img_path``, ``bbox``
  (``x1, y1, x2, y2`` pixels), ``gt_label`` (contiguous identity index), ``video_id``,
  ``track_id``, ``frame_idx``. ``triplet_sampler=dict(num_ids=P, ins_per_id=K)`` gives MMDet's
  P x K batches (every info field becomes a list; wrap the per-crop transforms in
  ``TransformBroadcaster``).
- the crops come from :class:`~mmpose_track.datasets.transforms.CropPersonBox`.
"""
import os.path as osp
from typing import List

import numpy as np
from mmdet.datasets.reid_dataset import ReIDDataset
from mmdet.registry import DATASETS

from .posetrack18_io import load_posetrack18


@DATASETS.register_module()
class PoseTrack18ReIDDataset(ReIDDataset):
    """Person crops of PoseTrack18 (or the synthetic set) labelled by ``(video, track_id)``.

    Args:
        ann_file (str): merged COCO-style file or folder of per-video files (relative to
            ``data_root``).
        data_prefix (dict): ``dict(img_path='')``: joined before each ``file_name``.
        triplet_sampler (dict, optional): ``dict(num_ids=8, ins_per_id=4)`` (MMDet's
            ``ReIDDataset.triplet_sampling``); ``None`` yields single crops (evaluation).
        min_size (float): boxes narrower or lower than this many pixels are skipped.
        min_keypoints (int): people with fewer labelled joints are skipped (0: keep all).
        min_instances (int): identities with fewer crops are dropped (triplets need >= 2).
        frame_stride (int): keep every n-th frame of each video (consecutive frames are near
            duplicates).
        skip_missing_images (bool): drop crops whose image file does not exist (sample data
            that ships a subset of the frames).
        generate_if_missing (bool | dict, optional): write the synthetic PoseTrack18 set into
            ``data_root`` when ``ann_file`` is missing (see ``ensure_synthetic_posetrack18``).
    """

    def __init__(self,
                 *args,
                 min_size: float = 8.,
                 min_keypoints: int = 1,
                 min_instances: int = 2,
                 frame_stride: int = 1,
                 skip_missing_images: bool = False,
                 generate_if_missing=None,
                 **kwargs):
        from .posetrack18_frame_dataset import ensure_synthetic_posetrack18
        ensure_synthetic_posetrack18(kwargs.get('data_root'), kwargs.get('ann_file', ''),
                                     generate_if_missing)
        self.min_size = float(min_size)
        self.min_keypoints = int(min_keypoints)
        self.min_instances = int(min_instances)
        self.frame_stride = max(int(frame_stride), 1)
        self.skip_missing_images = bool(skip_missing_images)
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        img_prefix = self.data_prefix.get('img_path', '') or ''
        ann = load_posetrack18(self.ann_file, img_prefix=img_prefix)
        crops = []
        for frame in ann['frames']:
            if frame['frame_idx'] % self.frame_stride:
                continue
            if self.skip_missing_images and not osp.exists(frame['img_path']):
                continue
            for p in ann['people'][frame['img_id']]:
                track_id = p.get('track_id')
                if track_id is None or int(track_id) < 0:
                    continue
                x, y, w, h = (float(v) for v in p['bbox'])
                if w < self.min_size or h < self.min_size:
                    continue
                kpts = np.asarray(p.get('keypoints', np.zeros((0, 3))), np.float32).reshape(-1, 3)
                if self.min_keypoints and int((kpts[:, 2] > 0).sum()) < self.min_keypoints:
                    continue
                crops.append(
                    dict(img_path=frame['img_path'], video_id=frame['video_id'],
                         frame_idx=int(frame['frame_idx']), img_id=int(frame['img_id']),
                         track_id=int(track_id),
                         bbox=np.array([x, y, x + w, y + h], np.float32)))
        counts = {}
        for c in crops:
            key = (c['video_id'], c['track_id'])
            counts[key] = counts.get(key, 0) + 1
        keys = sorted(k for k, n in counts.items() if n >= self.min_instances)
        label_of = {k: i for i, k in enumerate(keys)}  # contiguous: MMDet's sampler needs it
        data_list = []
        for c in crops:
            label = label_of.get((c['video_id'], c['track_id']))
            if label is None:
                continue
            c['gt_label'] = np.array(label, dtype=np.int64)
            data_list.append(c)
        self.identities = keys
        self._parse_ann_info(data_list)
        return data_list

    def _serialize_data(self):
        if not self.data_list:  # MMEngine cannot serialise an empty list
            return np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int64)
        return super()._serialize_data()

    @property
    def num_identities(self) -> int:
        return len(self.pids)


__all__ = ['PoseTrack18ReIDDataset']
