"""Real keypoints (COCO val2017 + PoseTrack18 test data in /work/shared/data) cropped by MMPose's
own top-down transforms into a given input size; shared by the OGN tests."""
import json
import os.path as osp

import numpy as np

SHARED = osp.join(osp.dirname(__file__), '..', '..', '..', 'shared', 'data')
if not osp.isdir(SHARED):
    SHARED = '/work/shared/data'
ANN_FILES = ('coco/test_coco.json', 'posetrack18/annotations/test_posetrack18_val.json')


def real_people():
    """``(keypoints (K, 2), visible (K,), bbox xyxy (4,))`` of every annotated person."""
    people = []
    for f in ANN_FILES:
        path = osp.join(SHARED, f)
        if not osp.exists(path):
            continue
        with open(path) as fh:
            d = json.load(fh)
        for a in d['annotations']:
            k = np.asarray(a['keypoints'], np.float32).reshape(-1, 3)
            if (k[:, 2] > 0).sum() == 0:
                continue
            x, y, w, h = a['bbox']
            people.append((k[:, :2], (k[:, 2] > 0).astype(np.float32),
                           np.array([x, y, x + w, y + h], np.float32)))
    return people


def cropped_keypoints(input_size=(192, 256)):
    """Keypoints of every real person in the ``input_size`` crop of its box, made by MMPose's
    ``GetBBoxCenterScale`` + ``TopdownAffine`` (image-free: a blank image of the right size)."""
    from mmpose.datasets.transforms import GetBBoxCenterScale, TopdownAffine
    out = []
    for kpts, vis, bbox in real_people():
        res = dict(img=np.zeros((8, 8, 3), np.uint8), bbox=bbox[None], keypoints=kpts[None],
                   keypoints_visible=vis[None])
        res = GetBBoxCenterScale()(res)
        res = TopdownAffine(input_size=input_size)(res)
        k = res['transformed_keypoints'][0]
        inside = (k[:, 0] >= 0) & (k[:, 0] <= input_size[0] - 1) & (k[:, 1] >= 0) & \
            (k[:, 1] <= input_size[1] - 1)
        out.append((k, vis * inside))
    return out
