"""The frames a stream must hold for the person tubes of clip models (Wang et al. 2020, Sec. 3.2).

A Clip Tracking Network sees, for each person detected in a keyframe ``p`` (a frame whose index is
a multiple of ``S``, as ``PoseTrack18ClipDataset(keyframe_step=S)`` picks them), a tube cut from
the ``T`` frames ``p - T//2 .. p + T - 1 - T//2`` (the keyframe at position ``T // 2``, the
video's border frames replicated: the dataset's rule,
:func:`~mmpose_track.datasets.datasets.posetrack18_clip_dataset.clip_frame_indices`). Reading a
video as a stream, :class:`TubeWindow` keeps the keyframes' bookkeeping and only the frames that a
tube still to be cut needs:

- keyframes go to the detector in batches of ``detect_batch``, or earlier, as soon as the oldest
  one's tube could be cut (so a keyframe never waits for its boxes longer than for its frames);
- a keyframe's tube can be cut once its boxes are known and its last frame has been read (or the
  video has ended);
- frames older than ``T // 2`` before the oldest keyframe still waiting are released.

So a stream holds at most ``T`` frames (after :meth:`release`), whatever the video's length,
``S`` or ``detect_batch``. Frames are addressed by their *position* in the stream (``0, 1, ...``);
a tube takes the frames read around its keyframe, so a folder with missing frame numbers gives
tubes of the frames that exist. Importing needs nothing beyond the standard library.
"""
from collections import deque
from typing import Any, Dict, List, Optional

__all__ = ['TubeWindow']


class TubeWindow:
    """Frames of a stream, by position, held while a keyframe's tube needs them.

    Args:
        clip_len: ``T >= 1``, frames per tube.
        keyframe_step: ``S >= 1``; keyframes are the frames whose index (the frame number given
            to :meth:`push`, by default the position) is a multiple of ``S``.
        detect_batch: keyframes per detector call at most (>= 1).

    Raises:
        ValueError: an argument below 1.
    """

    def __init__(self, clip_len: int, keyframe_step: int = 1, detect_batch: int = 1) -> None:
        if int(clip_len) < 1 or int(keyframe_step) < 1 or int(detect_batch) < 1:
            raise ValueError(f'TubeWindow: clip_len, keyframe_step and detect_batch must be >= 1, '
                             f'got {clip_len!r}, {keyframe_step!r} and {detect_batch!r}')
        self.clip_len = int(clip_len)
        self.keyframe_step = int(keyframe_step)
        self.detect_batch = int(detect_batch)
        self.before = self.clip_len // 2  # frames of a tube before its keyframe
        self.after = self.clip_len - 1 - self.before  # and after it
        self._frames: deque = deque()  # the frames held, positions _first .. count - 1
        self._first = 0  # position of _frames[0]
        self.count = 0  # frames pushed so far
        self.undetected: List[int] = []  # keyframes waiting for their boxes, in order
        self._boxes: Dict[int, Any] = {}  # keyframes with boxes, waiting for their tube

    @property
    def held(self) -> int:
        """How many frames are held now."""
        return len(self._frames)

    @property
    def waiting(self) -> List[int]:
        """The keyframes whose tubes are not cut yet (waiting for boxes or frames), in order."""
        return sorted(self.undetected + list(self._boxes))

    def push(self, frame: Any, index: Optional[int] = None) -> int:
        """Add the next frame of the stream (``index``: its frame number, which decides whether
        it is a keyframe; default its position); returns its position."""
        pos = self.count
        self._frames.append(frame)
        self.count += 1
        if (pos if index is None else int(index)) % self.keyframe_step == 0:
            self.undetected.append(pos)
        return pos

    def frame(self, position: int) -> Any:
        """The frame at ``position`` (it must still be held).

        Raises:
            IndexError: the frame was released or not pushed yet.
        """
        if not self._first <= position < self.count:
            raise IndexError(f'TubeWindow: frame {position} is not held (frames '
                             f'{self._first}..{self.count - 1} are)')
        return self._frames[position - self._first]

    def to_detect(self, ended: bool = False) -> List[int]:
        """The keyframes to send to the detector now: all those waiting for boxes when there are
        ``detect_batch`` of them, when the oldest one's tube could be cut, or when the stream has
        ``ended``; else none. Give their boxes back with :meth:`set_boxes`."""
        if not self.undetected:
            return []
        if ended or len(self.undetected) >= self.detect_batch or \
                self.undetected[0] + self.after < self.count:
            return list(self.undetected)
        return []

    def set_boxes(self, keyframes: List[int], boxes: List[Any]) -> None:
        """The detector's output (any object) for each of ``keyframes``."""
        for key, b in zip(keyframes, boxes):
            self._boxes[key] = b
        done = set(keyframes)
        self.undetected = [k for k in self.undetected if k not in done]

    def ready(self, ended: bool = False) -> List[int]:
        """The keyframes whose tube can be cut now (boxes known; last frame read, or the stream
        has ``ended``), in order. Each stays waiting until :meth:`cut_done`."""
        return sorted(k for k in self._boxes if ended or k + self.after < self.count)

    def boxes(self, keyframe: int) -> Any:
        """What :meth:`set_boxes` gave for ``keyframe``."""
        return self._boxes[keyframe]

    def cut_done(self, keyframe: int) -> None:
        """The keyframe's tubes are cut: it no longer waits."""
        del self._boxes[keyframe]

    def tube_positions(self, keyframe: int) -> List[int]:
        """The ``T`` positions of the keyframe's tube, clamped to the frames read: the
        dataset's :func:`clip_frame_indices` with every frame listed (call it once
        :meth:`ready` returned the keyframe)."""
        from mmpose_track.datasets.datasets.posetrack18_clip_dataset import clip_frame_indices
        # the frames a tube can reach: a small range, not the whole video
        near = range(max(0, keyframe - self.before), min(self.count, keyframe + self.after + 1))
        return clip_frame_indices(keyframe, self.clip_len, self.count, near)

    def release(self) -> None:
        """Drop the frames no tube still to be cut needs: those before ``T // 2`` frames ahead
        of the oldest keyframe still waiting, or of the next frame to be read when none
        waits."""
        waiting = self.waiting
        keep_from = min(waiting[0], self.count) if waiting else self.count
        keep_from -= self.before
        while self._frames and self._first < keep_from:
            self._frames.popleft()
            self._first += 1
