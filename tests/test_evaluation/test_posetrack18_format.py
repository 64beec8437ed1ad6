"""``mmpose_track.structures.posetrack18_format``: constants, the frame-index rule, the
ignore-region parser and the JSON reader shared by datasets, tools and the evaluation."""
import json
import os
import os.path as osp
import subprocess
import sys
import warnings

import numpy as np
import pytest

from mmpose_track.structures import posetrack18_format as P
from mmpose_track.structures.posetrack18_format import (PoseTrackFormatError, frame_index,
                                                        frame_indices, frame_number,
                                                        parse_ignore_regions, read_json,
                                                        video_name)
from .pt_helpers import ROOT


# ------------------------------------------------------------------ constants
def _mmpose_posetrack18_metainfo():
    import mmpose
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    path = osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs', '_base_', 'datasets',
                    'posetrack18.py')
    assert osp.exists(path), f'the pinned MMPose wheel ships its configs; {path} is missing'
    return parse_pose_metainfo(dict(from_file=path))


def test_constants_equal_mmpose_metainfo():
    meta = _mmpose_posetrack18_metainfo()
    names = tuple(meta['keypoint_id2name'][i] for i in range(meta['num_keypoints']))
    assert P.POSETRACK18_KEYPOINT_NAMES == names and P.NUM_KEYPOINTS == len(names) == 17
    assert list(P.POSETRACK18_FLIP_INDICES) == list(meta['flip_indices'])
    np.testing.assert_array_equal(P.POSETRACK18_SIGMAS.astype(np.float32), meta['sigmas'])  # f32


def test_constants_derived_from_names():
    names = P.POSETRACK18_KEYPOINT_NAMES

    def mirror(n):
        return n.replace('left_', 'R_').replace('right_', 'left_').replace('R_', 'right_')
    assert P.POSETRACK18_FLIP_INDICES == tuple(names.index(mirror(n)) for n in names)
    assert tuple(names[i] for i in P.COCO17_TO_POSEVAL) == P.POSEVAL_JOINTS
    assert P.NUM_POSEVAL_JOINTS == len(P.POSEVAL_JOINTS) == 15
    assert set(names) - set(P.POSEVAL_JOINTS) == {'left_ear', 'right_ear'}
    # groups: every poseval joint once; left/right pairs of one body part
    flat = sorted(j for g in P.POSEVAL_JOINT_GROUPS.values() for j in g)
    assert flat == list(range(15))
    for g, idx in P.POSEVAL_JOINT_GROUPS.items():
        parts = {P.POSEVAL_JOINTS[j].split('_')[-1] for j in idx}
        assert g == 'Head' or len(parts) == 1, g
    assert P.POSETRACK18_SKELETON_LINKS == tuple((a - 1, b - 1) for a, b in P.POSETRACK18_SKELETON)
    assert P.POSETRACK18_COCO_NAMES is P.POSETRACK18_KEYPOINT_NAMES
    assert P.MAX_TRACK_ID == 10000 and P.MIN_SCORE == -9999


def test_importable_without_torch_and_mmpose():
    code = ('import sys\n'
            'for m in ("torch", "mmengine", "mmpose", "mmcv", "mmdet"): sys.modules[m] = None\n'
            'import mmpose_track.structures.posetrack18_format, mmpose_track.structures.polygon\n'
            'import mmpose_track.evaluation.functional\n'
            'print("ok")')
    run = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert run.returncode == 0 and run.stdout.strip() == 'ok', run.stderr


# ------------------------------------------------------------------ frame index
@pytest.mark.parametrize('name, number', [
    ('images/val/009473_mpii_test/000042.jpg', 42), ('000000.jpg', 0), ('frame_7.png', 7),
    ('a\\b\\000003.jpg', 3), ('vid/img0012', 12), ('vid/0012b.jpg', None), ('vid/a.jpg', None),
    ('', None), (None, None), (17, None)])
def test_frame_number(name, number):
    assert frame_number(name) == number


def test_frame_index_rule():
    assert frame_index('images/val/v/000042.jpg', position=3) == 42  # the number wins
    assert frame_index('images/val/v/first.jpg', position=3) == 3
    with pytest.raises(PoseTrackFormatError, match="'v/first.jpg'.*no frame number"):
        frame_index('v/first.jpg')


def test_frame_indices_of_a_video():
    assert frame_indices(['v/000007.jpg', 'v/000005.jpg', 'v/000006.jpg']) == [7, 5, 6]
    # one name without a number: positions for all, never a mix
    assert frame_indices(['v/000007.jpg', 'v/b.jpg', 'v/000006.jpg']) == [0, 1, 2]
    assert frame_indices([]) == []
    with pytest.raises(PoseTrackFormatError,
                       match=r"f.json: image id 1 and image id 3 are both frame 5 .*\"file_name\""):
        frame_indices(['v/000005.jpg', 'v/000006.jpg', 'w/5.jpg'],
                      ['image id 1', 'image id 2', 'image id 3'], 'f.json')


