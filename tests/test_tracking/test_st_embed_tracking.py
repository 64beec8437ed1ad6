"""ST-Embed tracking plumbing: per-frame ``pred_pairwise`` features through the stream, and the
Table 4 baseline similarity on SpatialNet's embeddings (KE, KE+SIE)."""
import numpy as np
import pytest
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from mmpose_track.tracking import build_tracker
from mmpose_track.tracking.video_stream import VideoTrackingStream

K = 17


def _frame(video, t, xs, score=0.9, **fields):
    """A bottom-up frame-level prediction: one person per x in ``xs`` (joints spread around x)."""
    offsets = np.stack([np.linspace(-10, 10, K), np.linspace(-30, 30, K)], -1)
    kpts = np.stack([offsets + [x, 50.] for x in xs]).astype(np.float32)
    sample = PoseDataSample(metainfo=dict(video_id=video, frame_idx=t, img_id=t, num_frames=5))
    sample.pred_instances = InstanceData(
        keypoints=kpts, keypoint_scores=np.full((len(xs), K), score, np.float32),
        bboxes=np.stack([[x - 12, 18, x + 12, 82] for x in xs]).astype(np.float32),
        bbox_scores=np.ones(len(xs), np.float32), **fields)
    return sample


class _RecordingTracker:
    """A tracker that records the features it is given (ids: 0..N-1)."""
    feature_keys = ('tie', 'tie_backward')

    def __init__(self):
        self.calls = []

    def reset(self):
        self.calls.append('reset')

    def update(self, keypoints, bboxes, frame_id, **features):
        self.calls.append((frame_id, {k: np.asarray(v) for k, v in features.items()}))
        return np.arange(len(keypoints))


def test_pairwise_rows_follow_the_previous_frames_suppression():
    tracker = _RecordingTracker()
    stream = VideoTrackingStream(tracker, nms=dict(type='oks', thr=0.9))
    # frame 0: people at x = 50, 50.5 (a duplicate, lower score after the first) and 200
    f0 = _frame('v', 0, [50, 50.5, 200])
    f0.pred_instances.keypoint_scores[1] = 0.3
    f0.pred_instances.tie = np.zeros((3, K, 2), np.float32)
    # frame 1: the model's backward TIE at frame 0's three predicted people (rows 0, 1, 2)
    f1 = _frame('v', 1, [52, 202], tie=np.zeros((2, K, 2), np.float32))
    f1.pred_pairwise = dict(tie_backward=np.arange(3, dtype=np.float32)[:, None, None] *
                            np.ones((3, K, 2), np.float32), unused=np.zeros(3))
    stream.push([f0])
    stream.push([f1])
    frames = stream.flush()
    assert len(frames[0].pred_instances) == 2  # the duplicate was suppressed
    (_, feats0), (_, feats1) = tracker.calls[1], tracker.calls[2]
    assert 'tie_backward' not in feats0  # first frame: no previous people
    assert feats0['tie'].shape == (2, K, 2)
    # rows of the kept people 0 and 2 reach the tracker, in that order; 'unused' does not
    assert feats1['tie_backward'][:, 0, 0].tolist() == [0.0, 2.0]
    assert set(feats1) == {'tie', 'tie_backward'}


def test_pairwise_rows_reset_at_a_new_video():
    tracker = _RecordingTracker()
    stream = VideoTrackingStream(tracker, nms=dict(type='oks', thr=0.9))
    a0 = _frame('a', 0, [50, 50.5, 200])
    a0.pred_instances.keypoint_scores[1] = 0.3
    b0 = _frame('b', 0, [10])
    b1 = _frame('b', 1, [12])
    b1.pred_pairwise = dict(tie_backward=np.full((1, K, 2), 7.0, np.float32))
    for f in (a0, b0, b1):
        stream.push([f])
    stream.flush()
    assert tracker.calls[-1][1]['tie_backward'][:, 0, 0].tolist() == [7.0]  # not re-indexed


def _spatial_tracker(use_sie):
    cfg = 'configs/trackers/st_embed_ke_sie.py' if use_sie else 'configs/trackers/st_embed_ke.py'
    return build_tracker(cfg)


def test_ke_baseline_follows_the_tags_not_the_positions():
    # Two people swap places between frames (a jump OKS would follow): their KE tags (0 and 3)
    # keep them apart. Psi_KE(same person) = 0.01 (tags 0 -> 0.1), Psi_KE(other) = 3.1^2 = 9.61.
    trk = _spatial_tracker(False)
    kp0 = np.stack([np.full((K, 2), 50.), np.full((K, 2), 150.)])
    kp0 = np.concatenate([kp0, np.ones((2, K, 1))], -1)
    ids0 = trk.update(kp0, None, 0, ke=np.stack([np.zeros((K, 1)), np.full((K, 1), 3.)]))
    ids1 = trk.update(kp0[::-1].copy(), None, 1,
                      ke=np.stack([np.full((K, 1), 0.1), np.full((K, 1), 3.0)]))
    # frame 1: row 0 is at x = 150 with tag 0.1 -> the person tagged 0 in frame 0 (id ids0[0])
    assert ids1.tolist() == [ids0[0], ids0[1]]
    sim = trk.similarity
    from mmpose_track.tracking.trackers.track_memory import DetectionFrame
    det = DetectionFrame.prepare(kp0, None, 2, dict(ke=np.stack([np.full((K, 1), 0.1),
                                                                 np.full((K, 1), 3.0)])),
                                 K, sim.feature_keys, ())
    cost = sim.cost(det, trk.memory, None, None)
    # memory rows: ids 0 (tag 0.1 now) and 1 (tag 3.0); detections: tags 0.1, 3.0
    order = np.argsort(trk.memory.ids)
    np.testing.assert_allclose(cost[:, order], [[0.0, 2.9**2], [2.9**2, 0.0]], atol=1e-9)


def test_ke_sie_baseline_adds_the_centre_term_per_box_area():
    trk = _spatial_tracker(True)
    kp = np.concatenate([np.full((1, K, 2), 50.), np.ones((1, K, 1))], -1)
    box = np.array([[40., 40., 60., 80.]])  # area 800 px^2
    trk.update(kp, box, 0, ke=np.zeros((1, K, 1)), sie=np.full((1, K, 2), 50.))
    from mmpose_track.tracking.trackers.track_memory import DetectionFrame
    sim = trk.similarity
    det = DetectionFrame.prepare(kp, box, 1, dict(ke=np.full((1, K, 1), 0.5),
                                                  sie=np.full((1, K, 2), 50.) + [3., 4.]),
                                 K, sim.feature_keys, ())
    # Psi = 0.5^2 + (3^2 + 4^2) / 800 = 0.25 + 0.03125
    np.testing.assert_allclose(sim.cost(det, trk.memory, None, None), [[0.28125]])


def test_spatial_similarity_needs_a_term():
    from mmpose_track.tracking.trackers import SpatialEmbeddingSimilarity
    with pytest.raises(ValueError, match='use_ke or use_sie'):
        SpatialEmbeddingSimilarity(use_ke=False, use_sie=False)
