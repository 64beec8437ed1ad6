"""TubeWindow (mmpose_track/apis/tube_window.py): the tubes a frame stream cuts, checked against
the tube rule written out by hand, and the frames it holds."""
import pytest

from mmpose_track.apis.tube_window import TubeWindow


def _stream(n, T, S, batch):
    """Drive the window as the inferencer does: keyframes detected in batches of ``batch``,
    tubes cut once ready, frames released; returns {keyframe: the frames of its tube} and the
    most frames held at once."""
    win = TubeWindow(T, S)
    undetected, detected, cut, most = [], set(), {}, 0
    for f in range(n + 1):
        ended = f == n
        if not ended:
            pos = win.push(f'frame{f}')
            assert pos == f
            if win.is_keyframe(pos):
                undetected.append(pos)
        if undetected and (ended or len(undetected) >= batch):
            detected.update(undetected)
            undetected = []
        for key in win.ready(detected, ended):
            assert key not in cut
            cut[key] = [win.frame(q) for q in win.tube_positions(key)]
            detected.discard(key)
        win.release(min(undetected + list(detected), default=None))
        most = max(most, win.held)
    return cut, most


@pytest.mark.parametrize('n', [1, 2, 5, 13])
@pytest.mark.parametrize('T', [1, 3, 4, 9])
@pytest.mark.parametrize('S', [1, 2, 4])
@pytest.mark.parametrize('batch', [1, 3])
def test_tubes_follow_the_rule_and_few_frames_are_held(n, T, S, batch):
    cut, most = _stream(n, T, S, batch)
    # every keyframe once; frames t - T//2 .. t + T - 1 - T//2, clamped to the video
    assert sorted(cut) == list(range(0, n, S))
    for key, frames in cut.items():
        want = [f'frame{min(max(key + o, 0), n - 1)}' for o in range(-(T // 2), T - T // 2)]
        assert frames == want, (key, frames)
    # a tube's frames plus the keyframes waiting for the detector, whatever the video's length
    assert most <= T + batch * S


def test_released_frames_are_gone_and_bad_arguments():
    win = TubeWindow(3)
    for f in range(6):
        win.push(f)
    win.release(4)  # the tube of keyframe 4 starts at frame 3
    assert win.held == 3 and win.frame(3) == 3
    with pytest.raises(IndexError, match='frame 2 is not held'):
        win.frame(2)
    with pytest.raises(IndexError, match='frame 6 is not held'):
        win.frame(6)
    with pytest.raises(ValueError, match='must be >= 1'):
        TubeWindow(0)
    with pytest.raises(ValueError, match='must be >= 1'):
        TubeWindow(3, keyframe_step=0)
