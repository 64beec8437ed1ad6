"""Motion models, camera-motion compensation from the poses and ByteTrack's two-stage
association of PoseTracker (issue 13), against hand-computed answers and MMDet's own filter."""
import numpy as np
import pytest

from mmpose_track.tracking import build_tracker
from mmpose_track.tracking.camera_motion import estimate_camera_motion, fit_similarity_transform
from mmpose_track.tracking.motion import (KalmanBoxMotion, KeypointVelocityMotion,
                                          xyah_to_xyxy, xyxy_to_xyah)

K = 17


def _pose(x, y, h=80.0, score=0.9, seed=0):
    """(K, 3) joints of a standing figure centred at (x, y), height h."""
    rng = np.random.default_rng(seed)
    rel = np.stack([rng.uniform(-0.2, 0.2, K), np.linspace(-0.5, 0.5, K)], 1)
    return np.concatenate([rel * h + [x, y], np.full((K, 1), score)], 1)


def _oks_tracker(**kw):
    return build_tracker(dict(
        type='PoseTracker', similarity=dict(type='OKSSimilarity'),
        assigner=dict(type='HungarianAssigner', match_thr=0.3),
        memory=dict(type='TrackMemory', num_frames_retain=5, **kw.pop('memory', {})), **kw))


# ------------------------------------------------------------------ motion models
def test_kalman_batched_equals_mmdet_per_track():
    from mmdet.models.task_modules.tracking import KalmanFilter
    kf = KalmanFilter()
    rng = np.random.default_rng(0)
    boxes0 = np.concatenate([rng.uniform(0, 500, (5, 2)), rng.uniform(40, 120, (5, 2))], 1)
    boxes0[:, 2:] += boxes0[:, :2]
    motion = KalmanBoxMotion()
    motion.start(np.zeros((5, K, 3)), boxes0)
    ref = [kf.initiate(xyxy_to_xyah(b[None])[0]) for b in boxes0]
    boxes = boxes0
    for step in range(1, 6):
        gaps = np.array([1, 1, 2, 1, 3])
        new = boxes + rng.normal(0, 3, boxes.shape) + [5, 0, 5, 0]
        motion.observe(np.arange(5), np.zeros((5, K, 3)), boxes, np.zeros((5, K, 3)), new, gaps)
        for i in range(5):
            mean, cov = ref[i]
            for _ in range(gaps[i]):
                mean, cov = kf.predict(mean, cov)
            ref[i] = kf.update(mean, cov, xyxy_to_xyah(new[i:i + 1])[0])
        boxes = new
    np.testing.assert_allclose(motion.mean, np.stack([r[0] for r in ref]), rtol=1e-9, atol=1e-8)
    np.testing.assert_allclose(motion.cov, np.stack([r[1] for r in ref]), rtol=1e-9, atol=1e-8)
    # prediction of all tracks = MMDet's predict per track
    _, pred = motion.predict(np.zeros((5, K, 3)), boxes, np.ones(5, int))
    want = np.stack([kf.predict(*r)[0][:4] for r in ref])
    np.testing.assert_allclose(pred, xyah_to_xyxy(want), atol=1e-8)


def test_kalman_constant_velocity_box_prediction():
    """A box moving 10 px right and 2 px down per frame: after 60 exact observations the
    prediction of the next frame is the hand-computed box (to 0.02 px: the filter converges),
    and the joints follow it."""
    motion = KalmanBoxMotion()
    box = np.array([[100., 50., 140., 150.]])
    kpts = _pose(120, 100)[None]
    motion.start(kpts, box)
    for t in range(1, 61):
        new = box + [10, 2, 10, 2]
        motion.observe(np.array([0]), kpts, box, kpts + [10, 2, 0], new, np.array([1]))
        box, kpts = new, kpts + [10, 2, 0]
    pk, pb = motion.predict(kpts, box, np.array([1]))
    np.testing.assert_allclose(pb, box + [10, 2, 10, 2], atol=0.02)
    np.testing.assert_allclose(pk, kpts + [10, 2, 0], atol=0.02)
    pk3, pb3 = motion.predict(kpts, box, np.array([3]))  # three frames ahead
    np.testing.assert_allclose(pb3, box + [30, 6, 30, 6], atol=0.06)


