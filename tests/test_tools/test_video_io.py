"""mmpose_track.apis.video_io: the frame sources (a real mp4 and its jpg frames, checked against
OpenCV read directly), the mp4 writer round trip, and every bad input ending in one line naming
the file (truncated mp4s with the ``moov`` atom at the end and at the front included)."""
import os
import os.path as osp
import struct
import subprocess
import sys
import warnings

# before the first capture of this process, as the library does (else FFmpeg's own log prints)
os.environ.setdefault('OPENCV_FFMPEG_LOGLEVEL', '-8')
import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mmpose_track.apis.video_io import (  # noqa: E402
    DEFAULT_FPS, FRAME_EXTS, VIDEO_EXTS, VideoInputError, VideoWriter, check_video_file,
    frame_files, open_frames)


@pytest.fixture(scope='module')
def clip_dir(shared_data):
    return osp.join(shared_data, 'posetrack18', 'videos', '000001_mpiinew_test')


def _direct_read(path):
    cap = cv2.VideoCapture(path)
    info = (cap.get(cv2.CAP_PROP_FPS), int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)), int(cap.get(cv2.CAP_PROP_FRAME_COUNT)))
    frames = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    cap.release()
    return info, frames


def _one_line_error(excinfo, *parts):
    msg = str(excinfo.value)
    assert '\n' not in msg, msg
    for p in parts:
        assert p in msg, msg
    return msg


# ------------------------------------------------------------------------------ real data
def test_real_video_equals_direct_opencv_read(clip_dir):
    path = osp.join(clip_dir, '000001_mpiinew_test.mp4')
    (fps, w, h, count), ref = _direct_read(path)
    assert len(ref) == 5  # the clip's 5 frames (the 5 jpgs next to it)
    with open_frames(path) as src:
        assert src.info.kind == 'video' and src.info.name == '000001_mpiinew_test'
        assert (src.info.fps, src.info.width, src.info.height, src.info.num_frames) == \
            (fps, w, h, count) == (30.0, 1280, 720, 5)
        frames = list(src)
        assert src.frames_read == 5 and not src.truncated
    assert [f[0] for f in frames] == [0, 1, 2, 3, 4]
    assert [f[2] for f in frames] == [f'000001_mpiinew_test/{i:06d}.jpg' for i in range(5)]
    for (_, img, _), r in zip(frames, ref):
        assert img.dtype == np.uint8 and img.shape == (720, 1280, 3)
        np.testing.assert_array_equal(img, r)  # decoding is deterministic


def test_real_frame_folder(clip_dir):
    with open_frames(clip_dir) as src:
        assert (src.info.kind, src.info.name, src.info.fps, src.info.width, src.info.height,
                src.info.num_frames) == ('folder', '000001_mpiinew_test', 25.0, 1280, 720, 5)
        frames = list(src)
    assert [f[0] for f in frames] == [0, 1, 2, 3, 4]
    assert [f[2] for f in frames] == [f'000001_mpiinew_test/{i:06d}.jpg' for i in range(5)]
    for i, img, _ in frames:
        np.testing.assert_array_equal(img, cv2.imread(osp.join(clip_dir, f'{i:06d}.jpg')))


def test_max_frames(clip_dir):
    with open_frames(osp.join(clip_dir, '000001_mpiinew_test.mp4'), max_frames=2) as src:
        assert [f[0] for f in src] == [0, 1]
        assert src.frames_read == 2 and not src.truncated  # stopped by max_frames: not cut
    with open_frames(clip_dir, max_frames=3) as src:
        assert [f[2][-10:] for f in src] == ['000000.jpg', '000001.jpg', '000002.jpg']
    with pytest.raises(ValueError, match='max_frames'):
        open_frames(clip_dir, max_frames=0)


def test_context_manager_closes(clip_dir):
    with open_frames(osp.join(clip_dir, '000001_mpiinew_test.mp4')) as src:
        it = iter(src)
        next(it)
        cap = src._cap
        assert cap.isOpened()
    assert not cap.isOpened() and src._cap is None
    src.close()  # idempotent
    assert list(it) == [] and src.frames_read == 1 and not src.truncated
    with pytest.raises(RuntimeError, match='read once'):
        iter(src)


