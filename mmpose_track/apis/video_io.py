"""Frame input and mp4 output of the video commands (``tools/track_video.py``,
``tools/detect_people.py``).

Inputs (:func:`open_frames`) are a video file (``.mp4 .avi .mov .mkv .webm``, decoded by OpenCV's
FFmpeg backend), a folder of frames (``.jpg .jpeg .png .bmp``) or a camera index; all give
``(frame_idx, BGR uint8 image, file_name)`` one frame at a time (a :class:`FrameSource` never holds
more than one decoded frame). Frame indices follow the project's one frame-index rule
(:func:`mmpose_track.structures.posetrack18_format.frame_indices`): for a folder, the number that
ends each file name when all carry one, else the position in name order; for a video file or a
camera, the decoding order. The output (:class:`VideoWriter`) is an mp4 (OpenCV, fourcc
``mp4v``).

Bad input raises :class:`VideoInputError` (a ``ValueError``) with one line naming the file.
OpenCV and FFmpeg's own log messages are silenced while a capture is opened or read: the one-line
error replaces them.

Public names: :data:`FRAME_EXTS`, :data:`VIDEO_EXTS`, :class:`VideoInputError`,
:func:`frame_files`, :func:`check_video_file`, :class:`FrameSourceInfo`, :class:`FrameSource`,
:func:`open_frames`, :class:`VideoWriter`, :data:`DEFAULT_FPS`.
"""
import contextlib
import math
import os
import os.path as osp
import warnings
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple, Union

import numpy as np

from mmpose_track.structures.posetrack18_format import frame_indices

#: file name endings of frame images (lower case)
FRAME_EXTS = ('.jpg', '.jpeg', '.png', '.bmp')
#: file name endings of video files (lower case)
VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm')
#: frame rate of a folder of frames, and of a video or camera that gives none (or a non-finite or
#: non-positive one)
DEFAULT_FPS = 25.0


class VideoInputError(ValueError):
    """A user mistake in the input: the message is one line naming the file."""


def _cv2():
    """OpenCV, with FFmpeg's own log silenced (set before the first capture opens)."""
    # our one-line error replaces FFmpeg's own messages ("moov atom not found"...)
    os.environ.setdefault('OPENCV_FFMPEG_LOGLEVEL', '-8')
    import cv2
    return cv2


@contextlib.contextmanager
def _quiet(cv2):
    """Silence OpenCV's own log (``[ERROR] ... cap_ffmpeg_impl ...``, camera warnings) inside."""
    get, put = getattr(cv2, 'getLogLevel', None), getattr(cv2, 'setLogLevel', None)
    if get is None or put is None:  # pragma: no cover - every OpenCV 4 wheel has them
        yield
        return
    level = get()
    put(0)  # silent
    try:
        yield
    finally:
        put(level)


def frame_files(folder: str) -> List[Tuple[int, str]]:
    """The frames of a frame folder, in frame order.

    Args:
        folder: a folder; its files ending in :data:`FRAME_EXTS` (any case) are the frames.

    Returns:
        ``(frame_idx, file)`` of every frame, sorted by frame index (the shared frame-index rule:
        the number ending each file name when all carry one, else the position in name order).

    Raises:
        PoseTrackFormatError: two files carry the same frame number (names both).
    """
    files = sorted(f for f in os.listdir(folder) if f.lower().endswith(FRAME_EXTS))
    idx = frame_indices(files, where=folder)
    return sorted(zip(idx, files))


def check_video_file(path: str) -> None:
    """Check that OpenCV opens a video file and decodes a first frame.

    Args:
        path: the video file.

    Raises:
        IOError: ``cannot open video PATH (...)`` or ``video PATH decodes no frame (...)``.
    """
    cv2 = _cv2()
    with _quiet(cv2):
        cap = cv2.VideoCapture(path)
        try:
            if not cap.isOpened():
                raise IOError(f'cannot open video {path} (not a video file OpenCV can decode)')
            if not cap.read()[0]:
                raise IOError(f'video {path} decodes no frame (empty or broken file)')
        finally:
            cap.release()


@dataclass
class FrameSourceInfo:
    """What :func:`open_frames` knows about a source once it has read the first frame.

    Attributes:
        name: the video file's stem, the folder's name, or ``'camera<N>'``.
        kind: ``'video'``, ``'folder'`` or ``'camera'``.
        fps: the container's (camera's) frame rate; :data:`DEFAULT_FPS` (25.0) for a folder and
            for a video / camera that gives none, a non-finite or a non-positive one.
        width: width of the first frame (pixels).
        height: height of the first frame (pixels).
        num_frames: the container's frame count for a video (may be off; ``None`` when it gives
            none), the number of images for a folder, ``None`` for a camera.
    """
    name: str
    kind: str
    fps: float
    width: int
    height: int
    num_frames: Optional[int]


