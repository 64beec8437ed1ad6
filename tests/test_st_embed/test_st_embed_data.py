"""ST-Embed training data (configs/_base_/datasets/st_embed_bottomup.py) on the real files.

- COCO -> PoseTrack18 layout through MMPose's ``KeypointConverter``: the mapping is the one the
  joint names of the two metainfo files imply; converted people equal the raw COCO annotations
  (read here with ``json``) at the mapped slots, hand-checked on one person; PoseTrack18 slots 1
  (head_bottom) and 2 (head_top) are empty.
- ``CombinedDataset`` of COCO and PoseTrack18 yields both sources with PoseTrack18's metainfo,
  through the full training pipeline (COCO people draw no head_bottom / head_top heatmap).
- the supplementary's augmentation ranges are the transforms' arguments (documented mapping).
- the pair pipeline draws the same augmentation for both frames of a pair.
- the tiny test pipeline's input size for the 320x240 synthetic frames (hand-derived).
"""
import copy
import json
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from mmpose.registry import DATASETS

import mmpose_track.register_all  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DATA_CFG = osp.join(REPO, 'configs', '_base_', 'datasets', 'st_embed_bottomup.py')
TINY_S1 = osp.join(REPO, 'configs', 'st_embed', 'tiny',
                   'st-embed-s1_spatialnet-hg1-tiny_synthetic-128x128.py')
MIM_DATASETS = osp.join(osp.dirname(__import__('mmpose').__file__), '.mim', 'configs', '_base_',
                        'datasets')
# PoseTrack18's flip pairs (left/right ears, shoulders, ..., ankles) in its 17-joint order
POSETRACK18_FLIP = [0, 1, 2, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]


@pytest.fixture(scope='module')
def cfg():
    init_default_scope('mmpose')
    return Config.fromfile(DATA_CFG)


def _coco_cfg(cfg, shared_data, pipeline=None):
    coco = copy.deepcopy(cfg.coco_train_dataset)
    coco.update(data_root=osp.join(shared_data, 'coco') + '/', ann_file='test_coco.json',
                data_prefix=dict(img=''))
    if pipeline is not None:
        coco['pipeline'] = pipeline
    return coco


def _posetrack_cfg(cfg, shared_data):
    pt = copy.deepcopy(cfg.posetrack18_train_dataset)
    pt.update(data_root=osp.join(shared_data, 'posetrack18') + '/',
              ann_file='annotations/test_posetrack18_val.json')
    return pt


def _names(metainfo_file):
    info = Config.fromfile(osp.join(MIM_DATASETS, metainfo_file)).dataset_info['keypoint_info']
    return {v['name']: k for k, v in info.items()}


def test_mapping_follows_the_joint_names(cfg):
    coco, pt18 = _names('coco.py'), _names('posetrack18.py')
    expected = sorted((coco[n], pt18[n]) for n in coco.keys() & pt18.keys())
    assert sorted(map(tuple, cfg.coco_to_posetrack18)) == expected
    # COCO's eyes have no PoseTrack18 joint; PoseTrack18's head_bottom / head_top no COCO one
    assert set(coco) - set(pt18) == {'left_eye', 'right_eye'}
    assert {pt18[n] for n in set(pt18) - set(coco)} == {1, 2}


def test_converted_coco_people_equal_the_raw_annotations(cfg, shared_data):
    raw = json.load(open(osp.join(shared_data, 'coco', 'test_coco.json')))
    by_id = {a['id']: np.array(a['keypoints'], np.float64).reshape(17, 3)
             for a in raw['annotations']}
    ds = DATASETS.build(_coco_cfg(cfg, shared_data))
    src, dst = np.array(cfg.coco_to_posetrack18).T
    people = 0
    for i in range(len(ds)):
        out = ds[i]
        kpts, vis = out['keypoints'], out['keypoints_visible']
        assert kpts.shape[1:] == (17, 2) and vis.shape[1:] == (17, 2)  # [visible, weight]
        for n, ann_id in enumerate(out['id']):
            coco = by_id[ann_id]
            np.testing.assert_array_equal(kpts[n, dst], coco[src, :2])
            np.testing.assert_array_equal(vis[n, dst, 0], np.minimum(coco[src, 2], 1))
            np.testing.assert_array_equal(vis[n, [1, 2], 0], 0)  # head_bottom, head_top
            np.testing.assert_array_equal(kpts[n, [1, 2]], 0)
            people += 1
    assert people == len(raw['annotations']) == 14

    # by hand, the person of image 785 (annotation 442619): COCO's 17 (x, y) in order
    # nose, l_eye, r_eye, l_ear, r_ear, l_sho, r_sho, l_elb, r_elb, l_wri, r_wri, l_hip, r_hip,
    # l_knee, r_knee, l_ank, r_ank = (367,81) (374,73) (360,75) (386,78) (356,81) (399,108)
    # (358,129) (433,142) (341,159) (449,165) (309,178) (424,203) (393,214) (429,294) (367,273)
    # (466,362) (396,341), all visible
    out = next(ds[i] for i in range(len(ds)) if ds[i]['img_id'] == 785)
    assert list(out['id']) == [442619]
    expected = np.array([[367, 81], [0, 0], [0, 0], [386, 78], [356, 81], [399, 108], [358, 129],
                         [433, 142], [341, 159], [449, 165], [309, 178], [424, 203], [393, 214],
                         [429, 294], [367, 273], [466, 362], [396, 341]], np.float64)
    np.testing.assert_array_equal(out['keypoints'][0], expected)
    np.testing.assert_array_equal(out['keypoints_visible'][0, :, 0],
                                  [1, 0, 0] + [1] * 14)


