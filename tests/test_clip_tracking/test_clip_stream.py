"""ClipTrackingStream (the per-video driver of the clip tracking pipeline inside the test loop) and
the two halves of the spatial-temporal merge, on hand-made tube predictions whose answer is
known."""
import numpy as np
import pytest
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from mmpose_track.structures import PoseTrackDataSample
from mmpose_track.tracking import (ClipTrackingStream, spatial_temporal_merge,
                                   tube_frame_positions)

K = 17


def _pose(seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (K, 2)) * [20, 50]


def _person(seed, x0, vx):
    base = _pose(seed)
    return lambda f: base + [x0 + vx * f, 120]


def _clip_frames(key, T, num_frames):
    """Frame indices of a tube as PoseTrack18ClipDataset cuts it (border frames replicated)."""
    return [min(max(key + o, 0), num_frames - 1) for o in range(-(T // 2), T - T // 2)]


def _tube(video, key, T, num_frames, pose_of, score=0.9, det_score=0.8):
    frames = []
    for f in _clip_frames(key, T, num_frames):
        s = PoseDataSample(metainfo=dict(video_id=video, frame_idx=f, img_id=1000 * f,
                                         img_path=f'{video}/{f:06d}.jpg', num_frames=num_frames,
                                         is_labeled=True, input_center=np.zeros(2)))
        s.pred_instances = InstanceData(
            keypoints=pose_of(f)[None].astype(np.float32),
            keypoint_scores=np.full((1, K), score, np.float32),
            bboxes=np.array([[0, 0, 10, 10]], np.float32),
            bbox_scores=np.array([det_score], np.float32))
        frames.append(s)
    sample = PoseTrackDataSample(metainfo=dict(video_id=video, frame_idx=key,
                                               key_frames_inds=[T // 2]))
    sample.video_data_samples = frames
    return sample


def _video(video, people, num_frames, T=3, missed=(), keyframes=None):
    out = []
    for key in (range(num_frames) if keyframes is None else keyframes):
        for p, pose_of in enumerate(people):
            if (key, p) not in missed:
                out.append(_tube(video, key, T, num_frames, pose_of))
    return out


def test_tube_frame_positions():
    assert tube_frame_positions([0, 0, 1], 1).tolist() == [1, 2]
    assert tube_frame_positions([3, 4, 4], 1).tolist() == [0, 1]
    assert tube_frame_positions([0, 0, 0], 1).tolist() == [1]
    assert tube_frame_positions([0, 0, 0, 1, 2], 2).tolist() == [2, 3, 4]
    assert tube_frame_positions([], 0).tolist() == []


@pytest.mark.parametrize('merge', ['spatial_temporal', 'baseline'])
def test_missed_detection_recovered_with_one_id_per_person(merge):
    people = [_person(0, 60, 3), _person(1, 250, -3)]
    # the detector misses person 1 in keyframe 3: its tubes from keyframes 2 and 4 cover frame 3
    # and overlap there, so they are sewn into one track
    tubes = _video('v1', people, 8, missed={(3, 1)})
    stream = ClipTrackingStream(merge=merge)
    assert stream.push(tubes) == []  # the video is not finished until flushed
    frames = stream.flush()
    assert [f.frame_idx for f in frames] == list(range(8))
    for f, fr in enumerate(frames):
        pred = fr.pred_instances
        assert fr.metainfo['img_id'] == 1000 * f and fr.video_id == 'v1'
        np.testing.assert_array_equal(pred.track_ids, [0, 1])
        for t, pose_of in enumerate(people):
            np.testing.assert_allclose(pred.keypoints[t], pose_of(f), atol=1e-4)
            np.testing.assert_allclose(pred.keypoint_scores[t], 0.9, atol=1e-6)
            xy = pose_of(f)
            np.testing.assert_allclose(pred.bboxes[t], [*xy.min(0), *xy.max(0)], atol=1e-3)
        np.testing.assert_allclose(pred.bbox_scores, 0.9, atol=1e-6)


def test_box_padding_scales_about_the_centre():
    people = [_person(0, 60, 0)]
    stream = ClipTrackingStream(box_padding=1.5)
    stream.push(_video('v', people, 3))
    frames = stream.flush()
    xy = people[0](0)
    c, half = (xy.min(0) + xy.max(0)) / 2, (xy.max(0) - xy.min(0)) / 2 * 1.5
    np.testing.assert_allclose(frames[0].pred_instances.bboxes[0], [*(c - half), *(c + half)],
                               atol=1e-3)


def test_videos_finish_when_the_next_one_starts():
    people = [_person(0, 60, 3)]
    stream = ClipTrackingStream()
    done = stream.push(_video('a', people, 4)[:-1])
    assert done == []
    done = stream.push(_video('a', people, 4)[-1:] + _video('b', people, 5)[:2])
    assert [(f.video_id, f.frame_idx) for f in done] == [('a', t) for t in range(4)]
    done = stream.push(_video('b', people, 5)[2:]) + stream.flush()
    assert [(f.video_id, f.frame_idx) for f in done] == [('b', t) for t in range(5)]
    assert stream.flush() == []


def test_video_shorter_than_the_tube_and_one_frame_video():
    people = [_person(0, 60, 3), _person(1, 250, -3)]
    stream = ClipTrackingStream()
    stream.push(_video('short', people, 2, T=9))  # tubes of 9 replicated frames, 2 distinct
    frames = stream.flush()
    assert [f.frame_idx for f in frames] == [0, 1]
    for f, fr in enumerate(frames):
        np.testing.assert_array_equal(fr.pred_instances.track_ids, [0, 1])
        np.testing.assert_allclose(fr.pred_instances.keypoints[1], people[1](f), atol=1e-4)
    stream.push(_video('one', people, 1, T=3))
    frames = stream.flush()
    assert len(frames) == 1 and len(frames[0].pred_instances) == 2


def test_keyframe_without_detection_and_video_without_any():
    people = [_person(0, 60, 3)]
    stream = ClipTrackingStream()
    # keyframes 1 and 5 (S = 4), T = 3: frame 3 is in no tube (not emitted; the metric writes it
    # empty), frames 0-2 and 4-6 are
    stream.push(_video('gap', people, 7, keyframes=[1, 5]))
    frames = stream.flush()
    assert [f.frame_idx for f in frames] == [0, 1, 2, 4, 5, 6]
    # the two tracklets never overlap: two tracks
    ids = [int(f.pred_instances.track_ids[0]) for f in frames]
    assert ids == [0, 0, 0, 1, 1, 1]
    assert ClipTrackingStream().flush() == []


def test_post_filters_short_tracks_and_tiny_boxes():
    big, tiny = _person(0, 60, 3), (lambda f: _pose(1) * 0.05 + [250, 120])
    tubes = _video('v', [big], 6) + [_tube('v', 2, 3, 6, tiny)]  # a 3-frame tiny person
    tubes.sort(key=lambda s: s.frame_idx)
    stream = ClipTrackingStream(min_box_area=100)
    stream.push(tubes)
    frames = stream.flush()
    assert all(len(f.pred_instances) == 1 for f in frames)
    stream = ClipTrackingStream(min_track_length=4)
    stream.push(tubes)
    frames = stream.flush()
    assert all(len(f.pred_instances) == 1 for f in frames)
    stream = ClipTrackingStream()
    stream.push(tubes)
    assert [len(f.pred_instances) for f in stream.flush()] == [1, 2, 2, 2, 1, 1]


def test_no_linking_row_suppresses_duplicate_hypotheses_then_tracks():
    people = [_person(0, 60, 3), _person(1, 250, -3)]
    stream = ClipTrackingStream(merge='none')
    stream.push(_video('v', people, 6, missed={(3, 1)}))
    frames = stream.flush()
    assert [f.frame_idx for f in frames] == list(range(6))
    for f, fr in enumerate(frames):
        pred = fr.pred_instances
        assert len(pred) == 2  # up to 3 identical hypotheses per person: one survives OKS-NMS
        order = np.argsort(pred.keypoints[:, 0, 0])
        np.testing.assert_array_equal(pred.track_ids[order], [0, 1])
        np.testing.assert_allclose(pred.keypoints[order[1]], people[1](f), atol=1e-4)


def test_bad_input():
    with pytest.raises(ValueError, match='merge must be one of'):
        ClipTrackingStream(merge='mean')
    with pytest.raises(ValueError, match='box_padding'):
        ClipTrackingStream(box_padding=0)
    people = [_person(0, 60, 3)]
    stream = ClipTrackingStream()
    with pytest.raises(RuntimeError, match='arrived twice'):
        stream.push(_video('a', people, 3) + _video('b', people, 3) + _video('a', people, 3))
    tube = _tube('c', 1, 3, 3, people[0])
    tube.video_data_samples[0].pred_instances = InstanceData()
    with pytest.raises(ValueError, match='has 0 predicted people, expected 1'):
        ClipTrackingStream().push([tube])
    with pytest.raises(KeyError, match='not a tube prediction'):
        ClipTrackingStream().push([PoseDataSample(metainfo=dict(video_id='x', frame_idx=0))])


# ------------------------------------------------------- halves of the spatial-temporal merge
def _hyps(points_per_frame):
    """Per frame (H, K, 3) hypotheses with every joint at the given (x, y) points, score 1."""
    out = []
    for pts in points_per_frame:
        h = np.ones((len(pts), K, 3))
        h[..., :2] = np.asarray(pts, float)[:, None, :]
        out.append(h)
    return out


def test_spatial_and_temporal_halves_by_hand():
    # head size 10 -> mean-shift radius 5. Frame 0: one hypothesis at (0, 0). Frame 1: 9 at (6, 0)
    # and 1 at (0, 0). Path costs (cluster_edge_cost, lambda = 1):
    #   via the big cluster:   0.5 * (0 + 0.1) + 6 / 10 + 0.5 * 0.1 = 0.7
    #   via the single one:    0.5 * (0 + 0.9) + 0      + 0.5 * 0.9 = 0.9  -> full merge: (6, 0)
    # temporal off (lambda 0): the largest cluster, (6, 0); spatial off: every hypothesis its own
    # cluster with no spatial term, the one that moves least, (0, 0).
    hyps = _hyps([[(0, 0)], [(6, 0)] * 9 + [(0, 0)]])
    full = spatial_temporal_merge(hyps, head_size=10)
    np.testing.assert_allclose(full[1, :, :2], np.tile([6, 0], (K, 1)))
    no_t = spatial_temporal_merge(hyps, head_size=10, temporal=False)
    np.testing.assert_allclose(no_t[1, :, :2], np.tile([6, 0], (K, 1)))
    no_s = spatial_temporal_merge(hyps, head_size=10, spatial=False)
    np.testing.assert_allclose(no_s[1, :, :2], np.tile([0, 0], (K, 1)))
    # with lambda 2 the full merge follows the motion: 0.05 + 1.2 + 0.05 > 0.9
    np.testing.assert_allclose(
        spatial_temporal_merge(hyps, head_size=10, balance=2.0)[1, :, :2], 0)
    with pytest.raises(ValueError, match='baseline_merge'):
        spatial_temporal_merge(hyps, spatial=False, temporal=False)


def test_duplicate_detection_gives_two_tracks_unless_suppressed():
    person = _person(0, 60, 3)
    near = lambda f: person(f) + 1.0  # noqa: E731  a second box on the same person, 1 px off
    tubes = []
    for key in range(5):
        tubes += [_tube('v', key, 3, 5, person), _tube('v', key, 3, 5, near, score=0.5)]
    stream = ClipTrackingStream()
    stream.push(tubes)
    assert [len(f.pred_instances) for f in stream.flush()] == [2] * 5
    stream = ClipTrackingStream(nms=dict(type='oks', thr=0.9))
    stream.push(tubes)
    frames = stream.flush()
    assert [len(f.pred_instances) for f in frames] == [1] * 5
    for f, fr in enumerate(frames):  # the better-scored pose survives
        np.testing.assert_allclose(fr.pred_instances.keypoints[0], person(f), atol=1e-4)


def test_two_ranks_track_like_one():
    """VideoGroupedSampler keeps each video's tubes on one rank: two ranks' streams together give
    exactly the frames of one stream."""
    from mmpose_track.datasets.samplers import VideoGroupedSampler
    people = [_person(0, 60, 3), _person(1, 250, -3)]
    tubes = (_video('a', people, 5, missed={(2, 0)}) + _video('b', people[:1], 4)
             + _video('c', people, 6))

    class _Tubes:
        video_ids = [t.video_id for t in tubes]

        def __len__(self):
            return len(tubes)

    def run(indices):
        stream = ClipTrackingStream()
        return stream.push([tubes[i] for i in indices]) + stream.flush()

    def key(frames):
        return sorted((f.video_id, f.frame_idx, tuple(f.pred_instances.track_ids),
                       f.pred_instances.keypoints.round(4).tobytes()) for f in frames)
    ranks = [list(VideoGroupedSampler(_Tubes(), rank=r, world_size=2)) for r in range(2)]
    assert sorted(ranks[0] + ranks[1]) == list(range(len(tubes))) and all(ranks)
    assert key(run(ranks[0]) + run(ranks[1])) == key(run(range(len(tubes))))
