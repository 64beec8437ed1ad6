"""Pairs and clips on the 5 real frames of videos/000001_mpiinew_test (annotation written here),
and the same augmentation for every frame (ApplyToFrames)."""
import json
import os
import os.path as osp
import random

import numpy as np
import pytest
from mmengine.registry import init_default_scope
import torch

from mmpose_track.datasets.datasets import (PoseTrack18ClipDataset, PoseTrack18PairDataset,
                                            clip_frame_indices)
from mmpose_track.datasets.transforms import ApplyToFrames
from mmpose_track.structures import PoseTrackDataSample


@pytest.fixture(autouse=True)
def _mmpose_scope():
    """Pipelines name MMPose transforms bare, as configs do under default_scope='mmpose'."""
    init_default_scope('mmpose')

K = 17
VIDEO = '000001_mpiinew_test'
LABELED = [0, 1, 3, 4]  # frame 2 is unlabeled
CODEC = dict(type='MSRAHeatmap', input_size=(192, 256), heatmap_size=(48, 64), sigma=2)
BU_CODEC = dict(type='AssociativeEmbedding', input_size=(256, 256), heatmap_size=(64, 64),
                sigma=2)
TOPDOWN_FRAME = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', rotate_prob=0.9),
    dict(type='TopdownAffine', input_size=CODEC['input_size']),
    dict(type='GenerateTarget', encoder=CODEC),
]
BOTTOMUP_FRAME = [
    dict(type='LoadImage'),
    dict(type='BottomupRandomAffine', input_size=BU_CODEC['input_size']),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='GenerateTarget', encoder=BU_CODEC),
    dict(type='BottomupGetHeatmapMask'),
]


def _pose(x0, y0):
    # a standing person: 17 keypoints around (x0, y0), all visible
    offs = [(0, 0), (0, 12), (0, -25), (-8, 2), (8, 2), (-20, 30), (20, 30), (-28, 65),
            (28, 65), (-30, 100), (30, 100), (-12, 105), (12, 105), (-14, 160), (14, 160),
            (-15, 215), (15, 215)]
    kpts = []
    for dx, dy in offs:
        kpts += [x0 + dx, y0 + dy, 1]
    return kpts


def _annotation(file_names, labeled, people_of):
    images, anns = [], []
    for f, name in enumerate(file_names):
        img_id = 10000010000 + f
        images.append(dict(id=img_id, file_name=name, frame_id=img_id, vid_id='000001',
                           nframes=len(file_names), is_labeled=f in labeled, width=1280,
                           height=720, ignore_regions_x=[], ignore_regions_y=[]))
        if f not in labeled:
            continue
        for track, (x0, y0) in enumerate(people_of(f)):
            anns.append(dict(id=img_id * 100 + track, image_id=img_id, track_id=track,
                             category_id=1, bbox=[x0 - 45, y0 - 40, 90, 265],
                             bbox_head=[x0 - 12, y0 - 35, 24, 40], keypoints=_pose(x0, y0),
                             scores=[], num_keypoints=K))
    return dict(images=images, annotations=anns, categories=[dict(id=1, name='person')])


@pytest.fixture(scope='module')
def real_clip(shared_data, tmp_path_factory):
    """5 consecutive real frames, 2 people moving right by 4 px per frame; frame 2 unlabeled."""
    root = osp.join(shared_data, 'posetrack18') + '/'
    names = [f'videos/{VIDEO}/{f:06d}.jpg' for f in range(5)]
    assert all(osp.exists(root + n) for n in names)
    ann = _annotation(names, LABELED, lambda f: [(400 + 4 * f, 250), (800 + 4 * f, 260)])
    path = tmp_path_factory.mktemp('pt18_clip') / 'ann.json'
    path.write_text(json.dumps(ann))
    return dict(ann_file=str(path), data_prefix=dict(img=root))


