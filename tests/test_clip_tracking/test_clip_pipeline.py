"""The clip-tracking video pipeline for one video (Sec. 3.2-3.3): tubes -> tracks -> one pose per
person and frame, on hand-made tracklets whose answer is known."""
import numpy as np
import pytest

from mmpose_track.tracking import track_video_from_tubes


def _pose(seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-1, 1, (17, 2)) * [40, 100]
    return np.concatenate([xy, np.ones((17, 1))], 1)


def _person(seed, x0, vx):
    base = _pose(seed)
    return lambda f: base + [x0 + vx * f, 200, 0]


def _tubes(people, keyframes, T, num_frames, missed=()):
    """One tube per (keyframe, person detected there): the person's pose in the tube's frames
    (cut to the video), scored 0.9."""
    fids, kpts, keys, who = [], [], [], []
    for key in keyframes:
        frames = np.arange(max(0, key - T // 2), min(num_frames, key + T // 2 + 1))
        for p, pose in enumerate(people):
            if (key, p) in missed:
                continue
            k = np.stack([pose(f) for f in frames])
            k[..., 2] = 0.9
            fids.append(frames)
            kpts.append(k)
            keys.append(key)
            who.append(p)
    return fids, kpts, keys, who


@pytest.mark.parametrize('merge', ['baseline', 'spatial_temporal'])
def test_two_walkers_one_track_each_and_exact_poses(merge):
    people = [_person(0, 100, 4), _person(1, 500, -4)]
    fids, kpts, keys, _ = _tubes(people, range(10), T=3, num_frames=10)
    out = track_video_from_tubes(fids, kpts, keys, merge=merge)
    assert len(out) == 10
    for f, fr in enumerate(out):
        np.testing.assert_array_equal(fr['track_ids'], [0, 1])  # ids by first appearance
        # identical hypotheses: every merge returns the pose itself
        for t, pose in zip(fr['track_ids'], (people[0](f), people[1](f))):
            np.testing.assert_allclose(fr['keypoints'][t, :, :2], pose[:, :2], atol=1e-9)
            np.testing.assert_allclose(fr['keypoints'][t, :, 2], 0.9)


def test_baseline_merge_takes_the_most_confident_hypothesis():
    """Frame 2 of one walker is covered by the tubes of keyframes 1, 2, 3 (T = 3), each shifted
    by its keyframe and scored 0.5 / 0.9 / 0.7: the baseline merge returns keyframe 2's."""
    person = _person(0, 100, 0)
    fids, kpts, keys = [], [], []
    for key, score in ((1, 0.5), (2, 0.9), (3, 0.7)):
        frames = np.arange(key - 1, key + 2)
        k = np.stack([person(f) for f in frames]) + [key, 0, 0]
        k[..., 2] = score
        fids.append(frames)
        kpts.append(k)
        keys.append(key)
    out = track_video_from_tubes(fids, kpts, keys, merge='baseline')
    np.testing.assert_allclose(out[2]['keypoints'][0], person(2) + [2, 0, 0.9 - 1.0])
    assert [len(fr['track_ids']) for fr in out] == [1, 1, 1, 1, 1]


def test_frame_missed_by_the_detector_is_recovered_from_neighbouring_tubes():
    """Sec. 3.1's point: keyframe 4 has no detection of person 1, yet person 1 gets a pose in
    frame 4 (from the tubes of keyframes 3 and 5) and keeps its track."""
    people = [_person(0, 100, 4), _person(1, 500, -4)]
    fids, kpts, keys, _ = _tubes(people, range(9), T=3, num_frames=9, missed={(4, 1)})
    out = track_video_from_tubes(fids, kpts, keys, merge='spatial_temporal')
    np.testing.assert_array_equal(out[4]['track_ids'], [0, 1])
    np.testing.assert_allclose(out[4]['keypoints'][1, :, :2], people[1](4)[:, :2], atol=1e-9)
    assert all(len(fr['track_ids']) == 2 for fr in out)


def test_tracklets_that_never_overlap_stay_apart_and_short_tracks_drop():
    """The same person seen by keyframes 0 and 8 only (T = 3): no shared frame, two tracks;
    min_track_length = 4 drops both (3 and 2 posed frames); a video of 2 frames with T = 5 tubes
    cut to it works."""
    person = _person(0, 100, 0)
    fids, kpts, keys, _ = _tubes([person], (0, 8), T=3, num_frames=10)
    out = track_video_from_tubes(fids, kpts, keys, num_frames=10)
    assert out[0]['track_ids'].tolist() == [0] and out[8]['track_ids'].tolist() == [1]
    assert [len(fr['track_ids']) for fr in out] == [1, 1, 0, 0, 0, 0, 0, 1, 1, 1]
    dropped = track_video_from_tubes(fids, kpts, keys, num_frames=10, min_track_length=4)
    assert all(len(fr['track_ids']) == 0 for fr in dropped)
    short = track_video_from_tubes(*_tubes([person], (0, 1), T=5, num_frames=2)[:3])
    assert [fr['track_ids'].tolist() for fr in short] == [[0], [0]]


def test_no_tubes_and_bad_input():
    out = track_video_from_tubes([], [], [], num_frames=3)
    assert [len(fr['track_ids']) for fr in out] == [0, 0, 0]
    k = np.zeros((2, 17, 3))
    with pytest.raises(ValueError, match='outside'):
        track_video_from_tubes([np.array([2, 3])], [k], [2], num_frames=3)
    with pytest.raises(ValueError, match='merge must be'):
        track_video_from_tubes([np.array([0, 1])], [k], [0], merge='mean')
    with pytest.raises(ValueError, match=r'expected \(3, K, 3\)'):
        track_video_from_tubes([np.array([0, 1, 2])], [k], [0])
    with pytest.raises(ValueError, match='one entry per tracklet'):
        track_video_from_tubes([np.array([0, 1])], [k], [])
