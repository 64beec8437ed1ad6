"""MMDetBoxTracker: MMDet 3.3's SORT / ByteTrack / OC-SORT driven on the boxes of poses.

Expected ids are derived by hand from MMDet's rules (which detections start tracks, which are
dropped) and from the people's ground-truth identity; boxes and scores from a loop reference.
"""
import importlib.util
import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip('lap', reason='ByteTrack / OC-SORT need lap (pip install lap)')

from mmpose_track.tracking import bbox_iou_matrix, build_tracker  # noqa: E402
from mmpose_track.tracking.trackers.mmdet_box_tracker import (MMDetBoxTracker,  # noqa: E402
                                                              match_rows)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = {name: osp.join(ROOT, 'configs', 'trackers', f'mmdet_{name}.py')
       for name in ('sort', 'bytetrack', 'ocsort')}
LAYOUT = np.random.default_rng(0).uniform(-1, 1, (17, 2)) * [30, 80]  # joints around a centre


def _needs(name):
    if name == 'sort':
        pytest.importorskip('motmetrics', reason='SORT needs motmetrics')


def _poses(centres, score=0.9):
    """``(N, 17, 3)`` poses: the same joint layout around each ``(x, y)`` centre."""
    centres = np.asarray(centres, np.float64).reshape(-1, 2)
    xy = LAYOUT[None] + centres[:, None]
    return np.concatenate([xy, np.full((len(centres), 17, 1), score)], -1)


def _track(tracker, frames, rng, bboxes=False, start=0):
    """Run ``frames`` (list of ``{person: (x, y)}``) with the people in a new random order each
    frame; returns ``[{person: id}]``."""
    out = []
    for t, people in enumerate(frames):
        names = list(people)
        perm = rng.permutation(len(names))
        names = [names[i] for i in perm]
        kpts = _poses([people[p] for p in names]) if names else np.zeros((0, 17, 3))
        boxes = None
        if bboxes and names:
            boxes = np.concatenate([kpts[..., :2].min(1) - 10, kpts[..., :2].max(1) + 10], 1)
        ids = tracker.update(kpts, boxes, start + t, bbox_scores=np.full(len(names), 0.9))
        assert ids.dtype == np.int64 and ids.shape == (len(names), )
        assert (ids >= 0).all() and len(set(ids.tolist())) == len(ids)  # unique in the frame
        out.append(dict(zip(names, ids.tolist())))
    return out


def _walk(num_frames, people, gone=()):
    """``people``: ``{name: (x0, vx)}`` walking at y = 300; ``gone``: (frame, name) absent."""
    return [{p: (x0 + vx * t, 300.0) for p, (x0, vx) in people.items() if (t, p) not in gone}
            for t in range(num_frames)]


def test_import_is_light():
    code = ('import sys; sys.path.insert(0, %r); '
            'import mmpose_track.tracking.trackers.mmdet_box_tracker as m; '
            "print(sorted(k for k in ('torch', 'mmdet', 'mmcv') if k in sys.modules))" % ROOT)
    res = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == '[]'


@pytest.mark.parametrize('name', ['sort', 'bytetrack', 'ocsort'])
@pytest.mark.parametrize('bboxes', [False, True])
def test_constant_velocity_people_keep_their_ids(name, bboxes):
    _needs(name)
    tracker = build_tracker(CFG[name])
    assert isinstance(tracker, MMDetBoxTracker)
    assert type(tracker.tracker).__name__ == dict(
        sort='SORTTracker', bytetrack='ByteTracker', ocsort='OCSORTTracker')[name]
    frames = _walk(20, dict(a=(100, 4), b=(500, -3), c=(900, 0), d=(1300, 6)))
    out = _track(tracker, frames, np.random.default_rng(1), bboxes=bboxes)
    first = out[0]
    assert sorted(first.values()) == [0, 1, 2, 3]
    assert all(ids == first for ids in out), out
    assert tracker.num_tracks == 4


