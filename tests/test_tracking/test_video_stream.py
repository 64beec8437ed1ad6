"""VideoTrackingStream: frames merged from per-person outputs, tracked per video, in order."""
import numpy as np
import pytest
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from mmpose_track.tracking.video_stream import VideoTrackingStream

TRACKER = dict(type='OKSHungarianTracker', match_thr=0.3)


def _person(video, frame, x, y=50., score=0.9, bbox_score=1.0, **meta):
    """A top-down output: one person, 17 keypoints spread around (x, y)."""
    offsets = np.stack([np.linspace(-10, 10, 17), np.linspace(-30, 30, 17)], -1)
    sample = PoseDataSample(metainfo=dict(video_id=video, frame_idx=frame, img_id=frame,
                                          num_frames=10, id=int(x), **meta))
    sample.pred_instances = InstanceData(
        keypoints=(offsets + [x, y])[None].astype(np.float32),
        keypoint_scores=np.full((1, 17), score, np.float32),
        bboxes=np.array([[x - 12, y - 32, x + 12, y + 32]], np.float32),
        bbox_scores=np.array([bbox_score], np.float32))
    return sample


def test_people_of_a_frame_are_merged_and_tracked_across_frames():
    stream = VideoTrackingStream(TRACKER)
    out = []
    for t in range(3):  # two people walking right, listed in swapped order every other frame
        people = [_person('v1', t, 20 + 2 * t), _person('v1', t, 100 + 2 * t)]
        out += stream.push(people[::-1] if t % 2 else people)
    assert out == []  # the video is not finished yet
    frames = stream.flush()
    assert [f.frame_idx for f in frames] == [0, 1, 2]
    assert all(len(f.pred_instances) == 2 for f in frames)
    assert 'id' not in frames[0].metainfo  # per-person metainfo dropped from the frame
    for f in frames:  # the person on the left keeps its id whatever the input order
        left = int(np.argmin(f.pred_instances.keypoints[:, 0, 0]))
        assert f.pred_instances.track_ids[left] == frames[0].pred_instances.track_ids[
            int(np.argmin(frames[0].pred_instances.keypoints[:, 0, 0]))]
    assert set(frames[2].pred_instances.track_ids.tolist()) == {0, 1}


def test_new_video_resets_tracker_and_returns_finished_video():
    stream = VideoTrackingStream(TRACKER)
    assert stream.push([_person('a', 0, 10), _person('a', 1, 11)]) == []
    done = stream.push([_person('b', 0, 300)])
    assert [f.video_id for f in done] == ['a', 'a']
    rest = stream.flush()
    assert [f.video_id for f in rest] == ['b']
    assert rest[0].pred_instances.track_ids.tolist() == [0]  # ids restart per video


def test_nms_removes_duplicate_people_before_tracking():
    stream = VideoTrackingStream(TRACKER, nms=dict(type='oks', thr=0.9))
    stream.push([_person('a', 0, 50, score=0.9), _person('a', 0, 50.5, score=0.5),
                 _person('a', 0, 200)])
    frame, = stream.flush()
    assert len(frame.pred_instances) == 2
    assert sorted(frame.pred_instances.keypoints[:, 0, 0].round().tolist()) == [40, 190]


def test_out_of_order_frames_and_split_videos_are_errors():
    stream = VideoTrackingStream(TRACKER)
    stream.push([_person('a', 3, 10)])
    with pytest.raises(RuntimeError, match='frame 1 arrived after frame 3'):
        stream.push([_person('a', 1, 10), _person('a', 4, 10)])
    stream = VideoTrackingStream(TRACKER)
    stream.push([_person('a', 0, 10), _person('b', 0, 10)])
    with pytest.raises(RuntimeError, match='video a arrived twice'):
        stream.push([_person('a', 1, 10), _person('a', 2, 10)])


def test_missing_video_metainfo_is_a_clear_error():
    sample = PoseDataSample(metainfo=dict(img_path='x.jpg'))
    with pytest.raises(KeyError, match='video_id'):
        VideoTrackingStream(TRACKER).push([sample, sample])


def test_empty_frame_and_short_tracks_dropped_by_finalize():
    stream = VideoTrackingStream(dict(TRACKER, min_track_length=2))
    empty = PoseDataSample(metainfo=dict(video_id='a', frame_idx=0))
    empty.pred_instances = InstanceData()
    stream.push([empty])
    stream.push([_person('a', 1, 10), _person('a', 1, 200)])
    stream.push([_person('a', 2, 11)])  # the person at 200 lives one frame only
    frames = stream.flush()
    assert len(frames[0].pred_instances) == 0
    assert frames[0].pred_instances.track_ids.shape == (0, )
    assert len(frames[1].pred_instances) == 1  # the one-frame track was dropped
    ids = [f.pred_instances.track_ids.tolist() for f in frames]
    assert ids[1] == ids[2]