def test_keypoint_velocity_by_hand():
    motion = KeypointVelocityMotion(momentum=0.0)
    a = _pose(100, 100)[None]
    motion.start(a, np.zeros((1, 4)))
    b = a + [4, -2, 0]
    b[0, 3, 2] = 0  # joint 3 missed at the new observation: keeps its velocity (0)
    motion.observe(np.array([0]), a, np.zeros((1, 4)), b, np.zeros((1, 4)), np.array([2]))
    pk, pb = motion.predict(b, np.array([[0., 0., 10., 10.]]), np.array([3]))
    want = b[..., :2] + np.array([2, -1]) * 3
    want[0, 3] = b[0, 3, :2]
    np.testing.assert_allclose(pk[..., :2], want)
    shift = np.where(np.arange(K)[:, None] == 3, 0, [2, -1]).mean(0) * 3
    np.testing.assert_allclose(pb[0], [shift[0], shift[1], 10 + shift[0], 10 + shift[1]])


# ------------------------------------------------------------------ camera motion
def test_fit_similarity_transform_recovers_a_known_one():
    rng = np.random.default_rng(1)
    src = rng.uniform(0, 300, (20, 2))
    th, s, t = 0.1, 1.2, np.array([30., -15.])
    rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    dst = s * src @ rot.T + t
    np.testing.assert_allclose(fit_similarity_transform(src, dst),
                               np.concatenate([s * rot, t[:, None]], 1), atol=1e-9)


def test_estimate_camera_motion_pan_zoom_and_static():
    people = np.stack([_pose(80 + 60 * i, 120, seed=i) for i in range(5)])
    boxes = np.concatenate([people[..., :2].min(1), people[..., :2].max(1)], 1)
    # a pan of +60 px (one person spacing) and a 10 % zoom about the origin
    t = np.array([[1.1, 0, 60.], [0, 1.1, 5.]])
    moved = people.copy()
    moved[..., :2] = people[..., :2] @ t[:, :2].T + t[:, 2]
    mboxes = np.concatenate([moved[..., :2].min(1), moved[..., :2].max(1)], 1)
    est = estimate_camera_motion(people, boxes, moved[[2, 0, 4, 1]], mboxes[[2, 0, 4, 1]])
    np.testing.assert_allclose(est, t, atol=1e-6)
    # a static camera with one person walking: the identity
    step = people.copy()
    step[0, :, 0] += 7
    sb = np.concatenate([step[..., :2].min(1), step[..., :2].max(1)], 1)
    np.testing.assert_array_equal(estimate_camera_motion(people, boxes, step, sb), np.eye(2, 3))
    assert estimate_camera_motion(people[:0], boxes[:0], step, sb) is None


def _pan_video(pan_at=5, pan=60.0, frames=10):
    """5 people 60 px apart walking right 1 px / frame; at frame ``pan_at`` the camera pans and
    every person jumps ``pan`` px right (one spacing): person i lands where person i + 1 was."""
    out = []
    for f in range(frames):
        off = pan if f >= pan_at else 0.0
        out.append(np.stack([_pose(80 + 60 * i + f + off, 120, seed=i) for i in range(5)]))
    return out


@pytest.mark.parametrize('motion', [None, dict(type='KalmanBoxMotion'),
                                    dict(type='KeypointVelocityMotion')])
def test_pan_keeps_identities_with_compensation_only(motion):
    mem = {} if motion is None else dict(motion=motion)
    for comp, expect_kept in ((None, False), (dict(), True)):
        tracker = _oks_tracker(camera_motion=comp, memory=mem)
        ids = [tracker.update(k, None, f) for f, k in enumerate(_pan_video())]
        kept = all((i == ids[0]).all() for i in ids)
        assert kept == expect_kept, (comp, motion, ids)
    # the transform found at the pan: the offset of the cut, to the pixel
    tracker = _oks_tracker(camera_motion=dict())
    for f, k in enumerate(_pan_video()):
        tracker.update(k, None, f)
        if f == 5:
            np.testing.assert_allclose(tracker.last_camera_transform[:, 2], [60, 0], atol=1.5)