def test_bytetrack_recovers_a_person_at_the_kalman_prediction():
    """Person ``a`` (25 px / frame) is absent in frames 8-10 and back at frame 11 where it
    walked to: its box there does not overlap its last seen one (frame 7), so only the Kalman
    prediction of the lost track (kept ``num_frames_retain = 30`` frames) can match it."""
    tracker = build_tracker(CFG['bytetrack'])
    people = dict(a=(100, 25), b=(1000, 0), c=(1500, -5))
    gone = {(t, 'a') for t in (8, 9, 10)}
    frames = _walk(20, people, gone)
    out = _track(tracker, frames, np.random.default_rng(2), bboxes=True)
    last_seen = _poses([frames[7]['a']])
    back = _poses([frames[11]['a']])
    boxes = [np.concatenate([k[..., :2].min(1) - 10, k[..., :2].max(1) + 10], 1)
             for k in (last_seen, back)]
    assert bbox_iou_matrix(boxes[0], boxes[1])[0, 0] == 0
    assert all(ids['a'] == out[0]['a'] for ids in out if 'a' in ids), out
    assert all(ids['b'] == out[0]['b'] and ids['c'] == out[0]['c'] for ids in out)
    assert tracker.num_tracks == 3


def test_every_detection_gets_an_id_even_below_the_thresholds():
    """ByteTrack (MOT17: init 0.7, low 0.1, high 0.6) on given box scores.

    Frame 0 (empty tracker): only scores > 0.7 start tracks, in input order: A, B, C -> 0, 1,
    2; L (0.05) and M (0.5) are dropped by MMDet and get new ids 3, 4 (input order). Frame 1:
    two identical detections (D, D') start two tracks, numbered by MMDet first: 5, 6; L is
    below ``low`` and M is a second-association detection with no track seen in frame 0 to
    take: both are dropped again and numbered after MMDet's new tracks, in input order: 7, 8."""
    tracker = build_tracker(CFG['bytetrack'])
    cen = dict(A=(100, 300), L=(400, 300), B=(700, 300), M=(1000, 300), C=(1300, 300),
               D=(1600, 300))
    order0 = ['A', 'L', 'B', 'M', 'C']
    score = dict(A=0.9, L=0.05, B=0.8, M=0.5, C=0.95, D=0.9)
    ids0 = tracker.update(_poses([cen[p] for p in order0]), None, 0,
                          bbox_scores=np.array([score[p] for p in order0]))
    assert ids0.tolist() == [0, 3, 1, 4, 2]
    order1 = ['M', 'D', 'C', 'L', 'D', 'B', 'A']
    ids1 = tracker.update(_poses([cen[p] for p in order1]), None, 1,
                          bbox_scores=np.array([score[p] for p in order1]))
    assert ids1.tolist() == [7, 5, 2, 8, 6, 1, 0]
    assert tracker.track_lengths() == {0: 2, 1: 2, 2: 2, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1}
    assert sorted(tracker.tracker.ids) == [0, 1, 2, 5, 6]  # MMDet's own tracks
    tracker.min_track_length = 2
    assert tracker.finalize() == {0: 0, 1: 1, 2: 2, 3: -1, 4: -1, 5: -1, 6: -1, 7: -1, 8: -1}
    tracker.min_track_length = 1
    assert tracker.finalize() == {i: i for i in range(9)}


def test_boxes_and_scores_given_to_mmdet():
    """box_from='keypoints': the tight box of the joints scored > 0 scaled 1.25 about its
    centre; score_from='pose': the mean score of those joints; a pose with one such joint gets
    a ``min_box_size`` box."""
    tracker = MMDetBoxTracker(
        dict(type='ByteTracker', motion=dict(type='KalmanFilter'), init_track_thr=0.1),
        box_from='keypoints', score_from='pose')
    rng = np.random.default_rng(3)
    kpts = np.concatenate([rng.uniform(0, 500, (3, 17, 2)), rng.uniform(0.2, 1, (3, 17, 1))], -1)
    kpts[0, :5, 2] = 0  # not scored: outside the box, not in the score
    kpts[2, 1:, 2] = 0  # one scored joint
    given = np.array([[1., 2., 3., 4.]] * 3)  # ignored with box_from='keypoints'
    ids = tracker.update(kpts, given, 7, bbox_scores=np.zeros(3))
    assert ids.tolist() == [0, 1, 2]
    for i in range(3):
        sel = [j for j in range(17) if kpts[i, j, 2] > 0]
        xs, ys = [kpts[i, j, 0] for j in sel], [kpts[i, j, 1] for j in sel]
        cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
        hw = max(1.25 * (max(xs) - min(xs)) / 2, 0.5)
        hh = max(1.25 * (max(ys) - min(ys)) / 2, 0.5)
        memo = tracker.tracker.tracks[i]
        np.testing.assert_allclose(memo.bboxes[-1].numpy()[0], [cx - hw, cy - hh, cx + hw,
                                                                cy + hh], rtol=1e-6)
        np.testing.assert_allclose(float(memo.scores[-1]),
                                   sum(kpts[i, j, 2] for j in sel) / len(sel), rtol=1e-6)
        assert memo.frame_ids[-1] == 0  # first frame after reset: MMDet's frame 0
    # box_from='bboxes' passes the boxes and bbox_scores through
    tracker = MMDetBoxTracker(dict(type='ByteTracker', motion=dict(type='KalmanFilter')))
    boxes = np.array([[10., 20., 110., 220.], [300., 20., 380., 200.]])
    tracker.update(kpts[:2], boxes, 0, bbox_scores=np.array([0.95, 0.75]))
    np.testing.assert_allclose(tracker.tracker.memo.bboxes.numpy(), boxes)
    np.testing.assert_allclose(tracker.tracker.memo.scores.numpy(), [0.95, 0.75], rtol=1e-6)


