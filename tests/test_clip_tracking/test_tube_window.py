"""TubeWindow (mmpose_track/apis/tube_window.py): the tubes a frame stream cuts, checked against
the tube rule written out by hand, the keyframes it picks, and the frames it holds."""
import pytest

from mmpose_track.apis.tube_window import TubeWindow


def _stream(n, T, S, batch, first=0):
    """Drive the window as the inferencer does (frames numbered ``first, first + 1, ...``):
    detect what it asks, cut the tubes it says are ready, release; returns {keyframe position:
    the frames of its tube}, the detector calls, and the most frames held after a release."""
    win = TubeWindow(T, S, detect_batch=batch)
    cut, calls, most = {}, [], 0
    for f in range(n + 1):
        ended = f == n
        if not ended:
            assert win.push(f'frame{f}', index=first + f) == f
        keys = win.to_detect(ended)
        if keys:
            calls.append(keys)
            win.set_boxes(keys, [f'boxes{k}' for k in keys])
        for key in win.ready(ended):
            assert key not in cut and win.boxes(key) == f'boxes{key}'
            cut[key] = [win.frame(q) for q in win.tube_positions(key)]
            win.cut_done(key)
        win.release()
        most = max(most, win.held)
    assert win.waiting == [] and win.undetected == []
    return cut, calls, most


@pytest.mark.parametrize('n', [1, 2, 5, 13])
@pytest.mark.parametrize('T', [1, 3, 4, 9])
@pytest.mark.parametrize('S', [1, 2, 4, 12])
@pytest.mark.parametrize('batch', [1, 3])
def test_tubes_follow_the_rule_and_at_most_T_frames_are_held(n, T, S, batch):
    cut, calls, most = _stream(n, T, S, batch)
    # every keyframe once; frames t - T//2 .. t + T - 1 - T//2, clamped to the video
    assert sorted(cut) == list(range(0, n, S))
    for key, frames in cut.items():
        want = [f'frame{min(max(key + o, 0), n - 1)}' for o in range(-(T // 2), T - T // 2)]
        assert frames == want, (key, frames)
    # each keyframe detected once, at most `batch` a call
    assert sorted(k for c in calls for k in c) == list(range(0, n, S))
    assert all(len(c) <= batch for c in calls)
    # a keyframe waits for its boxes no longer than for its frames: at most T - 1 frames held
    assert most <= max(T - 1, 0)


def test_keyframes_by_frame_number():
    """A folder numbered from 000001 (ffmpeg's default) with S = 2: the keyframes are the even
    frame numbers, as PoseTrack18ClipDataset(keyframe_step=2) picks them (positions 1, 3)."""
    cut, _, _ = _stream(6, 3, 2, 1, first=1)
    assert sorted(cut) == [1, 3, 5]
    assert cut[1] == ['frame0', 'frame1', 'frame2']


def test_batches_fill_when_tubes_are_long():
    """T = 9, S = 1, detector batch 4: keyframes wait for their 4 later frames anyway, so the
    detector gets full batches of 4."""
    _, calls, _ = _stream(20, 9, 1, 4)
    assert [len(c) for c in calls[:4]] == [4, 4, 4, 4]


def test_released_frames_are_gone_and_bad_arguments():
    win = TubeWindow(3)
    for f in range(6):
        win.push(f)
    win.set_boxes(win.to_detect(), [None] * 6)
    for key in win.ready():
        if key < 4:
            win.cut_done(key)
    win.release()  # keyframe 4's tube is not cut yet: its frames from 3 on stay
    assert win.waiting == [4, 5] and win.held == 3 and win.frame(3) == 3
    with pytest.raises(IndexError, match='frame 2 is not held'):
        win.frame(2)
    with pytest.raises(IndexError, match='frame 6 is not held'):
        win.frame(6)
    for bad in (dict(clip_len=0), dict(clip_len=3, keyframe_step=0),
                dict(clip_len=3, detect_batch=0)):
        with pytest.raises(ValueError, match='must be >= 1'):
            TubeWindow(**bad)