# ------------------------------------------------------------------------------ synthetic
def _frame(i, w=64, h=48):
    """A frame that differs from the others: a gray level and a white bar at column i."""
    img = np.full((h, w, 3), (i * 8) % 256, np.uint8)
    img[:, i % w:i % w + 5] = 255
    return img


def _write_mp4(path, n=30, fps=10.0, size=(64, 48)):
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), fps, size)
    for i in range(n):
        w.write(_frame(i, *size))
    w.release()
    return str(path)


def _atoms(d, start=0, end=None):
    """(offset, size, type, header size) of the ISO-BMFF boxes in d[start:end]."""
    end = len(d) if end is None else end
    i = start
    while i + 8 <= end:
        size, typ = struct.unpack('>I4s', d[i:i + 8])
        hdr = 8
        if size == 1:
            size, hdr = struct.unpack('>Q', d[i + 8:i + 16])[0], 16
        elif size == 0:
            size = end - i
        yield i, size, typ, hdr
        i += size


def _moov_to_front(d):
    """qt-faststart: the 'moov' box moved before 'mdat', chunk offsets shifted by its size."""
    top = list(_atoms(d))
    i0, n0 = [(i, s) for i, s, t, _ in top if t == b'moov'][0]
    moov = bytearray(d[i0:i0 + n0])

    def fix(start, end):
        for i, size, typ, hdr in _atoms(moov, start, end):
            if typ in (b'trak', b'mdia', b'minf', b'stbl'):
                fix(i + hdr, i + size)
            elif typ in (b'stco', b'co64'):
                fmt, w = ('>I', 4) if typ == b'stco' else ('>Q', 8)
                for k in range(struct.unpack('>I', moov[i + 12:i + 16])[0]):
                    o = i + 16 + k * w
                    struct.pack_into(fmt, moov, o, struct.unpack(fmt, moov[o:o + w])[0] + n0)

    fix(8, n0)
    out = b''
    for i, size, typ, _ in top:
        if typ == b'mdat':
            out += bytes(moov)
        if typ != b'moov':
            out += d[i:i + size]
    return out, [t for _, _, t, _ in top].index(b'mdat')


def test_synthetic_video_and_moov_front_copy(tmp_path):
    path = _write_mp4(tmp_path / 'clip.mp4')
    (fps, w, h, count), ref = _direct_read(path)
    assert (fps, w, h, count, len(ref)) == (10.0, 64, 48, 30, 30)
    d = open(path, 'rb').read()
    assert [t for _, _, t, _ in _atoms(d)][-1] == b'moov'  # OpenCV writes moov at the end
    front, _ = _moov_to_front(d)
    (tmp_path / 'front.mp4').write_bytes(front)
    with open_frames(str(tmp_path / 'front.mp4')) as src:
        assert (src.info.fps, src.info.num_frames, src.info.width, src.info.height) == \
            (10.0, 30, 64, 48)
        for (i, img, name), r in zip(src, ref):
            np.testing.assert_array_equal(img, r)  # the same stream, other box order
        assert src.frames_read == 30 and not src.truncated
    assert name == 'front/000029.jpg'


def test_truncated_videos(tmp_path):
    """Measured: moov at the end, cut to 60 %: does not open. Moov at the front, cut to 60 %:
    the frames before the damage (14 of 30 here), ``truncated`` and one warning. Cut right after
    the moov box (no frame data): 'decodes no frame'."""
    d = open(_write_mp4(tmp_path / 'clip.mp4'), 'rb').read()
    _, ref = _direct_read(str(tmp_path / 'clip.mp4'))
    end_cut = tmp_path / 'end_cut.mp4'
    end_cut.write_bytes(d[:int(0.6 * len(d))])
    with pytest.raises(VideoInputError) as e:
        open_frames(str(end_cut))
    _one_line_error(e, f'cannot open video {end_cut}')

    front, _ = _moov_to_front(d)
    front_cut = tmp_path / 'front_cut.mp4'
    front_cut.write_bytes(front[:int(0.6 * len(front))])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        with open_frames(str(front_cut)) as src:
            assert src.info.num_frames == 30
            frames = list(src)
    assert 0 < len(frames) < 30 and src.frames_read == len(frames) and src.truncated
    assert len(frames) == 14  # measured with OpenCV 4.11 / this writer
    for (i, img, _), r in zip(frames[:-1], ref):  # the last one may be partly decoded
        np.testing.assert_array_equal(img, r)
    msgs = [str(w.message) for w in caught if str(front_cut) in str(w.message)]
    assert len(msgs) == 1 and '\n' not in msgs[0] and f'{len(frames)} of the 30 frames' in msgs[0]

    mdat = [i for i, _, t, _ in _atoms(front) if t == b'mdat'][0]
    no_data = tmp_path / 'no_data.mp4'
    no_data.write_bytes(front[:mdat + 8])  # the whole moov box and the mdat header, no frame
    with pytest.raises(VideoInputError) as e:
        open_frames(str(no_data))
    _one_line_error(e, f'video {no_data} decodes no frame')