def test_reset_between_videos_restarts_ids_at_zero():
    """After reset() ids restart at 0, and the first frame of the new video (here frame 100) is
    MMDet's frame 0: its tracks are confirmed at once, so person ``a``, missing in the next
    frame, is not dropped as a tentative track and gets its id back."""
    tracker = build_tracker(CFG['bytetrack'])
    rng = np.random.default_rng(4)
    out = _track(tracker, _walk(5, dict(a=(100, 2), b=(600, 0), c=(1100, 1))), rng)
    assert sorted(out[-1].values()) == [0, 1, 2]
    with pytest.raises(ValueError, match='increasing order'):
        tracker.update(_poses([(100, 300)]), None, 3)
    tracker.reset()
    frames = _walk(6, dict(a=(200, 3), b=(800, -2)), gone={(1, 'a')})
    out = _track(tracker, frames, rng, start=100)
    assert sorted(out[0].values()) == [0, 1]
    assert all(ids['a'] == out[0]['a'] for ids in out if 'a' in ids), out
    assert tracker.num_tracks == 2


def test_frames_without_people_and_none_frame_ids():
    tracker = build_tracker(CFG['ocsort'])
    people = _walk(6, dict(a=(100, 3), b=(700, 0)))
    people[2] = {}
    ids = []
    for f in people:
        names = sorted(f)
        kpts = _poses([f[p] for p in names]) if names else np.zeros((0, 17, 3))
        got = tracker.update(kpts, None, None)
        assert got.shape == (len(names), )
        ids.append(dict(zip(names, got.tolist())))
    assert ids[0] == dict(a=0, b=1) and all(i == ids[0] for i in ids if i)


def test_match_rows():
    src = np.array([[1, 2], [3, 4], [1, 2], [5, 6]], np.float32)
    out = src[[3, 0, 2, 1]]
    idx = match_rows(src, out)
    assert sorted(idx.tolist()) == [0, 1, 2, 3]
    np.testing.assert_array_equal(src[idx], out)
    assert match_rows(src, src[[2]]).tolist() in ([0], [2])
    assert match_rows(src, src[:0]).tolist() == []
    with pytest.raises(RuntimeError, match='not one of its inputs'):
        match_rows(src, np.array([[1, 2.5]], np.float32))
    with pytest.raises(RuntimeError, match='not one of its inputs'):
        match_rows(src, src[[0, 0, 0]])


def test_bad_configs_and_inputs():
    kf = dict(type='KalmanFilter')
    with pytest.raises(ValueError, match='box_from'):
        MMDetBoxTracker(dict(type='ByteTracker', motion=kf), box_from='pose')
    with pytest.raises(ValueError, match='score_from'):
        MMDetBoxTracker(dict(type='ByteTracker', motion=kf), score_from='box')
    with pytest.raises(TypeError, match='"type"'):
        MMDetBoxTracker('ByteTracker')
    if importlib.util.find_spec('motmetrics'):
        with pytest.raises(ValueError, match='reid=None'):
            MMDetBoxTracker(dict(type='SORTTracker', motion=kf,
                                 reid=dict(num_samples=10, match_score_thr=2.0)))
        assert not MMDetBoxTracker(dict(type='SORTTracker', motion=kf)).tracker.with_reid
    tracker = MMDetBoxTracker(dict(type='ByteTracker', motion=kf))
    with pytest.raises(ValueError, match=r'bboxes must be \(N, 4\)'):
        tracker.update(_poses([(0, 0)] * 2), np.zeros((3, 4)), 0)
    with pytest.raises(ValueError, match='bbox_scores'):
        tracker.update(_poses([(0, 0)] * 2), None, 0, bbox_scores=np.ones(3))
    with pytest.raises(ValueError, match='keypoints'):
        tracker.update(np.zeros((2, 17)), None, 0)