def _cut_video(frames=8, cut_at=4):
    """A cut to another angle of the scene at ``cut_at``: the view jumps (x' = 1.3 x - 200,
    y' = 1.3 y - 30), so of six people 50 px apart only persons 4 and 5 stay in view (at x'
    99 and 164) and two people come into it (x' 250 and 300, near the old places of persons 4
    and 5). People walk 1 px / frame. Returns the poses per frame and the true transform."""
    cut = np.array([[1.3, 0, -200.], [0, 1.3, -30.]])
    out = []
    for f in range(frames):
        people = np.stack([_pose(30 + 50 * i + f, 120, seed=i) for i in range(6)])
        if f >= cut_at:
            people[..., :2] = people[..., :2] @ cut[:, :2].T + cut[:, 2]
            people = np.concatenate([people[4:], np.stack(
                [_pose(250 + f, 126, h=104, seed=10), _pose(300 + f, 126, h=104, seed=11)])])
        out.append(people)
    return out, cut


def test_cut_to_another_angle_keeps_the_people_who_stay_in_view():
    """Two of six people survive the jump of the view; the motion that two people agree on,
    with nobody left where the identity would put them, is found to the pixel (the local
    refit corrects the zoom that one pair of boxes proposes), the two keep their ids and the
    newcomers get new ones. Without compensation the survivors lose theirs."""
    video, cut = _cut_video()
    tracker = _oks_tracker(camera_motion=dict())
    ids = []
    for f, k in enumerate(video):
        ids.append(tracker.update(k, None, f).tolist())
        if f == 4:
            # people walk 1 px between frames: the found motion includes that step
            want = cut.copy()
            want[0, 2] += 1.3
            np.testing.assert_allclose(tracker.last_camera_transform, want, atol=0.05)
    assert ids[0] == [0, 1, 2, 3, 4, 5]
    assert all(i == [4, 5, 6, 7] for i in ids[4:]), ids
    plain = _oks_tracker()
    plain_ids = [plain.update(k, None, f).tolist() for f, k in enumerate(video)]
    assert plain_ids[4][:2] != [4, 5], plain_ids


# ------------------------------------------------------------------ track lifecycle
@pytest.mark.parametrize('min_hits', [1, 2])
def test_tentative_track_is_forgotten_at_its_first_miss(min_hits):
    """Person A walks through frames 0-5. A false detection F appears in frame 1 only, at x =
    300; in frame 3 a new person B appears at the same place. Kept lost (min_hits = 1), F's track
    is re-activated by B, who inherits F's id; as a tentative track (min_hits = 2, seen once) it
    was popped at frame 2 and B gets a new id. A, confirmed, keeps id 0 through its own miss at
    frame 4 either way."""
    tracker = _oks_tracker(memory=dict(min_hits=min_hits))
    a = [_pose(100 + 2 * f, 120) for f in range(6)]
    f_pose, b_pose = _pose(300, 120, seed=3), _pose(301, 121, seed=3)
    frames = [[a[0]], [a[1], f_pose], [a[2]], [a[3], b_pose], [b_pose + [1, 0, 0]],
              [a[5], b_pose + [2, 0, 0]]]
    ids = [tracker.update(np.stack(k), None, f).tolist() for f, k in enumerate(frames)]
    b_id = 1 if min_hits == 1 else 2
    assert ids == [[0], [0, 1], [0], [0, b_id], [b_id], [0, b_id]], ids
    with pytest.raises(ValueError, match='min_hits'):
        _oks_tracker(memory=dict(min_hits=0))


# ------------------------------------------------------------------ two-stage association
def test_low_score_detection_continues_its_track_in_the_second_round():
    tracker = _oks_tracker(score_thrs=dict(high=0.6))
    a, b = _pose(100, 120), _pose(300, 120, seed=1)
    assert tracker.update(np.stack([a, b]), None, 0).tolist() == [0, 1]
    # frame 1: b is half occluded (score 0.3), a has a confident and a low-score duplicate
    low_b = b.copy()
    low_b[:, 2] = 0.3
    dup_a = a.copy()
    dup_a[:, 2] = 0.3
    a1 = a + [1.5, 0, 0]
    ids = tracker.update(np.stack([dup_a, a1, low_b]), None, 1)
    # the confident a1 continues track 0 (first round) although the duplicate sits exactly on
    # the old position; the low-score b continues track 1 (second round); the duplicate gets a
    # new id (kept, not dropped)
    assert ids.tolist() == [2, 0, 1]
    one_stage = _oks_tracker()
    one_stage.update(np.stack([a, b]), None, 0)
    assert one_stage.update(np.stack([dup_a, a1, low_b]), None, 1).tolist() == [0, 2, 1]
    with pytest.raises(ValueError, match='score_thrs takes high'):
        _oks_tracker(score_thrs=dict(low=0.1))


