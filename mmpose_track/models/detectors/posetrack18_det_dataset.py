"""PoseTrack18 merged COCO-style files as an MMDet person-detection dataset."""
from typing import List

import numpy as np
from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS

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

    Data infos also carry ``is_labeled``.
    """

    METAINFO = dict(classes=('person', ), palette=[(220, 20, 60)])

    def __init__(self, *args, labeled_only: bool = True, ignore_regions_as_crowd: bool = True,
                 **kwargs):
        self.labeled_only = labeled_only
        self.ignore_regions_as_crowd = ignore_regions_as_crowd
        super().__init__(*args, **kwargs)

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
        info = super().parse_data_info(dict(raw_data_info, raw_ann_info=anns))
        info['is_labeled'] = bool(img.get('is_labeled', True))
        if self.ignore_regions_as_crowd:
            info['instances'].extend(self._ignore_boxes(img))
        return info

    def _ignore_boxes(self, img: dict) -> List[dict]:
        xs, ys = img.get('ignore_regions_x') or [], img.get('ignore_regions_y') or []
        label = self.cat2label[self.cat_ids[0]]
        out = []
        for px, py in zip(xs, ys):
            if len(px) < 3 or len(px) != len(py):
                continue
            px = np.clip(np.asarray(px, np.float64), 0, img['width'])
            py = np.clip(np.asarray(py, np.float64), 0, img['height'])
            x1, y1, x2, y2 = px.min(), py.min(), px.max(), py.max()
            if x2 - x1 >= 1 and y2 - y1 >= 1:
                out.append(dict(bbox=[float(x1), float(y1), float(x2), float(y2)],
                                bbox_label=label, ignore_flag=1))
        return out

    def filter_data(self) -> List[dict]:
        data_list = super().filter_data()
        if self.labeled_only:
            data_list = [d for d in data_list if d.get('is_labeled', True)]
        return data_list