def test_video_stream_passes_bbox_scores():
    """The stream hands ``bbox_scores`` (a feature_keys name) to the tracker: a person with a
    0.05 box score (pose score 0.9) never starts a track and gets a new id every frame."""
    from mmengine.structures import InstanceData
    from mmpose.structures import PoseDataSample

    from mmpose_track.tracking.video_stream import VideoTrackingStream
    stream = VideoTrackingStream(CFG['bytetrack'])
    assert stream.feature_keys == ('bbox_scores', )
    for t in range(4):
        kp = _poses([(100 + 2 * t, 300), (700, 300)])
        s = PoseDataSample(metainfo=dict(video_id='v', frame_idx=t))
        s.pred_instances = InstanceData(
            keypoints=kp[..., :2], keypoint_scores=kp[..., 2],
            bboxes=np.concatenate([kp[..., :2].min(1), kp[..., :2].max(1)], 1),
            bbox_scores=np.array([0.9, 0.05]))
        stream.push([s])
    frames = stream.flush()
    assert [f.pred_instances.track_ids.tolist() for f in frames] == [[0, 1], [0, 2], [0, 3],
                                                                     [0, 4]]


def _video_file(vid, num_frames, people, rng, gone=()):
    """A PoseTrack18 file of detected poses (people walking; ``gone``: (frame, person))."""
    images, anns = [], []
    for f in range(num_frames):
        img_id = int(f'1{vid:05d}{f:04d}')
        images.append(dict(id=img_id, file_name=f'images/val/{vid:06d}_mpii_test/{f:06d}.jpg'))
        for p, (x0, vx) in enumerate(people):
            if (f, p) in gone:
                continue
            kp = _poses([(x0 + vx * f, 300)])[0]
            kp[:, 2] = rng.uniform(0.8, 1.0, 17)
            x1, y1 = kp[:, :2].min(0)
            x2, y2 = kp[:, :2].max(0)
            anns.append(dict(id=len(anns) + 1000 * vid, image_id=img_id, category_id=1,
                             keypoints=kp.reshape(-1).tolist(), bbox=[x1, y1, x2 - x1, y2 - y1],
                             score=0.9, gt_person=p))
    rng.shuffle(images)
    rng.shuffle(anns)
    return dict(images=images, annotations=anns)


def test_track_tool_end_to_end_with_bytetrack(tmp_path):
    rng = np.random.default_rng(5)
    dets = tmp_path / 'dets'
    dets.mkdir()
    videos = {'000001_mpii_test.json': _video_file(1, 12, [(100, 5), (600, -3), (1100, 0)], rng,
                                                    gone={(3, 0), (4, 0), (7, 1)}),
              '000002_mpii_test.json': _video_file(2, 6, [(300, 2)], rng)}
    for name, v in videos.items():
        (dets / name).write_text(json.dumps(v))
    spec = importlib.util.spec_from_file_location('track_tool', osp.join(ROOT, 'tools',
                                                                         'track.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path / 'pred'
    assert tool.main([str(dets), '--tracker', CFG['bytetrack'], '--out', str(out)]) == 0
    for name, src in videos.items():
        res = json.loads((out / name).read_text())
        assert [a['id'] for a in res['annotations']] == [a['id'] for a in src['annotations']]
        per_frame, per_person = {}, {}
        for a in res['annotations']:
            per_frame.setdefault(a['image_id'], []).append(a['track_id'])
            per_person.setdefault(a['gt_person'], set()).add(a['track_id'])
        assert all(len(ids) == len(set(ids)) for ids in per_frame.values())
        assert all(len(ids) == 1 for ids in per_person.values()), per_person
        assert sorted(min(ids) for ids in per_person.values()) == list(range(len(per_person)))