def test_mmdet_frame_outputs_are_tracked_with_their_box_scores():
    """Frame-level DetDataSamples of a keypoint R-CNN (tensors, MMDet's `scores`/`labels`): the box
    score ranks the people for suppression (duplicate with the lower box score goes) and `labels`
    do not reach the tracker as a feature."""
    import torch
    from mmdet.structures import DetDataSample

    class Spy:
        def __init__(self):
            self.features, self.n = [], 0

        def reset(self):
            pass

        def update(self, keypoints, bboxes, frame_id, **features):
            self.features.append(sorted(features))
            ids = np.arange(self.n, self.n + len(keypoints))
            self.n += len(keypoints)
            return ids

    frames = []
    for t in range(2):
        people = [_person('v', t, 50 + t, score=0.5), _person('v', t, 50.5 + t, score=0.9),
                  _person('v', t, 200)]
        s = DetDataSample(metainfo=dict(video_id='v', frame_idx=t, img_id=t))
        s.pred_instances = InstanceData(
            bboxes=torch.tensor(np.concatenate([p.pred_instances.bboxes for p in people])),
            scores=torch.tensor([0.95, 0.3, 0.8]),  # the first duplicate has the better box
            labels=torch.zeros(3, dtype=torch.long),
            keypoints=torch.tensor(np.concatenate([p.pred_instances.keypoints for p in people])),
            keypoint_scores=torch.tensor(np.concatenate(
                [p.pred_instances.keypoint_scores for p in people])))
        frames.append(s)
    spy = Spy()
    stream = VideoTrackingStream(spy, nms=dict(type='oks', thr=0.9))
    stream.push(frames)
    out = stream.flush()
    assert [len(f.pred_instances) for f in out] == [2, 2]
    kept = out[0].pred_instances
    assert sorted(torch.as_tensor(kept.bbox_scores).tolist()) == pytest.approx([0.8, 0.95])
    assert spy.features == [[], []]  # scores / labels are not tracker features
    assert out[1].pred_instances.track_ids.tolist() == [2, 3]


def test_empty_frames_take_k_from_metainfo_or_the_video():
    """No hard-coded K: an empty frame gets (0, K, 2) keypoints with K from the stream's
    ``num_keypoints`` (the dataset metainfo), the sample's metainfo, or the video's other frames."""
    def empty(video, frame, **meta):
        s = PoseDataSample(metainfo=dict(video_id=video, frame_idx=frame, **meta))
        s.pred_instances = InstanceData()
        return s

    stream = VideoTrackingStream(TRACKER, num_keypoints=5)
    a, b = stream.push([empty('a', 0), empty('b', 0, num_keypoints=9)]) + stream.flush()
    assert a.pred_instances.keypoints.shape == (0, 5, 2)
    assert b.pred_instances.keypoints.shape == (0, 9, 2)
    assert b.pred_instances.keypoint_scores.shape == (0, 9)
    stream = VideoTrackingStream(TRACKER)  # K unknown until the person of frame 1 (17 joints)
    stream.push([empty('a', 0), _person('a', 1, 10)])
    first, second = stream.flush()
    assert first.pred_instances.keypoints.shape == (0, 17, 2)
    assert second.pred_instances.track_ids.tolist() == [0]


def test_only_the_features_the_tracker_declares_reach_it():
    class Spy:
        feature_keys = ('embeddings', )

        def __init__(self):
            self.features = []

        def reset(self):
            pass

        def update(self, keypoints, bboxes, frame_id, **features):
            self.features.append(sorted(features))
            return np.arange(len(keypoints))

    spy = Spy()
    s = _person('a', 0, 10)
    s.pred_instances.embeddings = np.ones((1, 4))
    s.pred_instances.heatmap_peaks = np.ones((1, 2))  # not declared: not passed
    stream = VideoTrackingStream(spy)
    stream.push([s])
    stream.flush()
    assert spy.features == [['embeddings']]


def test_select_pairwise_features_restricts_each_axis_to_the_kept_people():
    """An array over (previous people, current people) keeps the rows of the people kept in the
    previous frame and the columns of those kept now; callables and unread keys pass / drop;
    an array shorter than the frame it indexes is an error."""
    from mmpose_track.tracking.video_stream import select_pairwise_features
    a = np.arange(12).reshape(4, 3)
    fn = len
    out = select_pairwise_features(dict(a=a, f=fn, other=a), ('a', 'f'), dict(a=('prev', 'cur')),
                                   np.array([0, 2]), np.array([1, 2]))
    assert set(out) == {'a', 'f'} and out['f'] is fn
    np.testing.assert_array_equal(out['a'], [[1, 2], [7, 8]])
    # default axes: axis 0 indexes the previous frame; None keeps everyone
    out = select_pairwise_features(dict(a=a), ('a', ), {}, np.array([3]), None)
    np.testing.assert_array_equal(out['a'], a[[3]])
    with pytest.raises(ValueError, match='the prev frame had more people'):
        select_pairwise_features(dict(a=a), ('a', ), {}, np.array([5]), None)