def test_video_name():
    assert video_name('images/val/009473_mpii_test/000000.jpg') == '009473_mpii_test'
    assert video_name('000000.jpg') == ''
    assert video_name('a\\b\\c.jpg') == 'b'


# ------------------------------------------------------------------ ignore regions
def test_ignore_regions():
    img = dict(ignore_regions_x=[[0, 10, 10], [1, 2]], ignore_regions_y=[[0, 0, 10], [1, 2]])
    with pytest.warns(UserWarning, match=r'frame 3: field "ignore_regions_x/y\[1\]": polygon '
                                         'with 2 vertices'):
        polys, has = parse_ignore_regions(img, 'frame 3')
    assert has and len(polys) == 1 and polys[0].dtype == np.float64
    np.testing.assert_array_equal(polys[0], [[0, 0], [10, 0], [10, 10]])
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert parse_ignore_regions({}) == ([], False)
        assert parse_ignore_regions(dict(ignore_regions_x=[], ignore_regions_y=[])) == ([], False)
        assert parse_ignore_regions(dict(ignore_regions_x=None, ignore_regions_y=None)) == \
            ([], False)


@pytest.mark.parametrize('img, msg', [
    (dict(ignore_regions_x=[[0, 1, 2]], ignore_regions_y=[]),
     r'"ignore_regions_x" has 1 polygons, "ignore_regions_y" 0 polygons'),
    (dict(ignore_regions_x=[[0, 1, 2]]), r'"ignore_regions_y" \'NoneType\''),
    (dict(ignore_regions_x=[[0, 1, 2]], ignore_regions_y=[[0, 1]]),
     r'"ignore_regions_x\[0\]" has 3 numbers, "ignore_regions_y\[0\]" 2'),
    (dict(ignore_regions_x=[[0, 'a', 2]], ignore_regions_y=[[0, 1, 2]]),
     r'"ignore_regions_x/y\[0\]" must hold numbers'),
    (dict(ignore_regions_x=[[0, 1, 2]], ignore_regions_y=[[0, float('nan'), 2]]),
     r'"ignore_regions_x/y\[0\]" holds non-finite'),
])
def test_bad_ignore_regions(img, msg):
    with pytest.raises(PoseTrackFormatError, match='video v, frame 2: .*' + msg):
        parse_ignore_regions(img, 'video v, frame 2')


# ------------------------------------------------------------------ JSON
@pytest.fixture(params=['orjson', 'json'])
def reader(request, monkeypatch):
    if request.param == 'json':
        monkeypatch.setattr(P, '_orjson', None)
    else:
        assert P._orjson is not None, 'orjson is pinned in requirements/runtime.txt'
    return read_json


@pytest.mark.parametrize('data', [
    dict(a=[0.1, 1e-300, 123456789.123456789, -0.0, 2 ** 53 + 1, 'é'], b=None, c=True),
    dict(nan=float('nan'), inf=[float('inf'), -float('inf')], big=2 ** 70)])  # json's extensions
def test_read_json_values(reader, tmp_path, data):
    path = tmp_path / 'v.json'
    path.write_text(json.dumps(data), encoding='utf-8')
    got, want = reader(str(path)), json.loads(path.read_text(encoding='utf-8'))
    assert json.dumps(got) == json.dumps(want)  # NaN != NaN: compare the texts
    assert all(type(got[k]) is type(want[k]) for k in want)


@pytest.mark.parametrize('text, msg', [
    (b'', r'malformed JSON in PoseTrack18 prediction file .*v.json: the file is empty'),
    (b'  \n', 'the file is empty'),
    (b'{"images": [', r'line 1 column 13 \(char 12\) \(the file ends there: truncated\?\)'),
    (b'{"images": [ {"id": 1,, } ]}', r'v.json: .* at line 1 column 23 \(char 22\)$'),
    (b'{\n "a": 1\n "b": 2}', r'at line 3 column 2 \(char 11\)$'),
    (b'["\xff\xfe"]', r'v.json: .*(UTF-8|utf-8)'),
])
def test_read_json_malformed(reader, tmp_path, text, msg):
    path = tmp_path / 'v.json'
    path.write_bytes(text)
    with pytest.raises(PoseTrackFormatError, match=msg) as e:
        reader(str(path), 'prediction file')
    assert '\n' not in str(e.value) and isinstance(e.value, ValueError)


def test_read_json_missing_and_unreadable(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'PoseTrack18 detection file not found: .*no.json'):
        read_json(str(tmp_path / 'no.json'), 'detection file')
    (tmp_path / 'dir.json').mkdir()
    with pytest.raises(OSError, match=r'cannot read PoseTrack18 annotation file .*dir.json: '):
        read_json(str(tmp_path / 'dir.json'))