def _fps(value: float) -> float:
    value = float(value)
    return value if math.isfinite(value) and value > 0 else DEFAULT_FPS


def _one_line(e: BaseException) -> str:
    lines = str(e).strip().splitlines()
    return lines[0] if lines else type(e).__name__


class FrameSource:
    """The frames of a video file, a frame folder or a camera, streamed; made by
    :func:`open_frames`.

    Iterate it (once) for ``(frame_idx, image, file_name)``: ``image`` a BGR uint8 ``(H, W, 3)``
    array; ``file_name`` ``'<name>/<NNNNNN>.jpg'`` (``NNNNNN`` = the frame index) for a video or a
    camera, ``'<name>/<file>'`` for a folder. It is a context manager (leaving closes it).

    Attributes:
        info: :class:`FrameSourceInfo`.
        path: the video file / folder, or the camera index as a string.
        frames_read: frames yielded so far.
        truncated: set when iterating a video ends because a frame did not decode (OpenCV's read
            failed) before ``max_frames`` frames were read and with fewer frames read than the
            container's frame count (``info.num_frames``); a one-line warning is issued then.
            OpenCV does not tell a decode failure from the end of the stream, so a container count
            that overstates the frames also sets it. Measured (OpenCV 4.11): an mp4 whose
            ``moov`` atom is at the front, cut to 60 % of its bytes, yields its first 14 of 30
            frames and sets ``truncated``; an mp4 whose ``moov`` atom is at the end (what OpenCV's
            and most cameras' writers make), cut anywhere, does not open at all
            (:func:`open_frames` raises ``cannot open video ...``); a cut that leaves no
            decodable frame raises ``... decodes no frame ...`` at open time.
    """

    def __init__(self, kind: str, path: str, info: FrameSourceInfo, first: np.ndarray,
                 cap=None, files: Optional[List[Tuple[int, str]]] = None,
                 max_frames: Optional[int] = None):
        self.kind, self.path, self.info = kind, path, info
        self.frames_read = 0
        self.truncated = False
        self._first: Optional[np.ndarray] = first
        self._cap, self._files, self._max = cap, files, max_frames
        self._closed = self._started = False

    # ------------------------------------------------------------------ iteration
    def __iter__(self) -> Iterator[Tuple[int, np.ndarray, str]]:
        if self._started:
            raise RuntimeError(f'the frames of {self.path} are read once: open it again')
        self._started = True
        return self._folder_frames() if self.kind == 'folder' else self._capture_frames()

    def _room(self) -> bool:
        return not self._closed and (self._max is None or self.frames_read < self._max)

    def _capture_frames(self) -> Iterator[Tuple[int, np.ndarray, str]]:
        cv2 = _cv2()
        name = self.info.name
        while self._room():
            if self._first is not None:
                img, self._first = self._first, None
            else:
                with _quiet(cv2):
                    ok, img = self._cap.read()
                if not ok or img is None:
                    n = self.info.num_frames
                    if (self.kind == 'video' and not self._closed and n is not None
                            and self.frames_read < n):
                        self.truncated = True
                        warnings.warn(
                            f'video {self.path}: a frame after frame {self.frames_read - 1} does '
                            f'not decode; {self.frames_read} of the {n} frames its container '
                            'lists were read (truncated or damaged file)', stacklevel=2)
                    break
            idx = self.frames_read
            self.frames_read += 1
            yield idx, img, f'{name}/{idx:06d}.jpg'
        self.close()

    def _folder_frames(self) -> Iterator[Tuple[int, np.ndarray, str]]:
        cv2 = _cv2()
        name, (w0, h0) = self.info.name, (self.info.width, self.info.height)
        f0 = self._files[0][1]
        for idx, f in self._files:
            if not self._room():
                break
            if self._first is not None:
                img, self._first = self._first, None
            else:
                img = _read_image(cv2, osp.join(self.path, f))
                h, w = img.shape[:2]
                if (w, h) != (w0, h0):  # e.g. an EXIF rotation the header check cannot see
                    raise VideoInputError(_size_message(self.path, f, w, h, f0, w0, h0))
            self.frames_read += 1
            yield idx, img, f'{name}/{f}'
        self.close()

    # ------------------------------------------------------------------ closing
    def close(self) -> None:
        """Release the capture (idempotent); iteration stops after it."""
        self._closed = True
        self._first = None
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def __enter__(self) -> 'FrameSource':
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f'FrameSource({self.path!r}, {self.info})'


