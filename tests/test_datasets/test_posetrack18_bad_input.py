"""Bad PoseTrack18 input: each case gives a clear error naming the file and field, or a
documented defined result."""
import copy
import json
import os.path as osp

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmpose_track.datasets.datasets import (PoseTrack18ClipDataset, PoseTrack18FormatError,
                                            PoseTrack18FrameDataset,
                                            PoseTrack18PairDataset, load_posetrack18)


@pytest.fixture(autouse=True)
def _mmpose_scope():
    """Pipelines name MMPose transforms bare, as configs do under default_scope='mmpose'."""
    init_default_scope('mmpose')

K = 17


def _person(img_id, ann_id, track_id, x0=100., y0=100., visible=1):
    kpts = []
    for k in range(K):
        kpts += [x0 + 5 * k, y0 + 7 * k, visible]
    return dict(id=ann_id, image_id=img_id, track_id=track_id, category_id=1,
                bbox=[x0 - 10, y0 - 10, 5 * K + 20, 7 * K + 20],
                bbox_head=[x0, y0 - 30, 20, 25], keypoints=kpts, num_keypoints=K * visible,
                scores=[], iscrowd=False)


def _image(img_id, video, frame, nframes, labeled=True):
    return dict(id=img_id, file_name=f'images/val/{video}/{frame:06d}.jpg', vid_id=video[:6],
                frame_id=img_id, nframes=nframes, is_labeled=labeled, width=640, height=480,
                ignore_regions_x=[[0, 50, 50, 0]], ignore_regions_y=[[0, 0, 40, 40]])


def _video(video='000001_mpii_test', nframes=3, people_per_frame=(2, 0, 1), vid=1):
    imgs, anns = [], []
    for f in range(nframes):
        img_id = 10000000000 + vid * 10000 + f
        n = people_per_frame[f] if f < len(people_per_frame) else 0
        imgs.append(_image(img_id, video, f, nframes, labeled=True))
        for p in range(n):
            anns.append(_person(img_id, img_id * 100 + p, p, x0=100. + 200 * p + 3 * f))
    return dict(images=imgs, annotations=anns, categories=[dict(id=1, name='person')])


def _write(path, obj):
    with open(path, 'w') as f:
        json.dump(obj, f)
    return str(path)


# ----------------------------------------------------------------- files
def test_missing_annotation_file(tmp_path):
    path = str(tmp_path / 'nope.json')
    with pytest.raises(FileNotFoundError, match='nope.json'):
        PoseTrack18FrameDataset(ann_file=path, test_mode=True)


def test_empty_annotation_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match='no \\*.json'):
        load_posetrack18(str(tmp_path))


def test_unreadable_annotation_file(tmp_path, monkeypatch):
    from mmpose_track.structures import posetrack18_format as posetrack18_io
    path = _write(tmp_path / 'a.json', _video())

    def denied(file, *args, **kwargs):  # as for a file without read permission (root reads any)
        raise PermissionError(13, 'Permission denied', file)

    monkeypatch.setattr(posetrack18_io, 'open', denied, raising=False)
    with pytest.raises(OSError, match='cannot read PoseTrack18 annotation file .*a.json'):
        load_posetrack18(path)


def test_annotation_path_is_a_folder_inside_folder(tmp_path):
    # a folder named *.json inside the annotation folder cannot be read
    (tmp_path / 'x.json').mkdir()
    with pytest.raises(OSError, match='x.json'):
        load_posetrack18(str(tmp_path))


def test_malformed_json(tmp_path):
    path = tmp_path / 'bad.json'
    path.write_text('{"images": [ {"id": 1,, } ]}')
    with pytest.raises(ValueError, match=r'bad.json.*line 1 column \d+'):
        PoseTrack18FrameDataset(ann_file=str(path), test_mode=True)


def test_malformed_json_in_folder_names_the_file(tmp_path):
    _write(tmp_path / 'a_ok.json', _video())
    (tmp_path / 'b_bad.json').write_text('[1, 2')
    with pytest.raises(ValueError, match='b_bad.json'):
        load_posetrack18(str(tmp_path))


def test_not_an_object(tmp_path):
    path = _write(tmp_path / 'list.json', [1, 2])
    with pytest.raises(PoseTrack18FormatError, match='list.json.*JSON object'):
        load_posetrack18(path)