# ------------------------------------------------------------------ offline stitching
@pytest.mark.parametrize('gap', [2, 4, 6])
def test_stitching_gives_back_the_id_after_a_gap_of_at_most_max_gap(gap):
    """Two people walking 3 px / frame; person 1 is not detected for ``gap`` frames. The online
    tracker (previous frame only) gives it a new id; finalize() stitches it back when the gap is
    at most max_gap = 4 frames, and min_track_length counts the stitched track."""
    tracker = build_tracker(dict(
        type='PoseTracker', similarity=dict(type='OKSSimilarity'),
        assigner=dict(type='HungarianAssigner', match_thr=0.3),
        memory=dict(type='TrackMemory', num_frames_retain=1), min_track_length=12,
        stitch=dict(max_gap=4, sim_thr=0.3)))
    raw = []
    for f in range(20):
        people = [_pose(100 + 3 * f, 120)]
        if not 8 <= f < 8 + gap:
            people.append(_pose(300 - 3 * f, 120, seed=1))
        raw.append(tracker.update(np.stack(people), None, f))
    assert raw[-1].tolist() == [0, 2]  # online: a new id after the gap
    remap = tracker.finalize()
    ids = [np.array([remap[int(t)] for t in r]) for r in raw]
    if gap <= 4:  # stitched: id 1 again, and 20 - gap >= 12 frames long
        assert remap == {0: 0, 1: 1, 2: 1}
        assert all(i.tolist() in ([0, 1], [0]) for i in ids)
    else:  # not stitched: both pieces (8 and 6 frames) are shorter than 12: dropped
        assert remap == {0: 0, 1: -1, 2: -1}


def test_track_tool_applies_stitched_ids(tmp_path):
    import json
    from mmpose_track.apis.tracking import track_video
    images = [dict(id=i, file_name=f'v/{i:06d}.jpg', frame_id=i) for i in range(12)]
    anns = []
    for f in range(12):
        anns.append(dict(image_id=f, keypoints=_pose(100 + 3 * f, 120).ravel().tolist()))
        if not 5 <= f < 7:
            anns.append(dict(image_id=f,
                             keypoints=_pose(300 - 3 * f, 120, seed=1).ravel().tolist()))
    data = dict(images=images, annotations=anns)
    cfg = dict(type='PoseTracker', similarity=dict(type='OKSSimilarity'),
               memory=dict(type='TrackMemory', num_frames_retain=1))
    plain = track_video(data, build_tracker(cfg))
    stitched = track_video(data, build_tracker(dict(cfg, stitch=dict(max_gap=3))))
    ids = lambda d: sorted({a['track_id'] for a in d['annotations']})  # noqa: E731
    assert ids(plain) == [0, 1, 2] and ids(stitched) == [0, 1]
    assert json.dumps(stitched)  # plain JSON