@pytest.fixture(scope='module')
def same_image_video(shared_data, tmp_path_factory):
    """A 2-frame video whose frames are the same real image with the same people."""
    d = tmp_path_factory.mktemp('pt18_same')
    os.makedirs(d / 'same_video')
    src = osp.join(shared_data, 'posetrack18', 'videos', VIDEO, '000000.jpg')
    for f in range(2):
        os.symlink(src, d / 'same_video' / f'{f:06d}.jpg')
    names = [f'same_video/{f:06d}.jpg' for f in range(2)]
    ann = _annotation(names, [0, 1], lambda f: [(400, 250), (800, 260)])
    (d / 'ann.json').write_text(json.dumps(ann))
    return dict(ann_file=str(d / 'ann.json'), data_prefix=dict(img=str(d)))


# ------------------------------------------------------------------ pairs
def test_pairs_stay_in_window(real_clip):
    for k, expected in [(1, {0: {1}, 1: {0}, 3: {4}, 4: {3}}),
                        (2, {0: {1}, 1: {0, 3}, 3: {1, 4}, 4: {3}})]:
        ds = PoseTrack18PairDataset(frame_range=k, **real_clip)
        assert len(ds) == 4 and ds.video_ids == [VIDEO] * 4
        seen = {}
        np.random.seed(0)
        for _ in range(20):
            for i in range(len(ds)):
                info = ds.get_data_info(i)
                key, ref = info['frames']
                assert key['video_id'] == ref['video_id'] == VIDEO and ref['is_labeled']
                assert info['frame_offset'] == ref['frame_idx'] - key['frame_idx']
                assert 0 < abs(info['frame_offset']) <= k
                seen.setdefault(key['frame_idx'], set()).add(ref['frame_idx'])
                assert key['track_ids'].tolist() == ref['track_ids'].tolist() == [0, 1]
        assert seen == expected


def test_pairs_window_zero_and_test_mode(real_clip):
    ds = PoseTrack18PairDataset(frame_range=0, **real_clip)
    info = ds.get_data_info(1)
    assert info['frame_offset'] == 0 and info['frames'][1]['img_id'] == info['img_id']
    ds = PoseTrack18PairDataset(frame_range=3, test_mode=True, **real_clip)
    a = [ds.get_data_info(i)['frame_offset'] for i in range(len(ds))]
    b = [ds.get_data_info(i)['frame_offset'] for i in range(len(ds))]
    assert a == b


def test_pairs_reject_topdown(real_clip):
    with pytest.raises(ValueError, match='bottomup'):
        PoseTrack18PairDataset(data_mode='topdown', **real_clip)


def test_pair_pipeline(real_clip):
    ds = PoseTrack18PairDataset(
        frame_range=1, **real_clip,
        pipeline=[dict(type='ApplyToFrames', transforms=BOTTOMUP_FRAME),
                  dict(type='PackMultiFramePoseInputs')])
    out = ds[1]
    assert out['inputs'].shape == (2, 3, 256, 256)
    s = out['data_samples']
    assert isinstance(s, PoseTrackDataSample) and len(s) == 2
    assert s.key_frames_inds == [0] and s.ref_frames_inds == [1]
    assert s.video_id == VIDEO and s.frame_idx == 1 and s.frame_offset == -1
    key, ref = s.video_data_samples
    assert key.frame_idx == 1 and ref.frame_idx == 0 and ref.num_frames == 5
    assert key.gt_instances.track_ids.tolist() == ref.gt_instances.track_ids.tolist() == [0, 1]
    assert key.gt_fields.heatmaps.shape == (17, 64, 64)
    assert key.flip == ref.flip


# ------------------------------------------------------------------ clips
def test_clip_frame_indices():
    assert clip_frame_indices(0, 5, 5, range(5)) == [0, 0, 0, 1, 2]
    assert clip_frame_indices(4, 5, 5, range(5)) == [2, 3, 4, 4, 4]
    assert clip_frame_indices(2, 4, 5, range(5)) == [0, 1, 2, 3]
    assert clip_frame_indices(0, 3, 1, [0]) == [0, 0, 0]
    # frames missing from the file: nearest listed one towards the key frame
    assert clip_frame_indices(5, 5, 10, [0, 5, 6, 9]) == [5, 5, 5, 6, 6]


