"""PoseTrack18ReIDDataset: person crops labelled by (video, track_id), MMDet's ReID pipeline."""
import os.path as osp

import numpy as np

import mmpose_track.register_all  # noqa: F401  (registers)
from mmdet.registry import DATASETS, TRANSFORMS
from mmengine.registry import DefaultScope

CROP = (32, 64)


def _train_pipeline():
    return [
        dict(type='TransformBroadcaster', share_random_params=False, transforms=[
            dict(type='LoadImageFromFile', to_float32=True),
            dict(type='CropPersonBox', size=CROP, jitter=0.05),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        ]),
        dict(type='PackReIDInputs', meta_keys=('flip', 'flip_direction')),
    ]


def _build(**kwargs):
    with DefaultScope.overwrite_default_scope('mmdet'):
        return DATASETS.build(dict(type='PoseTrack18ReIDDataset', **kwargs))


def test_real_posetrack18_files(shared_data):
    root = osp.join(shared_data, 'posetrack18') + '/'
    ds = _build(data_root=root, ann_file='annotations/val/', data_prefix=dict(img_path=''),
                min_instances=1, skip_missing_images=True,
                pipeline=[dict(type='LoadImageFromFile'), dict(type='CropPersonBox', size=CROP),
                           dict(type='PackReIDInputs')])
    # the shared data's README: 1 + 2 + 11 people (tracks 0 / 0-1 / 0-10), each in one frame
    assert len(ds) == ds.num_identities == 14
    labels = np.array([int(ds.get_data_info(i)['gt_label']) for i in range(len(ds))])
    # contiguous identity indices, one per (video, track_id)
    assert set(labels.tolist()) == set(range(ds.num_identities))
    assert len(ds.identities) == len(set(ds.identities)) == ds.num_identities
    info = ds.get_data_info(0)
    x1, y1, x2, y2 = info['bbox']
    assert x2 > x1 and y2 > y1 and osp.exists(info['img_path'])
    out = ds[0]
    assert tuple(out['inputs'].shape) == (1, 3, CROP[1], CROP[0])
    assert int(out['data_samples'].gt_label.label) == labels[0]


def test_real_files_min_instances_drops_singletons(shared_data):
    """Every identity of the shared files is seen once: ``min_instances=2`` (what triplets need)
    drops them all."""
    root = osp.join(shared_data, 'posetrack18') + '/'
    all_ids = _build(data_root=root, ann_file='annotations/val/', min_instances=1, pipeline=[])
    strict = _build(data_root=root, ann_file='annotations/val/', min_instances=2, pipeline=[])
    assert len(all_ids) == 14 and len(strict) == 0


def test_synthetic_triplet_batches(tiny_synthetic):
    ds = _build(data_root=tiny_synthetic, ann_file='annotations/train/',
                triplet_sampler=dict(num_ids=3, ins_per_id=2), pipeline=_train_pipeline())
    assert ds.num_identities >= 3
    # identities are (video, track_id): never merged across videos
    videos = {}
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        videos.setdefault(int(info['gt_label']), set()).add((info['video_id'], info['track_id']))
    assert all(len(v) == 1 for v in videos.values())
    out = ds[0]
    assert tuple(out['inputs'].shape) == (6, 3, CROP[1], CROP[0])
    labels = out['data_samples'].gt_label.label
    assert labels.shape == (6, ) and len(set(labels.tolist())) == 3
    assert (labels[:2] == labels[0]).all()  # K crops of the anchor identity first


def test_crop_person_box_geometry():
    with DefaultScope.overwrite_default_scope('mmdet'):
        crop = TRANSFORMS.build(dict(type='CropPersonBox', size=(8, 16)))
    img = np.zeros((100, 100, 3), np.float32)
    img[20:60, 30:50] = 200.  # a 20 x 40 "person"
    out = crop.transform(dict(img=img, bbox=np.array([30, 20, 50, 60], np.float32)))
    assert out['img'].shape == (16, 8, 3)
    np.testing.assert_allclose(out['img'], 200., atol=1e-3)  # exactly the box
    # outside the image: the normalisation mean (zero after normalising)
    out = crop.transform(dict(img=img, bbox=np.array([-100, -100, -60, -20], np.float32)))
    np.testing.assert_allclose(out['img'][0, 0], crop.pad_val, atol=1e-3)