def _read_image(cv2, path: str) -> np.ndarray:
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise VideoInputError(f'cannot read image {path}')
    return img


def _size_message(folder: str, f: str, w: int, h: int, f0: str, w0: int, h0: int) -> str:
    return (f'{osp.join(folder, f)} is {w}x{h}, the first frame {osp.join(folder, f0)} is '
            f'{w0}x{h0}: every frame of a video must have one size')


def _open_folder(path: str, max_frames: Optional[int]) -> FrameSource:
    try:
        files = frame_files(path)
    except ValueError as e:  # two frames with one number (PoseTrackFormatError)
        raise VideoInputError(_one_line(e)) from None
    if not files:
        raise VideoInputError(f'no images ({" ".join(FRAME_EXTS)}) in folder {path}')
    from PIL import Image
    sizes = []
    for _, f in files:  # the headers only: every size checked before a frame is decoded
        try:
            with Image.open(osp.join(path, f)) as im:
                sizes.append(im.size)
        except Exception:  # noqa: BLE001 - PIL raises several types for a bad file
            raise VideoInputError(f'cannot read image {osp.join(path, f)}') from None
        if sizes[-1] != sizes[0]:
            (w, h), (w0, h0) = sizes[-1], sizes[0]
            raise VideoInputError(_size_message(path, f, w, h, files[0][1], w0, h0))
    cv2 = _cv2()
    first = _read_image(cv2, osp.join(path, files[0][1]))
    h, w = first.shape[:2]
    if (w, h) != sizes[0]:
        raise VideoInputError(
            f'{osp.join(path, files[0][1])} decodes to {w}x{h} but its header says '
            f'{sizes[0][0]}x{sizes[0][1]} (EXIF rotation?): every frame of a video must have '
            'one size')
    name = osp.basename(osp.normpath(path))
    info = FrameSourceInfo(name=name, kind='folder', fps=DEFAULT_FPS, width=int(w), height=int(h),
                           num_frames=len(files))
    return FrameSource('folder', path, info, first, files=files, max_frames=max_frames)


def _open_capture(kind: str, path: str, target: Union[str, int],
                  max_frames: Optional[int]) -> FrameSource:
    cv2 = _cv2()
    with _quiet(cv2):
        cap = cv2.VideoCapture(target)
        ok, first = (cap.read() if cap.isOpened() else (False, None))
    try:
        if kind == 'camera':
            if not cap.isOpened():
                raise VideoInputError(f'cannot open camera {target}')
            if not ok or first is None:
                raise VideoInputError(f'camera {target} gives no frame')
            name, num = f'camera{target}', None
        else:
            if not cap.isOpened():
                raise VideoInputError(f'cannot open video {path} (not a video file OpenCV can '
                                      'decode, or a damaged / truncated one)')
            if not ok or first is None:
                raise VideoInputError(f'video {path} decodes no frame (empty or broken file)')
            name = osp.splitext(osp.basename(path))[0]
            count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
            num = int(count) if math.isfinite(count) and count > 0 else None
    except VideoInputError:
        cap.release()
        raise
    h, w = first.shape[:2]
    info = FrameSourceInfo(name=name, kind=kind, fps=_fps(cap.get(cv2.CAP_PROP_FPS)),
                           width=int(w), height=int(h), num_frames=num)
    return FrameSource(kind, path, info, first, cap=cap, max_frames=max_frames)