def test_clips(real_clip):
    ds = PoseTrack18ClipDataset(clip_len=3, enlarge=1.5, **real_clip)
    assert len(ds) == 8  # 2 people in each of the 4 labeled frames
    assert ds.video_ids == [VIDEO] * 8
    info = ds.get_data_info(2)  # key frame 1, track 0
    assert info['frame_idx'] == 1 and info['track_id'] == 0
    assert info['clip_frame_idx'] == [0, 1, 2] and info['key_frame_index'] == 1
    key_box = info['key_bbox'][0]
    np.testing.assert_allclose(key_box, [359, 210, 449, 475])
    np.testing.assert_allclose(info['bbox'][0], [336.5, 143.75, 471.5, 541.25])
    f0, f1, f2 = info['frames']
    for f in (f0, f1, f2):  # same crop for every frame
        np.testing.assert_array_equal(f['bbox'], info['bbox'])
    assert [f['img_id'] for f in (f0, f1, f2)] == [10000010000, 10000010001, 10000010002]
    assert [f['is_labeled'] for f in (f0, f1, f2)] == [True, True, False]
    # keypoints of the same track in each labeled frame, none in the unlabeled one
    np.testing.assert_allclose(f0['keypoints'][0, 0], [400, 250])
    np.testing.assert_allclose(f1['keypoints'][0, 0], [404, 250])
    assert f2['keypoints_visible'].sum() == 0 and f1['keypoints_visible'].sum() == K
    assert 'raw_ann_info' in f1 and 'raw_ann_info' not in f0


def test_clip_pipeline(real_clip):
    ds = PoseTrack18ClipDataset(
        clip_len=3, **real_clip,
        pipeline=[dict(type='ApplyToFrames', transforms=TOPDOWN_FRAME),
                  dict(type='PackMultiFramePoseInputs')])
    out = ds[0]
    assert out['inputs'].shape == (3, 3, 256, 192)
    s = out['data_samples']
    assert s.key_frames_inds == [1] and s.ref_frames_inds == [0, 2]
    assert s.clip_frame_idx == [0, 0, 1] and s.track_id == 0
    frames = s.video_data_samples
    for f in frames[1:]:
        np.testing.assert_array_equal(f.input_center, frames[0].input_center)
        np.testing.assert_array_equal(f.input_scale, frames[0].input_scale)
        assert f.flip == frames[0].flip
    assert [f.frame_idx for f in frames] == [0, 0, 1]
    assert all(f.video_id == VIDEO and f.num_frames == 5 for f in frames)


def test_clip_on_real_files_without_neighbours(shared_data):
    root = osp.join(shared_data, 'posetrack18') + '/'
    ds = PoseTrack18ClipDataset(clip_len=3, ann_file=root + 'annotations/val',
                                data_prefix=dict(img=root), test_mode=True)
    assert len(ds) == 14
    assert all(ds.get_data_info(i)['clip_frame_idx'] == [0, 0, 0] for i in range(len(ds)))
    det = PoseTrack18ClipDataset(
        clip_len=3, ann_file=root + 'annotations/val', data_prefix=dict(img=root),
        bbox_file=root + 'annotations/test_posetrack18_human_detections.json', test_mode=True)
    assert len(det) == 278 and det.get_data_info(0)['track_id'] == -1


