"""VideoGroupedSampler: whole videos per rank, frame order, every index exactly once."""
import json
import os.path as osp

import pytest
from mmengine.registry import init_default_scope

from mmpose_track.datasets.datasets import PoseTrack18FrameDataset
from mmpose_track.datasets.samplers import VideoGroupedSampler, split_videos


@pytest.fixture(autouse=True)
def _mmpose_scope():
    """Pipelines name MMPose transforms bare, as configs do under default_scope='mmpose'."""
    init_default_scope('mmpose')

K = 17


def _multi_video_file(path, frames_per_video=(4, 1, 6, 2, 3), people=(1, 3, 0, 2)):
    """Videos of several frames; frame f of a video holds people[f % len(people)] persons."""
    images, anns = [], []
    for v, nframes in enumerate(frames_per_video):
        for f in range(nframes):
            img_id = 10000000000 + v * 10000 + f
            images.append(dict(id=img_id, file_name=f'images/val/{v:06d}_mpii_test/{f:06d}.jpg',
                               nframes=nframes, is_labeled=True, width=640, height=480))
            for p in range(people[f % len(people)]):
                kpts = [v for k in range(K) for v in (50. + 20 * p + k, 60. + 3 * k, 1)]
                anns.append(dict(id=img_id * 100 + p, image_id=img_id, track_id=p,
                                 bbox=[40 + 20 * p, 50, 40, 80], keypoints=kpts))
    # file order scrambled on purpose: the dataset orders by (video, frame)
    images.reverse()
    with open(path, 'w') as fh:
        json.dump(dict(images=images, annotations=anns), fh)
    return str(path)


@pytest.fixture(params=['topdown', 'bottomup'])
def dataset(request, tmp_path):
    return PoseTrack18FrameDataset(ann_file=_multi_video_file(tmp_path / 'a.json'),
                                   data_mode=request.param, test_mode=True)


def test_two_rank_split_keeps_videos_whole(dataset):
    samplers = [VideoGroupedSampler(dataset, rank=r, world_size=2) for r in range(2)]
    per_rank = [list(s) for s in samplers]
    assert [len(s) for s in samplers] == [len(i) for i in per_rank]
    # every index exactly once, no padding
    assert sorted(per_rank[0] + per_rank[1]) == list(range(len(dataset)))
    videos = [{dataset.video_ids[i] for i in idx} for idx in per_rank]
    assert videos[0] and videos[1] and not videos[0] & videos[1]  # each video on one rank
    for idx in per_rank:
        keys = [(dataset.get_data_info(i)['video_id'], dataset.get_data_info(i)['frame_idx'])
                for i in idx]
        assert keys == sorted(keys)  # (video, frame) order
        assert idx == sorted(idx)


def test_single_process_yields_everything_in_order(dataset):
    s = VideoGroupedSampler(dataset)  # get_dist_info(): rank 0 of 1
    assert list(s) == list(range(len(dataset)))
    s.set_epoch(3)


def test_real_files_two_ranks(shared_data):
    root = osp.join(shared_data, 'posetrack18') + '/'
    ds = PoseTrack18FrameDataset(ann_file=root + 'annotations/val', data_root=root,
                                 test_mode=True)
    parts = [list(VideoGroupedSampler(ds, rank=r, world_size=2)) for r in range(2)]
    assert sorted(parts[0] + parts[1]) == list(range(14))
    assert {ds.video_ids[i] for i in parts[0]}.isdisjoint({ds.video_ids[i] for i in parts[1]})


def test_split_videos_balance_and_edges():
    assert split_videos([5, 5, 5, 5], 2) == [0, 2, 4]
    assert split_videos([100, 1, 1], 2) == [0, 1, 3]
    assert split_videos([1, 1, 100], 3) == [0, 1, 2, 3]  # every rank one video
    assert split_videos([3], 2) == [0, 1, 1]  # fewer videos than ranks: last rank empty
    assert split_videos([], 2) == [0, 0, 0]


def test_more_ranks_than_videos_and_bad_rank(tmp_path):
    ds = PoseTrack18FrameDataset(
        ann_file=_multi_video_file(tmp_path / 'a.json', frames_per_video=(2, )),
        data_mode='bottomup', test_mode=True)
    with pytest.warns(UserWarning, match='1 videos for 2 ranks'):
        parts = [list(VideoGroupedSampler(ds, rank=r, world_size=2)) for r in range(2)]
    assert parts == [[0, 1], []]
    with pytest.raises(ValueError, match='rank 2'):
        VideoGroupedSampler(ds, rank=2, world_size=2)


def test_built_from_registry(dataset):
    from mmpose.registry import DATA_SAMPLERS
    s = DATA_SAMPLERS.build(dict(type='VideoGroupedSampler', rank=1, world_size=2),
                            default_args=dict(dataset=dataset, seed=0))
    assert isinstance(s, VideoGroupedSampler) and len(s) > 0


def test_synthetic_set_two_ranks(tiny_synthetic):
    """The synthetic generator's val set (2 videos, all frames listed): merged file and folder
    give the same samples; with its detections file a 2-rank split keeps each video whole."""
    kw = dict(data_root=tiny_synthetic, data_mode='bottomup', test_mode=True)
    merged = PoseTrack18FrameDataset(ann_file='annotations/posetrack18_val.json', **kw)
    folder = PoseTrack18FrameDataset(ann_file='annotations/val', **kw)
    assert merged.video_ids == folder.video_ids and len(set(merged.video_ids)) == 2
    assert [f['frame_idx'] for f in merged.frames] == list(range(6)) * 2
    det = PoseTrack18FrameDataset(
        ann_file='annotations/val', data_root=tiny_synthetic, test_mode=True,
        bbox_file=tiny_synthetic + 'annotations/posetrack18_val_human_detections.json')
    parts = [list(VideoGroupedSampler(det, rank=r, world_size=2)) for r in range(2)]
    assert sorted(parts[0] + parts[1]) == list(range(len(det)))
    assert [{det.video_ids[i] for i in p} for p in parts] == [{v} for v in sorted(
        set(det.video_ids))]