def test_bad_videos_print_nothing_but_the_warning(tmp_path, repo_root):
    """In a fresh process (FFmpeg and OpenCV log to file descriptor 2): the errors are the only
    output, no 'moov atom not found' nor OpenCV's '[ERROR]' lines."""
    d = open(_write_mp4(tmp_path / 'clip.mp4'), 'rb').read()
    (tmp_path / 'end_cut.mp4').write_bytes(d[:int(0.6 * len(d))])
    front, _ = _moov_to_front(d)
    (tmp_path / 'front_cut.mp4').write_bytes(front[:int(0.6 * len(front))])
    (tmp_path / 'front_head.mp4').write_bytes(front[:int(0.1 * len(front))])  # inside moov
    code = (
        'import sys\n'
        'from mmpose_track.apis.video_io import open_frames, VideoInputError\n'
        'for p in sys.argv[1:]:\n'
        '    try:\n'
        '        with open_frames(p) as s:\n'
        '            print(p, sum(1 for _ in s), s.truncated)\n'
        '    except VideoInputError as e:\n'
        '        print(e)\n')
    env = dict(os.environ, PYTHONPATH=repo_root + os.pathsep + os.environ.get('PYTHONPATH', ''),
               PYTHONWARNINGS='ignore')
    env.pop('OPENCV_FFMPEG_LOGLEVEL', None)
    files = [str(tmp_path / f) for f in ('end_cut.mp4', 'front_cut.mp4', 'front_head.mp4')]
    res = subprocess.run([sys.executable, '-c', code] + files, capture_output=True, text=True,
                         timeout=60, env=env)
    assert res.returncode == 0 and res.stderr == '', res.stderr
    lines = res.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f'cannot open video {files[0]} (')
    assert lines[1] == f'{files[1]} 14 True'
    assert lines[2].startswith(f'cannot open video {files[2]} (')


def test_video_errors(tmp_path):
    missing = tmp_path / 'nope.mp4'
    with pytest.raises(VideoInputError) as e:
        open_frames(str(missing))
    assert str(e.value) == f'input not found: {missing}'

    text = tmp_path / 'x.mp4'
    text.write_text('not a video\n')
    with pytest.raises(VideoInputError) as e:
        open_frames(str(text))
    _one_line_error(e, f'cannot open video {text} (')
    with pytest.raises(IOError, match='cannot open video'):
        check_video_file(str(text))

    empty = tmp_path / 'empty.mp4'
    empty.write_bytes(b'')
    with pytest.raises(VideoInputError) as e:
        open_frames(str(empty))
    assert str(e.value) == f'video {empty} decodes no frame (empty or broken file)'

    img = tmp_path / 'one.jpg'
    cv2.imwrite(str(img), _frame(0))
    with pytest.raises(VideoInputError) as e:
        open_frames(str(img))
    assert str(e.value) == f'not a video file or a folder of frames: {img}'

    for cam in (99, '99'):
        with pytest.raises(VideoInputError) as e:
            open_frames(cam)
        assert str(e.value) == 'cannot open camera 99'


def _folder(tmp_path, name, frames):
    d = tmp_path / name
    d.mkdir()
    for f, img in frames.items():
        cv2.imwrite(str(d / f), img)
    return d


