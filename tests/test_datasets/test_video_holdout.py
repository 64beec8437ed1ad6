"""``video_split`` of the PoseTrack18 datasets: a deterministic held-out part of the videos (clip
tracking fits its per-joint thresholds on it), honoured by every sample type and ``frames``."""
import numpy as np
import pytest

from mmpose_track.datasets.datasets import PoseTrack18ClipDataset, PoseTrack18FrameDataset
from mmpose_track.datasets.datasets.posetrack18_frame_dataset import split_holdout_videos
from mmpose_track.datasets.synthetic import generate_synthetic_posetrack18

ANN = 'annotations/posetrack18_train.json'
DETS = 'annotations/posetrack18_train_human_detections.json'


@pytest.fixture(scope='module')
def root(tmp_path_factory) -> str:
    """The synthetic training split: 8 videos of 3 frames."""
    out = str(tmp_path_factory.mktemp('holdout') / 'set')
    generate_synthetic_posetrack18(out, seed=0, num_videos=8, num_frames=3, splits='train')
    return out + '/'


def _dataset(root, cls=PoseTrack18FrameDataset, **kwargs):
    kwargs.setdefault('test_mode', True)
    return cls(ann_file=ANN, data_root=root, data_prefix=dict(img=''), pipeline=[], **kwargs)


def _videos(ds) -> list:
    return sorted({f['video_id'] for f in ds.frames})


def _sample_videos(ds) -> list:
    return [ds.get_data_info(i)['video_id'] for i in range(len(ds))]


def test_parts_are_disjoint_cover_all_videos_and_follow_the_rule(root):
    full = _dataset(root)
    videos = _videos(full)
    assert len(videos) == 8
    train = _dataset(root, video_split=dict(holdout=0.25, part='train', seed=0))
    held = _dataset(root, video_split=dict(holdout=0.25, part='holdout', seed=0))
    assert len(_videos(held)) == 2 and len(_videos(train)) == 6
    assert set(_videos(held)).isdisjoint(_videos(train))
    assert sorted(_videos(held) + _videos(train)) == videos
    # the documented rule, by hand: sorted ids, the first 2 of default_rng(0).permutation(8)
    perm = np.random.default_rng(0).permutation(8)
    assert _videos(held) == sorted(videos[i] for i in perm[:2])
    # the same seed gives the same split; an int holdout is a number of videos
    again = _dataset(root, video_split=dict(holdout=0.25, part='holdout', seed=0))
    assert _videos(again) == _videos(held)
    assert len(_videos(_dataset(root, video_split=dict(holdout=3, part='holdout')))) == 3
    assert split_holdout_videos(videos, 0.25, seed=0) == (_videos(train), _videos(held))
    # some seed moves the split (8 choose 2 = 28 splits)
    assert any(split_holdout_videos(videos, 0.25, seed=s)[1] != _videos(held) for s in range(1, 6))


def test_frames_and_every_sample_type_keep_only_the_part(root):
    split = dict(holdout=0.25, part='holdout', seed=0)
    for kwargs in (dict(data_mode='topdown'), dict(data_mode='bottomup'),
                   dict(data_mode='topdown', bbox_file=root + DETS)):
        full = _dataset(root, **kwargs)
        held = _dataset(root, video_split=split, **kwargs)
        keep = set(_videos(held))
        # frames: exactly the frames of the kept videos, in the same order
        assert held.frames and [f['img_id'] for f in held.frames] == [
            f['img_id'] for f in full.frames if f['video_id'] in keep]
        # samples: exactly the full dataset's samples of the kept videos
        full_ids = [(d['video_id'], d['img_id'], d.get('id')) for d in
                    (full.get_data_info(i) for i in range(len(full)))]
        held_ids = [(d['video_id'], d['img_id'], d.get('id')) for d in
                    (held.get_data_info(i) for i in range(len(held)))]
        expect = [t for t in full_ids if t[0] in keep]
        assert expect and len(expect) < len(full_ids)
        if 'bbox_file' in kwargs:  # detections are numbered in file order: compare boxes
            held_ids = [t[:2] for t in held_ids]
            expect = [t[:2] for t in expect]
        assert held_ids == expect
        assert held.video_ids == [t[0] for t in held_ids]


def test_subclasses_inherit_the_split(root):
    held = _dataset(root, cls=PoseTrack18ClipDataset, clip_len=3,
                    video_split=dict(holdout=0.25, part='holdout', seed=0))
    frame_held = _dataset(root, video_split=dict(holdout=0.25, part='holdout', seed=0))
    full = _dataset(root, cls=PoseTrack18ClipDataset, clip_len=3)
    assert len(held) and set(_sample_videos(held)) <= set(_videos(frame_held))
    assert _videos(held) == _videos(frame_held)
    assert len(held) == sum(v in set(_videos(frame_held)) for v in _sample_videos(full))


def test_fraction_rounds_to_at_least_one_video_per_part():
    ids = [f'v{i}' for i in range(8)]
    assert len(split_holdout_videos(ids, 0.01)[1]) == 1
    assert len(split_holdout_videos(ids, 0.99)[1]) == 7
    assert len(split_holdout_videos(ids, 0.5)[1]) == 4
    # duplicates and order do not matter
    assert split_holdout_videos(ids[::-1] * 2, 0.25, seed=3) == split_holdout_videos(ids, 0.25, seed=3)


@pytest.mark.parametrize('video_split, match', [
    (dict(holdout=0, part='train'), 'holdout'),
    (dict(holdout=1.0, part='train'), 'holdout'),
    (dict(holdout=-2, part='train'), 'holdout'),
    (dict(holdout=True, part='train'), 'holdout'),
    (dict(holdout='0.25', part='train'), 'holdout'),
    (dict(holdout=0.25, part='val'), 'part'),
    (dict(holdout=0.25), 'part'),
    (dict(holdout=0.25, part='train', fraction=1), 'keys'),
    (dict(holdout=0.25, part='train', seed=0.5), 'seed'),
    ([0.25, 'train'], 'dict'),
])
def test_bad_video_split_raises_before_reading(root, video_split, match):
    with pytest.raises(ValueError, match=match) as e:
        _dataset(root, video_split=video_split)
    assert '\n' not in str(e.value)


def test_bad_counts_for_the_videos(root):
    with pytest.raises(ValueError, match=r'\[1, 7\]'):
        _dataset(root, video_split=dict(holdout=8, part='holdout'))
    with pytest.raises(ValueError, match='at least 2 videos'):
        split_holdout_videos(['only'], 0.5)