def test_combined_dataset_yields_both_sources_in_posetrack18_layout(cfg, shared_data):
    mix = copy.deepcopy(cfg.mixture_train_set)
    mix['datasets'] = [_coco_cfg(cfg, shared_data), _posetrack_cfg(cfg, shared_data)]
    ds = DATASETS.build(mix)
    coco_frames = 4  # the 4 images of test_coco.json, all with people
    pt_frames = len(DATASETS.build(_posetrack_cfg(cfg, shared_data)))
    assert ds.lens == [coco_frames, pt_frames] and pt_frames > 0
    assert ds.metainfo['num_keypoints'] == 17
    assert ds.metainfo['dataset_name'] == 'posetrack18'
    assert list(ds.metainfo['flip_indices']) == POSETRACK18_FLIP

    sources = set()
    np.random.seed(0)  # the augmentation draws
    for i in range(len(ds)):
        info = ds.get_data_info(i)  # before the combined pipeline: PoseTrack18 metainfo
        assert list(info['flip_indices']) == POSETRACK18_FLIP
        assert info['keypoints'].shape[1:] == (17, 2)
        sample = ds[i]['data_samples']  # through the full training pipeline
        name = sample.metainfo['dataset_name']
        sources.add(name)
        assert list(sample.metainfo['flip_indices']) == POSETRACK18_FLIP
        heatmaps = np.asarray(sample.gt_fields.heatmaps)
        assert heatmaps.shape == (17, 128, 128)
        if name == 'coco':  # no COCO person has a head_bottom or head_top to draw
            assert heatmaps[[1, 2]].max() == 0
            # the other joints are drawn: a Gaussian peaks at 1 on its joint's pixel
            assert np.delete(heatmaps, [1, 2], axis=0).max() == pytest.approx(1.0)
        else:
            assert 'track_ids' in sample.gt_instances
    assert sources == {'coco', 'posetrack18'}


def test_augmentation_is_the_supplementary_s(cfg):
    """Supplementary Sec. 2.1 ranges -> transform arguments (mapping documented in the config)."""
    photo = cfg.photometric_distortion
    assert photo.type == 'PhotometricDistortion'
    assert tuple(photo.contrast_range) == (0.5, 1.5)      # x[0.5, 1.5], as printed
    assert tuple(photo.saturation_range) == (0.5, 1.5)    # x[0.5, 1.5], as printed
    assert photo.brightness_delta == round(0.3 * 127.5)   # x[0.7, 1.3] at mid-grey
    assert photo.hue_delta == round(0.2 * 180 / 2)        # x[0.8, 1.2] of OpenCV's half hue range
    affine = cfg.random_affine
    assert affine.rotate_factor == 30 and tuple(affine.scale_factor) == (0.75, 1.25)
    assert tuple(affine.input_size) == (512, 512)
    types = [t['type'] for t in cfg.train_pipeline]
    assert types == ['LoadImage', 'PhotometricDistortion', 'BottomupRandomAffine', 'RandomFlip',
                     'GenerateTarget', 'BottomupGetHeatmapMask', 'PackPoseTrackInputs']
    assert cfg.codec.input_size == (512, 512) and cfg.codec.heatmap_size == (128, 128)
    assert cfg.codec.sigma == 2


def test_pair_pipeline_draws_one_augmentation_for_both_frames(cfg, shared_data):
    pair = copy.deepcopy(cfg.pair_train_set)
    pair.update(data_root=osp.join(shared_data, 'posetrack18') + '/',
                ann_file='annotations/test_posetrack18_val.json', pipeline=[])
    ds = DATASETS.build(pair)
    assert ds.frame_range == 5
    # the pipeline up to (not including) the packer, to see the per-frame results
    pipeline = Compose(cfg.pair_train_pipeline[:-1])
    np.random.seed(0)
    for i in range(len(ds)):
        out = pipeline(ds.get_data_info(i))
        key, ref = out['frames']
        assert key['img'].shape == ref['img'].shape == (512, 512, 3)
        np.testing.assert_array_equal(key['warp_mat'], ref['warp_mat'])
        assert key['flip'] == ref['flip']
        # the TVF targets are there, one row per person of each frame
        assert key['temporal_vectors'].shape == (len(key['track_ids']), 17, 2)
        assert ref['temporal_vectors'].shape == (len(ref['track_ids']), 17, 2)


def test_tiny_test_frames_keep_their_aspect(tiny_synthetic):
    """BottomupResize 'expand' at 256 with size factor 32 on 320x240 frames: short side
    240 -> 256, long side 320 * 256 / 240 = 341.3 -> rounded up to 352; so one val batch holds
    frames of one size (tiny val batch size 8)."""
    init_default_scope('mmpose')
    tiny = Config.fromfile(TINY_S1)
    val = copy.deepcopy(tiny.val_dataloader.dataset)
    val.update(data_root=tiny_synthetic, generate_if_missing=None)
    ds = DATASETS.build(val)
    out = ds[0]
    assert tuple(out['inputs'].shape) == (3, 256, 352)
    meta = out['data_samples'].metainfo
    assert tuple(meta['ori_shape']) == (240, 320)
    assert tiny.val_dataloader.batch_size > 1
