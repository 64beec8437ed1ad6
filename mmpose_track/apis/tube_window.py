"""The frames a stream must hold for the person tubes of clip models (Wang et al. 2020, Sec. 3.2).

A Clip Tracking Network sees, for each person detected in a keyframe ``p`` (every ``S``-th
frame), a tube cut from the ``T`` frames ``p - T//2 .. p + T - 1 - T//2`` (the keyframe at
position ``T // 2``, the video's border frames replicated: the dataset's rule,
:func:`~mmpose_track.datasets.datasets.posetrack18_clip_dataset.clip_frame_indices`). Reading a
video as a stream, :class:`TubeWindow` keeps only the frames that a tube still to be cut needs:
a keyframe's tube can be cut once its last frame has been read (or the video has ended), and
frames older than ``T // 2`` before the oldest keyframe still waiting are released. So a stream
holds about ``T`` frames plus the keyframes waiting for the detector, whatever the video's length.
Importing needs nothing beyond the standard library.
"""
from collections import deque
from typing import Any, Iterable, List, Optional

__all__ = ['TubeWindow']


class TubeWindow:
    """Frames of a stream, by position ``0, 1, ...``, held while a keyframe's tube needs them.

    Args:
        clip_len: ``T >= 1``, frames per tube.
        keyframe_step: ``S >= 1``; keyframes are the positions ``p`` with ``p % S == 0`` (the
            dataset's ``keyframe_step``).

    Raises:
        ValueError: ``clip_len`` or ``keyframe_step`` below 1.
    """

    def __init__(self, clip_len: int, keyframe_step: int = 1) -> None:
        if int(clip_len) < 1 or int(keyframe_step) < 1:
            raise ValueError(f'TubeWindow: clip_len and keyframe_step must be >= 1, got '
                             f'{clip_len!r} and {keyframe_step!r}')
        self.clip_len = int(clip_len)
        self.keyframe_step = int(keyframe_step)
        self.before = self.clip_len // 2  # frames of a tube before its keyframe
        self.after = self.clip_len - 1 - self.before  # and after it
        self._frames: deque = deque()  # the frames held, positions first .. count - 1
        self._first = 0  # position of _frames[0]
        self.count = 0  # frames pushed so far

    @property
    def held(self) -> int:
        """How many frames are held now."""
        return len(self._frames)

    def push(self, frame: Any) -> int:
        """Add the next frame of the stream; returns its position."""
        self._frames.append(frame)
        self.count += 1
        return self.count - 1

    def is_keyframe(self, position: int) -> bool:
        return position % self.keyframe_step == 0

    def frame(self, position: int) -> Any:
        """The frame at ``position`` (it must still be held).

        Raises:
            IndexError: the frame was released or not pushed yet.
        """
        if not self._first <= position < self.count:
            raise IndexError(f'TubeWindow: frame {position} is not held (frames '
                             f'{self._first}..{self.count - 1} are)')
        return self._frames[position - self._first]

    def ready(self, keyframes: Iterable[int], ended: bool = False) -> List[int]:
        """The keyframes among ``keyframes`` whose tube can be cut now: its last frame has been
        read, or the stream has ``ended`` (then every one), in increasing order."""
        return sorted(p for p in keyframes if ended or p + self.after < self.count)

    def tube_positions(self, keyframe: int) -> List[int]:
        """The ``T`` positions of the keyframe's tube, clamped to the frames read: the
        dataset's :func:`clip_frame_indices` with every frame listed (call it once
        :meth:`ready` returned the keyframe)."""
        from mmpose_track.datasets.datasets.posetrack18_clip_dataset import clip_frame_indices
        # the frames a tube can reach: a small range, not the whole video
        near = range(max(0, keyframe - self.before), min(self.count, keyframe + self.after + 1))
        return clip_frame_indices(keyframe, self.clip_len, self.count, near)

    def release(self, oldest_waiting: Optional[int] = None) -> None:
        """Drop the frames no tube still to be cut needs: those before ``T // 2`` frames ahead
        of the oldest keyframe still ``waiting`` (for its boxes or its last frame), or of the
        next frame to be read when none waits."""
        keep_from = self.count if oldest_waiting is None else min(int(oldest_waiting),
                                                                  self.count)
        keep_from -= self.before
        while self._frames and self._first < keep_from:
            self._frames.popleft()
            self._first += 1