# ----------------------------------------------------------------- fields
@pytest.mark.parametrize('field', ['keypoints', 'bbox', 'track_id', 'image_id'])
def test_annotation_missing_required_field(tmp_path, field):
    data = _video()
    del data['annotations'][1][field]
    path = _write(tmp_path / 'a.json', data)
    ann_id = data['annotations'][1]['id']
    with pytest.raises(PoseTrack18FormatError) as e:
        PoseTrack18FrameDataset(ann_file=path, test_mode=True)
    msg = str(e.value)
    assert 'a.json' in msg and f'"{field}"' in msg and str(ann_id) in msg
    if field != 'image_id':
        assert str(data['annotations'][1]['image_id']) in msg


@pytest.mark.parametrize('field', ['id', 'file_name'])
def test_image_missing_required_field(tmp_path, field):
    data = _video()
    del data['images'][2][field]
    path = _write(tmp_path / 'a.json', data)
    with pytest.raises(PoseTrack18FormatError, match=f'a.json.*"{field}"'):
        load_posetrack18(path)


def test_wrong_keypoint_count(tmp_path):
    data = _video()
    data['annotations'][0]['keypoints'] = data['annotations'][0]['keypoints'][:-3]
    path = _write(tmp_path / 'a.json', data)
    with pytest.raises(PoseTrack18FormatError, match='"keypoints" must hold 51 numbers, got 48'):
        load_posetrack18(path)


def test_annotation_of_unknown_image(tmp_path):
    data = _video()
    data['annotations'][0]['image_id'] = 123
    path = _write(tmp_path / 'a.json', data)
    with pytest.raises(PoseTrack18FormatError, match='image id 123.*"image_id"'):
        load_posetrack18(path)


def test_duplicate_image_ids_across_files(tmp_path):
    _write(tmp_path / 'a.json', _video('000001_mpii_test'))
    _write(tmp_path / 'b.json', _video('000002_mpii_test'))  # same ids (vid=1)
    with pytest.raises(PoseTrack18FormatError, match='duplicate image id.*a.json'):
        load_posetrack18(str(tmp_path))


def test_duplicate_frame_in_video(tmp_path):
    data = _video()
    data['images'][1]['file_name'] = data['images'][0]['file_name']
    path = _write(tmp_path / 'a.json', data)
    with pytest.raises(PoseTrack18FormatError, match='both frame 0.*"file_name"'):
        load_posetrack18(path)


def test_ignore_regions_mismatch(tmp_path):
    data = _video()
    data['images'][0]['ignore_regions_y'] = []
    path = _write(tmp_path / 'a.json', data)
    with pytest.raises(PoseTrack18FormatError, match='"ignore_regions_x" has 1 polygons'):
        load_posetrack18(path)


def test_optional_fields_defaults(tmp_path):
    data = _video(people_per_frame=(1, 0, 0))
    for img in data['images']:
        for k in ('nframes', 'is_labeled', 'ignore_regions_x', 'ignore_regions_y', 'width',
                  'height'):
            img.pop(k)
    del data['annotations'][0]['bbox_head']
    path = _write(tmp_path / 'a.json', data)
    ann = load_posetrack18(path)
    assert [f['num_frames'] for f in ann['frames']] == [3, 3, 3]
    # is_labeled defaults to "has annotations"
    assert [f['is_labeled'] for f in ann['frames']] == [True, False, False]
    assert ann['frames'][0]['ignore_regions'] == [] and ann['frames'][0]['ori_shape'] is None
    assert np.all(ann['people'][ann['frames'][0]['img_id']][0]['bbox_head'] == 0)


def test_frame_idx_from_position_when_stem_not_numeric(tmp_path):
    data = _video(people_per_frame=(0, 0, 0))
    for img, name in zip(data['images'], ['c', 'a', 'b']):
        img['file_name'] = f'vid/{name}.jpg'
    ann = load_posetrack18(_write(tmp_path / 'a.json', data))
    assert [f['frame_idx'] for f in ann['frames']] == [0, 1, 2]
    assert [f['img_id'] for f in ann['frames']] == sorted(i['id'] for i in data['images'])


# ----------------------------------------------------------------- detections
def test_bad_detection_file(tmp_path):
    path = _write(tmp_path / 'a.json', _video())
    with pytest.raises(FileNotFoundError, match='dets.json'):
        PoseTrack18FrameDataset(
            ann_file=path, bbox_file=str(tmp_path / 'dets.json'), test_mode=True)
    dets = _write(tmp_path / 'dets.json', [dict(image_id=10000010000, bbox=[0, 0, 10, 10])])
    with pytest.raises(PoseTrack18FormatError, match=r'dets.json: detection \[0\].*"score"'):
        PoseTrack18FrameDataset(ann_file=path, bbox_file=dets, test_mode=True)
    dets = _write(tmp_path / 'dets.json', [dict(image_id=7, bbox=[0, 0, 10, 10], score=1.)])
    with pytest.raises(PoseTrack18FormatError, match='"image_id" \\(7\\)'):
        PoseTrack18FrameDataset(ann_file=path, bbox_file=dets, test_mode=True)