def open_frames(source: Union[str, int], max_frames: Optional[int] = None) -> FrameSource:
    """Open a video file, a folder of frames or a camera, and read its first frame.

    The first frame is read now (so ``info.width`` / ``info.height`` are known and a source that
    gives no frame fails here), and is the first one yielded. For a folder, every image's size is
    checked now from its header (PIL reads the header only); an image that does not decode is
    found when it is reached.

    Args:
        source: a path to a video file (:data:`VIDEO_EXTS`) or to a folder of frames
            (:data:`FRAME_EXTS`), or a camera index: an ``int`` or a string of digits that is not
            an existing path.
        max_frames: stop after this many frames (``None``: all; a camera has no end).

    Returns:
        A :class:`FrameSource` (iterate it once; close it, or use it as a context manager).

    Raises:
        VideoInputError: one line naming the file: ``input not found: PATH``;
            ``not a video file or a folder of frames: PATH`` (a file of another extension);
            ``cannot open video PATH (...)`` (not a video OpenCV decodes; an mp4 cut short
            whose ``moov`` atom is at the end); ``video PATH decodes no frame (...)`` (an empty
            file, a container without a decodable frame); ``no images (.jpg .jpeg .png .bmp) in
            folder PATH``; ``FILE is WxH, the first frame FILE0 is W0xH0: every frame of a video
            must have one size``; ``cannot read image FILE`` (now, or when iterating reaches
            it); two frames of a folder with one number (the message of
            :func:`~mmpose_track.structures.posetrack18_format.frame_indices`);
            ``cannot open camera N``; ``camera N gives no frame``.
        ValueError: ``max_frames`` < 1.
    """
    if max_frames is not None and int(max_frames) < 1:
        raise ValueError(f'max_frames must be >= 1 (or None), got {max_frames}')
    if isinstance(source, (int, np.integer)) and not isinstance(source, bool):
        return _open_capture('camera', str(int(source)), int(source), max_frames)
    path = os.fspath(source)
    if not osp.exists(path):
        if path.strip().isdigit():
            return _open_capture('camera', path.strip(), int(path), max_frames)
        raise VideoInputError(f'input not found: {path}')
    if osp.isdir(path):
        return _open_folder(path, max_frames)
    if osp.splitext(path)[1].lower() not in VIDEO_EXTS:
        raise VideoInputError(f'not a video file or a folder of frames: {path}')
    if osp.getsize(path) == 0:
        raise VideoInputError(f'video {path} decodes no frame (empty or broken file)')
    return _open_capture('video', path, path, max_frames)


class VideoWriter:
    """Write BGR frames to an mp4 file (OpenCV ``cv2.VideoWriter``, fourcc ``mp4v``).

    The file is opened on the first frame, whose size is the video's; the parent folder is made
    then. A later frame of another size is resized to it (``cv2.resize``, bilinear). If no frame
    is written, no file is made (an existing file at ``path`` is then left as it is). A context
    manager (leaving closes it).

    Args:
        path: the output ``.mp4`` file.
        fps: frame rate, finite and > 0.

    Attributes:
        frames_written: frames written so far.

    Raises:
        ValueError: ``fps`` not finite or <= 0.
    """

    def __init__(self, path: str, fps: float):
        fps = float(fps)
        if not (math.isfinite(fps) and fps > 0):
            raise ValueError(f'fps must be finite and > 0, got {fps}')
        self.path, self.fps = os.fspath(path), fps
        self.frames_written = 0
        self._writer = None
        self._size: Optional[Tuple[int, int]] = None
        self._closed = False

    def write(self, frame: np.ndarray) -> None:
        """Append a frame.

        Args:
            frame: BGR uint8 ``(H, W, 3)`` image; resized to the first frame's size if it differs.

        Raises:
            ValueError: not a uint8 ``(H, W, 3)`` array, or the writer is closed.
            IOError: OpenCV cannot open ``path`` for writing.
        """
        if self._closed:
            raise ValueError(f'VideoWriter {self.path} is closed')
        frame = np.asarray(frame)
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3 or 0 in frame.shape:
            raise ValueError(f'a frame must be a BGR uint8 (H, W, 3) array, got {frame.dtype} '
                             f'{frame.shape}')
        cv2 = _cv2()
        if self._writer is None:
            h, w = frame.shape[:2]
            d = osp.dirname(osp.abspath(self.path))
            os.makedirs(d, exist_ok=True)
            writer = cv2.VideoWriter(self.path, cv2.VideoWriter_fourcc(*'mp4v'), self.fps, (w, h))
            if not writer.isOpened():
                writer.release()
                raise IOError(f'cannot write video {self.path} (OpenCV\'s mp4v writer does not '
                              'open it)')
            self._writer, self._size = writer, (w, h)
        if (frame.shape[1], frame.shape[0]) != self._size:
            frame = cv2.resize(frame, self._size, interpolation=cv2.INTER_LINEAR)
        self._writer.write(np.ascontiguousarray(frame))
        self.frames_written += 1

    def close(self) -> None:
        """Finish the file so that it plays (idempotent)."""
        self._closed = True
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def __enter__(self) -> 'VideoWriter':
        return self

    def __exit__(self, *exc) -> None:
        self.close()
