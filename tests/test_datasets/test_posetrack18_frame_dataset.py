"""PoseTrack18FrameDataset on the real sample files of ../shared/data/posetrack18."""
import os.path as osp

import numpy as np
import pytest
from mmengine.registry import init_default_scope
import torch

from mmpose_track.datasets.datasets import PoseTrack18FrameDataset


@pytest.fixture(autouse=True)
def _mmpose_scope():
    """Pipelines name MMPose transforms bare, as configs do under default_scope='mmpose'."""
    init_default_scope('mmpose')

VIDEOS = ['003418_mpii_test', '009473_mpii_test', '012834_mpii_test']
CODEC = dict(type='MSRAHeatmap', input_size=(192, 256), heatmap_size=(48, 64), sigma=2)
BU_CODEC = dict(type='AssociativeEmbedding', input_size=(256, 256), heatmap_size=(64, 64),
                sigma=2)
TOPDOWN = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=CODEC['input_size']),
    dict(type='GenerateTarget', encoder=CODEC),
    dict(type='PackPoseTrackInputs'),
]
TOPDOWN_TEST = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=CODEC['input_size']),
    dict(type='PackPoseTrackInputs'),
]
BOTTOMUP = [
    dict(type='LoadImage'),
    dict(type='BottomupRandomAffine', input_size=BU_CODEC['input_size']),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='GenerateTarget', encoder=BU_CODEC),
    dict(type='BottomupGetHeatmapMask'),
    dict(type='PackPoseTrackInputs'),
]
CONTRACT = ('img_id', 'img_path', 'video_id', 'frame_idx', 'num_frames', 'is_labeled',
            'ori_shape')


@pytest.fixture(scope='module')
def pt18(shared_data):
    return osp.join(shared_data, 'posetrack18') + '/'


@pytest.fixture(scope='module', params=['merged', 'folder'])
def ann_file(request, pt18):
    return ('annotations/test_posetrack18_val.json'
            if request.param == 'merged' else 'annotations/val')


def _ds(pt18, ann_file, **kw):
    return PoseTrack18FrameDataset(ann_file=ann_file, data_root=pt18, data_prefix=dict(img=''),
                                   **kw)


def test_frames_and_video_facts(pt18, ann_file):
    ds = _ds(pt18, ann_file, test_mode=True)
    assert ds.metainfo['dataset_name'] == 'posetrack18'
    assert [f['video_id'] for f in ds.frames] == VIDEOS
    assert [f['num_frames'] for f in ds.frames] == [149, 101, 140]
    assert all(f['frame_idx'] == 0 and f['is_labeled'] for f in ds.frames)
    assert [f['img_id'] for f in ds.frames] == [10034180000, 10094730000, 10128340000]
    assert ds.frames[0]['img_path'] == osp.join(pt18, 'images/val/003418_mpii_test/000000.jpg')
    assert ds.frames[0]['ori_shape'] == (1080, 1920)
    assert [len(f['ignore_regions']) for f in ds.frames] == [9, 2, 4]
    assert ds.frames[1]['ignore_regions'][0].shape == (25, 2)
    assert ds.frames_of('009473_mpii_test') == [ds.frames[1]]


def test_topdown_samples(pt18, ann_file):
    ds = _ds(pt18, ann_file, test_mode=True)
    assert len(ds) == 14
    assert ds.video_ids == [VIDEOS[0]] + [VIDEOS[1]] * 2 + [VIDEOS[2]] * 11
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert [int(d['track_ids'][0]) for d in infos[3:]] == list(range(11))
    d = infos[3]  # first person of 012834, annotation id 1012834000000
    assert d['id'] == 1012834000000 and d['img_id'] == 10128340000
    assert d['video_id'] == '012834_mpii_test' and d['frame_idx'] == 0
    assert d['num_frames'] == 140 and d['is_labeled'] is True
    np.testing.assert_allclose(d['bbox'], [[322.3, 488.60029, 488.7, 675.00866]], rtol=1e-5)
    np.testing.assert_allclose(d['bbox_head'], [[378, 503, 422, 556]])
    assert d['keypoints'].shape == (1, 17, 2) and d['keypoints_visible'].shape == (1, 17)
    assert d['keypoints_visible'].sum() == 11 and d['num_keypoints'] == 11
    assert d['flip_indices'] == ds.metainfo['flip_indices']