# ----------------------------------------------------------------- images
def test_missing_image(tmp_path):
    path = _write(tmp_path / 'a.json', _video())
    img_dir = str(tmp_path / 'root')
    # checked at load time when asked (names path, image id, field and annotation file)
    with pytest.raises(FileNotFoundError, match=r'000000.jpg.*"file_name".*image id'):
        PoseTrack18FrameDataset(ann_file=path, data_prefix=dict(img=img_dir), test_mode=True,
                                check_images=True)
    # otherwise when the image is loaded, by MMPose's LoadImage with the path
    ds = PoseTrack18FrameDataset(ann_file=path, data_prefix=dict(img=img_dir), test_mode=True,
                                 pipeline=[dict(type='LoadImage')])
    with pytest.raises(Exception, match=osp.join(img_dir, 'images/val/000001_mpii_test')):
        ds[0]


# ----------------------------------------------------------------- defined results
def test_frame_with_zero_people(tmp_path):
    path = _write(tmp_path / 'a.json', _video(people_per_frame=(2, 0, 1)))
    # bottom-up test: every frame kept, empty arrays for the empty one
    ds = PoseTrack18FrameDataset(ann_file=path, data_mode='bottomup', test_mode=True)
    assert len(ds) == 3
    empty = ds.get_data_info(1)
    assert empty['frame_idx'] == 1 and empty['keypoints'].shape == (0, K, 2)
    assert empty['bbox'].shape == (0, 4) and empty['track_ids'].shape == (0, )
    # bottom-up training: dropped (no person with a visible keypoint)
    ds = PoseTrack18FrameDataset(ann_file=path, data_mode='bottomup')
    assert [ds.get_data_info(i)['frame_idx'] for i in range(len(ds))] == [0, 2]
    # top-down: no sample, but the frame stays in `frames`
    ds = PoseTrack18FrameDataset(ann_file=path, test_mode=True)
    assert len(ds) == 3 and [f['frame_idx'] for f in ds.frames] == [0, 1, 2]


def test_person_without_visible_keypoint(tmp_path):
    data = _video(people_per_frame=(2, 0, 0))
    ann = data['annotations'][1]
    ann['keypoints'] = [0] * (3 * K)
    ann['num_keypoints'] = 0
    path = _write(tmp_path / 'a.json', data)
    for test_mode in (False, True):
        # top-down: dropped (MMPose's filter) in training and testing
        ds = PoseTrack18FrameDataset(ann_file=path, test_mode=test_mode)
        assert len(ds) == 1 and ds.get_data_info(0)['track_ids'].tolist() == [0]
        # bottom-up: kept in its frame, invisible
        ds = PoseTrack18FrameDataset(ann_file=path, data_mode='bottomup', test_mode=test_mode)
        info = ds.get_data_info(0)
        assert info['track_ids'].tolist() == [0, 1]
        assert info['keypoints_visible'][1].sum() == 0
    # a frame whose only person has no visible keypoint is dropped from bottom-up training
    data['annotations'] = [ann]
    path = _write(tmp_path / 'b.json', data)
    assert len(PoseTrack18FrameDataset(ann_file=path, data_mode='bottomup')) == 0
    assert len(PoseTrack18FrameDataset(ann_file=path, data_mode='bottomup', test_mode=True)) == 3


def test_video_of_one_frame(tmp_path):
    data = _video(nframes=1, people_per_frame=(2, ))
    path = _write(tmp_path / 'a.json', data)
    pairs = PoseTrack18PairDataset(ann_file=path, frame_range=3)
    assert len(pairs) == 1
    info = pairs.get_data_info(0)
    assert info['frame_offset'] == 0
    assert [f['img_id'] for f in info['frames']] == [data['images'][0]['id']] * 2
    clips = PoseTrack18ClipDataset(ann_file=path, clip_len=5)
    assert len(clips) == 2
    info = clips.get_data_info(0)
    assert info['clip_frame_idx'] == [0] * 5
    kp = [f['keypoints'] for f in info['frames']]
    assert all(np.array_equal(k, kp[2]) for k in kp)  # replicated key frame
    frame = copy.deepcopy(info['frames'][0])
    assert frame['img_id'] == data['images'][0]['id'] and 'flip_indices' in frame