def test_folder_order_and_names(tmp_path):
    """Frame numbers in the names (not name order) give index and order (the shared rule)."""
    d = _folder(tmp_path, 'clip', {f'f_{k}.png': _frame(k) for k in (10, 2, 7)})
    (d / 'notes.txt').write_text('x')
    assert frame_files(str(d)) == [(2, 'f_2.png'), (7, 'f_7.png'), (10, 'f_10.png')]
    with open_frames(str(d) + '/') as src:
        assert (src.info.name, src.info.num_frames, src.info.width, src.info.height) == \
            ('clip', 3, 64, 48)
        got = list(src)
    assert [(i, n) for i, _, n in got] == [(2, 'clip/f_2.png'), (7, 'clip/f_7.png'),
                                           (10, 'clip/f_10.png')]
    for (i, img, _) in got:
        np.testing.assert_array_equal(img, _frame(i))  # png: lossless


def test_folder_errors(tmp_path):
    d = tmp_path / 'none'
    d.mkdir()
    (d / 'a.txt').write_text('x')
    with pytest.raises(VideoInputError) as e:
        open_frames(str(d))
    assert str(e.value) == f'no images (.jpg .jpeg .png .bmp) in folder {d}'

    d = _folder(tmp_path, 'mixed', {'000000.png': _frame(0), '000001.png': _frame(1),
                                    '000002.png': _frame(2, 80, 48)})
    with pytest.raises(VideoInputError) as e:
        open_frames(str(d))
    assert str(e.value) == (f'{d}/000002.png is 80x48, the first frame {d}/000000.png is 64x48: '
                            'every frame of a video must have one size')

    d = _folder(tmp_path, 'dup', {'f_2.png': _frame(0), 'f_02.png': _frame(1)})
    with pytest.raises(VideoInputError) as e:
        open_frames(str(d))
    _one_line_error(e, str(d), 'f_02.png', 'f_2.png')

    d = _folder(tmp_path, 'badhdr', {'000000.png': _frame(0)})
    (d / '000001.png').write_text('not an image')  # PIL cannot read its header: at open time
    with pytest.raises(VideoInputError) as e:
        open_frames(str(d))
    assert str(e.value) == f'cannot read image {d}/000001.png'

    d = _folder(tmp_path, 'baddata', {'000000.png': _frame(0), '000001.png': _frame(1)})
    data = (d / '000001.png').read_bytes()
    (d / '000001.png').write_bytes(data[:60] + bytes(len(data) - 60))  # header fine, data not
    with open_frames(str(d)) as src:
        it = iter(src)
        assert next(it)[0] == 0
        with pytest.raises(VideoInputError) as e:  # found when iteration reaches it
            next(it)
    assert str(e.value) == f'cannot read image {d}/000001.png'


# ------------------------------------------------------------------------------ writer
def test_video_writer_round_trip(tmp_path):
    out = tmp_path / 'sub' / 'out.mp4'
    with VideoWriter(str(out), fps=10) as w:
        assert not out.exists()  # opened on the first frame
        for i in range(6):
            w.write(_frame(i, 80, 60))
        w.write(_frame(6, 40, 30))  # another size: resized to the first's
        assert w.frames_written == 7
    w.close()  # twice is fine
    (fps, width, height, count), frames = _direct_read(str(out))
    assert (fps, width, height, count, len(frames)) == (10.0, 80, 60, 7, 7)
    for i, img in enumerate(frames[:6]):  # lossy codec: near the input
        assert np.abs(img.astype(float) - _frame(i, 80, 60)).mean() < 8
    with open_frames(str(out)) as src:  # and the frame source reads it back
        assert src.info.num_frames == 7 and len(list(src)) == 7

    none = tmp_path / 'none.mp4'
    w = VideoWriter(str(none), fps=25)
    w.close()
    w.close()
    assert w.frames_written == 0 and not none.exists()
    with pytest.raises(ValueError, match='fps'):
        VideoWriter(str(none), fps=0)
    with pytest.raises(ValueError, match='uint8'):
        VideoWriter(str(none), fps=25).write(np.zeros((4, 4), np.uint8))


def test_constants_and_detect_people_use_them(repo_root):
    assert FRAME_EXTS == ('.jpg', '.jpeg', '.png', '.bmp')
    assert VIDEO_EXTS == ('.mp4', '.avi', '.mov', '.mkv', '.webm')
    assert DEFAULT_FPS == 25.0 and issubclass(VideoInputError, ValueError)
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        '_detect_people', osp.join(repo_root, 'tools', 'detect_people.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.frame_files is frame_files and mod.check_video_file is check_video_file
    assert mod.FRAME_EXTS is FRAME_EXTS and mod.VIDEO_EXTS is VIDEO_EXTS
