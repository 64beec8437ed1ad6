"""PoseTrack18 merged COCO-style files as an MMDet person-detection dataset."""
from typing import List

import numpy as np
from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS

from mmpose_track.structures.posetrack18_format import parse_ignore_regions

from .posetrack18_io import load_posetrack18

__all__ = ['PoseTrack18DetDataset']


@DATASETS.register_module()
class PoseTrack18DetDataset(CocoDataset):
    """MMDet's :class:`CocoDataset` on a merged PoseTrack18 file (category 1 ``person``).

    What plain ``CocoDataset`` gets wrong on these files, and what this class does instead:

    - PoseTrack annotations have no ``area``: it is taken as the box's ``w * h``; people without a
      ``bbox`` (possible in real PoseTrack files) are skipped.
    - unlabeled frames (``is_labeled`` false) list no people although people are visible: with
      ``labeled_only=True`` (default) they are dropped, in training *and* testing, so that they
      neither teach "background" nor count detections as false positives.
    - ignore regions (``ignore_regions_x/_y`` polygons of the image entry: people left
      unannotated) become crowd boxes (``ignore_flag=1``, the polygon's bounding box) when
      ``ignore_regions_as_crowd=True`` (default): MMDet's ``CocoMetric`` (with ``ann_file=None``,
      ground truth from the dataset) then ignores detections inside them, as COCO does for crowds;
      training leaves ignored boxes out of the assignment (MMDet's default).

    Data infos also carry ``is_labeled``. Options for the detectors that estimate poses too
    (the offset-guided Mask R-CNN, OGN Sec. 3.2) and for tracking their output:

    - ``with_keypoints=True``: every person instance also carries ``keypoints`` ``(K, 3)``
      (x, y, visibility; ``K = num_keypoints``), read by :class:`LoadAnnotationsWithKeypoints`;
      an annotation without keypoints gets invisible ones, a malformed one is an error naming
      the image and annotation.
    - ``video_order=True``: every info carries ``video_id``, ``frame_idx`` and ``num_frames``
      (PoseTrack18's rules, :func:`load_posetrack18`), the data list is sorted by (video, frame)
      and :attr:`video_ids` lists the video of every sample, as ``VideoGroupedSampler`` and the
      tracking loops need.
    - ``generate_if_missing`` (bool | dict): write the synthetic PoseTrack18 set into
      ``data_root`` when ``ann_file`` is missing (the tiny configs; ``ensure_synthetic_posetrack18``
      of :mod:`~mmpose_track.datasets.datasets.posetrack18_frame_dataset`).
    """

    METAINFO = dict(classes=('person', ), palette=[(220, 20, 60)])

    def __init__(self, *args, labeled_only: bool = True, ignore_regions_as_crowd: bool = True,
                 with_keypoints: bool = False, video_order: bool = False,
                 num_keypoints: int = 17, generate_if_missing=None, **kwargs):
        # the synthetic set when the annotation file is missing (tiny configs)
        from .posetrack18_frame_dataset import ensure_synthetic_posetrack18
        ensure_synthetic_posetrack18(kwargs.get('data_root'),
                                     kwargs.get('ann_file', args[0] if args else ''),
                                     generate_if_missing)
        self.labeled_only = labeled_only
        self.num_keypoints = num_keypoints
        self.ignore_regions_as_crowd = ignore_regions_as_crowd
        self.with_keypoints = with_keypoints
        self.video_order = video_order
        self.video_ids: List[str] = []
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        if self.video_order:
            frames = {f['img_id']: f for f in load_posetrack18(self.ann_file)['frames']}
            for info in data_list:
                f = frames[info['img_id']]
                info.update(video_id=f['video_id'], frame_idx=int(f['frame_idx']),
                            num_frames=int(f['num_frames']))
            data_list.sort(key=lambda d: (d['video_id'], d['frame_idx']))
        return data_list

    def parse_data_info(self, raw_data_info: dict) -> dict:
        img = raw_data_info['raw_img_info']
        anns = []
        for ann in raw_data_info['raw_ann_info']:
            bbox = ann.get('bbox')
            if bbox is None or len(bbox) < 4:
                continue
            if 'area' not in ann:
                ann = dict(ann, area=float(bbox[2]) * float(bbox[3]))
            anns.append(ann)
        if not self.with_keypoints:
            info = super().parse_data_info(dict(raw_data_info, raw_ann_info=anns))
        else:
            # MMDet drops some annotations (empty boxes, ...): parse one at a time to keep each
            # instance with its own keypoints
            info = super().parse_data_info(dict(raw_data_info, raw_ann_info=[]))
            for ann in anns:
                one = super().parse_data_info(dict(raw_data_info, raw_ann_info=[ann]))['instances']
                if one:
                    one[0]['keypoints'] = self._keypoints(ann, raw_data_info['raw_img_info'])
                    info['instances'] += one
        info['is_labeled'] = bool(img.get('is_labeled', True))
        if self.ignore_regions_as_crowd:
            info['instances'].extend(self._ignore_boxes(img))
        return info

    def _keypoints(self, ann: dict, img: dict) -> np.ndarray:
        K = self.num_keypoints
        kpts = ann.get('keypoints')
        if kpts is None:  # a person box without joints: all invisible
            return np.zeros((K, 3), np.float32)
        kpts = np.asarray(kpts, np.float32).reshape(-1)
        if kpts.size != 3 * K or not np.isfinite(kpts).all():
            raise ValueError(
                f'{self.ann_file}: image id {img.get("img_id")}, annotation id {ann.get("id")}: '
                f'field "keypoints" must hold {3 * K} finite numbers, got {kpts.size}')
        return kpts.reshape(K, 3)

    def _ignore_boxes(self, img: dict) -> List[dict]:
        """Ignore regions (the shared PoseTrack18 parser) as crowd boxes clipped to the image."""
        where = f'{self.ann_file}: image {img.get("id")}'
        polygons, _ = parse_ignore_regions(img, where)
        label = self.cat2label[self.cat_ids[0]]
        out = []
        for poly in polygons:
            px = np.clip(poly[:, 0], 0, img['width'])
            py = np.clip(poly[:, 1], 0, img['height'])
            x1, y1, x2, y2 = px.min(), py.min(), px.max(), py.max()
            if x2 - x1 >= 1 and y2 - y1 >= 1:
                out.append(dict(bbox=[float(x1), float(y1), float(x2), float(y2)],
                                bbox_label=label, ignore_flag=1))
        return out

    def filter_data(self) -> List[dict]:
        data_list = super().filter_data()
        if self.labeled_only:
            data_list = [d for d in data_list if d.get('is_labeled', True)]
        if self.video_order:
            self.video_ids = [d['video_id'] for d in data_list]
        return data_list