# --------------------------------------------------- same augmentation for every frame
def _run(ds, idx, seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return ds[idx]


@pytest.mark.parametrize('kind', ['clip', 'pair'])
def test_same_augmentation_on_every_frame(same_image_video, kind):
    if kind == 'clip':
        make = lambda share: PoseTrack18ClipDataset(  # noqa: E731
            clip_len=2, **same_image_video, pipeline=[
                dict(type='ApplyToFrames', transforms=TOPDOWN_FRAME + [
                    dict(type='PhotometricDistortion')], share_random_state=share),
                dict(type='PackMultiFramePoseInputs')])
    else:
        make = lambda share: PoseTrack18PairDataset(  # noqa: E731
            frame_range=1, **same_image_video, pipeline=[
                dict(type='ApplyToFrames', transforms=BOTTOMUP_FRAME,
                     share_random_state=share),
                dict(type='PackMultiFramePoseInputs')])
    shared, independent = make(True), make(False)
    idx = 2 if kind == 'clip' else 1  # key frame 1, reference / previous frame 0
    flips, differ = set(), False
    for seed in range(6):
        out = _run(shared, idx, seed)
        a, b = out['data_samples'].video_data_samples
        assert a.img_id != b.img_id  # two frames (the same picture)
        torch.testing.assert_close(out['inputs'][0], out['inputs'][1], rtol=0, atol=0)
        torch.testing.assert_close(a.gt_fields.heatmaps, b.gt_fields.heatmaps, rtol=0, atol=0)
        flips.add(bool(a.flip))
        ind = _run(independent, idx, seed)['inputs']
        differ |= not torch.equal(ind[0], ind[1])
    assert flips == {True, False}  # the random flip did fire and did not
    assert differ  # without replaying the state the frames differ: the check is meaningful


def test_apply_to_frames_errors():
    t = ApplyToFrames(transforms=[])
    with pytest.raises(KeyError, match='frames'):
        t(dict(img_id=1))
    none = ApplyToFrames(transforms=[lambda r: None if r['i'] == 1 else r])
    assert none(dict(frames=[dict(i=0), dict(i=1)])) is None


def test_tubes_of_detections_every_s_frames_and_leaving_the_image(real_clip, tmp_path):
    """Test-time tubes: one per detection of every S-th frame; a box at the image border gives a
    tube that leaves the image (not clipped: the crop is padded with zeros there)."""
    # 1280 x 720 frames; a box reaching the right border, one in the middle, per frame
    dets = []
    for f in range(5):
        dets.append(dict(image_id=10000010000 + f, category_id=1, bbox=[1200, 300, 80, 200],
                         score=0.9))
        dets.append(dict(image_id=10000010000 + f, category_id=1, bbox=[400, 210, 90, 265],
                         score=0.8))
    det_file = tmp_path / 'dets.json'
    det_file.write_text(json.dumps(dets))
    frame = [dict(type='LoadImage'), dict(type='GetBBoxCenterScale', padding=1.0),
             dict(type='TopdownAffine', input_size=(96, 128))]
    for step, keys in ((1, [0, 1, 2, 3, 4]), (2, [0, 2, 4]), (4, [0, 4])):
        ds = PoseTrack18ClipDataset(
            clip_len=3, keyframe_step=step, bbox_file=str(det_file), test_mode=True, **real_clip,
            pipeline=[dict(type='ApplyToFrames', transforms=frame),
                      dict(type='PackMultiFramePoseInputs')])
        assert [ds.get_data_info(i)['frame_idx'] for i in range(len(ds))] == \
            [k for k in keys for _ in range(2)]
    info = ds.get_data_info(0)
    # enlarged 1.25x about the centre (1240, 400): 100 x 250, past the right border at 1280
    np.testing.assert_allclose(info['bbox'][0], [1190, 275, 1290, 525])
    np.testing.assert_allclose(info['key_bbox'][0], [1200, 300, 1280, 500])
    out = ds[0]
    assert out['inputs'].shape == (3, 3, 128, 96)
    # TopdownAffine widens the 100 x 250 box to the 3:4 input (187.5 x 250, x 1146.25..1333.75);
    # x = 1280 falls at column (1280 - 1146.25) / 187.5 * 96 = 68.5: the columns past it are
    # padding (zeros), those before it image
    assert (out['inputs'][:, :, :, 69:] == 0).all()
    assert (out['inputs'][:, :, :, :68].float().std(dim=(0, 1, 2)) > 0).all()
    with pytest.raises(ValueError, match='keyframe_step must be an integer >= 1'):
        PoseTrack18ClipDataset(clip_len=3, keyframe_step=0, **real_clip)