# ------------------------------------------------------------------ gap filling
def test_gap_fill_in_the_track_tool_and_the_stream():
    """A person not detected in frames 5-6 of 12 is stitched back and the two missed frames are
    filled with the linear interpolation of frames 4 and 7, scores halved."""
    from mmengine.structures import InstanceData
    from mmpose.structures import PoseDataSample

    from mmpose_track.apis.tracking import track_video
    from mmpose_track.tracking import VideoTrackingStream
    walk = lambda f: _pose(300 - 3 * f, 120, seed=1)  # noqa: E731
    cfg = dict(type='PoseTracker', similarity=dict(type='OKSSimilarity'),
               memory=dict(type='TrackMemory', num_frames_retain=1),
               stitch=dict(max_gap=3), interpolate=dict(max_gap=3, score_factor=0.5))
    images = [dict(id=i, file_name=f'v/{i:06d}.jpg', frame_id=i) for i in range(12)]
    anns = [dict(image_id=f, keypoints=_pose(100 + 3 * f, 120).ravel().tolist())
            for f in range(12)]
    anns += [dict(image_id=f, keypoints=walk(f).ravel().tolist()) for f in range(12)
             if not 5 <= f < 7]
    out = track_video(dict(images=images, annotations=anns), build_tracker(cfg))
    filled = [a for a in out['annotations'] if a.get('interpolated')]
    assert sorted(a['image_id'] for a in filled) == [5, 6]
    other = {a['track_id'] for a in out['annotations'] if a['image_id'] == 4} - \
        {a['track_id'] for a in out['annotations'] if a['keypoints'][0] < 200}
    for a in filled:
        f = a['image_id']
        kp = np.asarray(a['keypoints']).reshape(K, 3)
        np.testing.assert_allclose(kp[:, :2], walk(4)[:, :2] + (walk(7) - walk(4))[:, :2]
                                   * (f - 4) / 3, atol=1e-9)
        np.testing.assert_allclose(kp[:, 2], 0.45)
        assert {a['track_id']} == other  # the stitched track's id
    # the same in the tracking stream: frames 5 and 6 get the person back
    stream = VideoTrackingStream(cfg, num_keypoints=K)
    samples = []
    for f in range(12):
        people = [_pose(100 + 3 * f, 120)] + ([] if 5 <= f < 7 else [walk(f)])
        k = np.stack(people)
        s = PoseDataSample(metainfo=dict(video_id='v', frame_idx=f, img_id=f))
        s.pred_instances = InstanceData(keypoints=k[..., :2], keypoint_scores=k[..., 2],
                                        keypoints_visible=k[..., 2])
        samples.append(s)
    frames = stream.push(samples) + stream.flush()
    assert [len(fr.pred_instances) for fr in frames] == [2] * 12
    for f in (5, 6):
        pred = frames[f].pred_instances
        np.testing.assert_allclose(pred.keypoint_scores[1], 0.45, atol=1e-6)
        np.testing.assert_allclose(pred.keypoints_visible[1], 0.45, atol=1e-6)
        assert len(set(pred.track_ids.tolist())) == 2
    assert len({int(fr.pred_instances.track_ids[1]) for fr in frames}) == 1


@pytest.mark.parametrize('extra', [dict(), dict(camera_motion=dict()),
                                   dict(memory=dict(motion=dict(type='KalmanBoxMotion')),
                                        camera_motion=dict(), score_thrs=dict(high=0.6))])
def test_shot_cut_keeps_the_ids_appearance_supports(extra):
    """4 people with distinct embeddings; at frame 6 a shot cut puts them elsewhere, in another
    order and size. Appearance keeps the ids of the 3 whose embedding is unchanged; the 4th,
    whose embedding changed (seen from another side), gets a new id. Motion and camera
    compensation must not spoil this."""
    rng = np.random.default_rng(3)
    emb = rng.normal(size=(4, 64))
    seen_from_behind = rng.normal(size=64)  # person 3's embedding after the cut
    before = [(60 + 70 * i, 120) for i in range(4)]
    after = [(400, 300), (150, 320), (520, 280), (260, 310)]
    cfg = dict(type='PoseTracker',
               similarity=dict(type='IoUAppearanceSimilarity', iou_weight=0.5,
                               appearance_weight=0.5),
               assigner=dict(type='HungarianAssigner', match_thr=0.3),
               memory=dict(type='TrackMemory', num_frames_retain=10, feature_momentum=0.5,
                           **extra.get('memory', {})),
               **{k: v for k, v in extra.items() if k != 'memory'})
    tracker = build_tracker(cfg)
    for f in range(10):
        cut = f >= 6
        pts, h = (after, 100.0) if cut else (before, 80.0)
        kpts = np.stack([_pose(x + (0 if cut else f), y, h=h, seed=i)
                         for i, (x, y) in enumerate(pts)])
        e = emb.copy()
        if cut:
            e[3] = seen_from_behind  # person 3 looks different after the cut
        ids = tracker.update(kpts, None, f, embeddings=e)
        if f == 0:
            first = ids.copy()
        if f == 6:
            at_cut = ids.copy()
    assert ids[:3].tolist() == first[:3].tolist()
    assert ids[3] not in first.tolist() and ids[3] == at_cut[3]  # one new id, then kept