def test_bottomup_samples(pt18, ann_file):
    ds = _ds(pt18, ann_file, data_mode='bottomup', test_mode=True)
    assert len(ds) == 3 and ds.video_ids == VIDEOS
    d = ds.get_data_info(2)
    assert d['video_id'] == '012834_mpii_test'
    assert d['track_ids'].tolist() == list(range(11))
    assert d['keypoints'].shape == (11, 17, 2) and d['bbox_head'].shape == (11, 4)
    assert len(d['ignore_regions']) == 4 and len(d['invalid_segs']) == 4
    assert sum(len(ds.get_data_info(i)['track_ids']) for i in range(3)) == 14


def test_topdown_pipeline(pt18):
    ds = _ds(pt18, 'annotations/test_posetrack18_val.json', pipeline=TOPDOWN)
    out = ds[5]
    assert out['inputs'].shape == (3, 256, 192)
    s = out['data_samples']
    assert s.gt_fields.heatmaps.shape == (17, 64, 48)
    for k in CONTRACT:
        assert k in s.metainfo, k
    assert s.video_id == '012834_mpii_test' and s.num_frames == 140 and s.ori_shape == (1080,
                                                                                       1920)
    assert s.gt_instances.track_ids.tolist() == [2]


def test_bottomup_pipeline(pt18):
    ds = _ds(pt18, 'annotations/val', data_mode='bottomup', pipeline=BOTTOMUP)
    out = ds[2]
    assert out['inputs'].shape == (3, 256, 256)
    s = out['data_samples']
    assert s.gt_fields.heatmaps.shape == (17, 64, 64)
    assert s.gt_fields.heatmap_mask.shape[-2:] == (64, 64)
    assert s.gt_instances.track_ids.tolist() == list(range(11))
    assert s.video_id == '012834_mpii_test' and s.frame_idx == 0 and s.is_labeled
    assert isinstance(out['inputs'], torch.Tensor)


def test_bbox_file(pt18):
    kw = dict(bbox_file=osp.join(pt18, 'annotations/test_posetrack18_human_detections.json'),
              test_mode=True, pipeline=TOPDOWN_TEST)
    ds = _ds(pt18, 'annotations/test_posetrack18_val.json', **kw)
    assert len(ds) == 278
    # samples in (video, frame) order; one video's samples consecutive
    order = [VIDEOS.index(v) for v in ds.video_ids]
    assert order == sorted(order) and set(order) == {0, 1, 2}
    d = ds.get_data_info(0)
    assert d['track_ids'].tolist() == [-1] and d['video_id'] == VIDEOS[0]
    assert 0 < float(d['bbox_score'][0]) <= 1
    out = ds[0]
    assert out['inputs'].shape == (3, 256, 192)
    for k in CONTRACT:
        assert k in out['data_samples'].metainfo, k
    # score threshold (MMPose's filter_cfg)
    kept = _ds(pt18, 'annotations/val', filter_cfg=dict(bbox_score_thr=0.5), **kw)
    assert 0 < len(kept) < 278 and len(kept.video_ids) == len(kept)


def test_bbox_file_needs_test_mode(pt18):
    with pytest.raises(ValueError, match='test_mode'):
        _ds(pt18, 'annotations/val',
            bbox_file=osp.join(pt18, 'annotations/test_posetrack18_human_detections.json'))


def test_build_from_registry_and_lazy_init(pt18):
    from mmpose.registry import DATASETS
    ds = DATASETS.build(
        dict(type='PoseTrack18FrameDataset', ann_file='annotations/val', data_root=pt18,
             data_prefix=dict(img=''), data_mode='bottomup', test_mode=True, lazy_init=True))
    assert ds.frames == []
    ds.full_init()
    assert len(ds) == 3 and len(ds.frames) == 3
    sub = _ds(pt18, 'annotations/val', test_mode=True, indices=[3, 4])
    assert len(sub) == 2 and sub.video_ids == [VIDEOS[2]] * 2
