"""A short epoch of the tiny detector on a tiny synthetic set (MMEngine Runner via
tools/train.py), then tools/detect_people.py writes a human-detections file that
PoseTrack18FrameDataset reads; frames without detections; the video-file branch (a real mp4)
with a randomly initialised detector; bad input ends in one line naming it (exit status 2)."""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import numpy as np
import pytest
from mmengine.registry import DefaultScope

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(REPO, 'configs', 'detectors', 'tiny', 'faster-rcnn_tiny_person_synthetic.py')
TINY_GBG = TINY.replace('.py', '_gbg.py')
sys.path.insert(0, osp.join(REPO, 'tools'))
import detect_people  # noqa: E402


@pytest.fixture(scope='module')
def trained(tmp_path_factory, tiny_synthetic):
    work = tmp_path_factory.mktemp('det')
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'train.py'), TINY, '--work-dir', str(work),
         '--cfg-options', f'train_dataloader.dataset.data_root={tiny_synthetic}',
         f'val_dataloader.dataset.data_root={tiny_synthetic}', 'train_cfg.max_epochs=1',
         'train_cfg.val_interval=100', 'default_hooks.checkpoint.interval=1',
         'default_hooks.checkpoint.save_best=None', 'default_hooks.logger.interval=1'],
        cwd=REPO, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'Epoch(train) [1][' in proc.stdout + proc.stderr
    return str(work / 'epoch_1.pth')


def _detect(*args):
    """Run the command in-process; its exit status."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        return detect_people.main(list(args))


def test_detect_people_writes_file_that_frame_dataset_reads(trained, tiny_synthetic, tmp_path):
    ann = osp.join(tiny_synthetic, 'annotations', 'posetrack18_val.json')
    out = str(tmp_path / 'dets.json')
    # score floor 0 in R-CNN: an epoch-old detector still gives boxes
    assert _detect(TINY, trained, '--ann-file', ann, '--out', out, '--cfg-options',
                   'model.test_cfg.rcnn.score_thr=0.0') == 0
    dets = json.load(open(out))
    assert dets, 'an epoch-old detector with score floor 0 finds boxes'
    images = {i['id']: i for i in json.load(open(ann))['images']}
    for d in dets:
        assert set(d) == {'image_id', 'category_id', 'bbox', 'score'}
        assert d['image_id'] in images and d['category_id'] == 1
        x, y, w, h = d['bbox']
        img = images[d['image_id']]
        assert w >= 0 and h >= 0 and 0 <= x <= x + w <= img['width'] + 1e-3
        assert 0 <= y <= y + h <= img['height'] + 1e-3
    from mmpose_track.datasets.datasets.posetrack18_frame_dataset import PoseTrack18FrameDataset
    ds = PoseTrack18FrameDataset(ann_file=ann, bbox_file=out, data_mode='topdown',
                                 test_mode=True, pipeline=[], data_root='')
    assert len(ds) == len(dets)
    assert {ds[i]['img_id'] for i in range(len(ds))} <= set(images)
    # GBG config, same checkpoint: runs; a score floor nothing passes gives an empty, valid file
    assert _detect(TINY_GBG, trained, '--ann-file', ann, '--out', out) == 0
    assert isinstance(json.load(open(out)), list)
    assert _detect(TINY, trained, '--ann-file', ann, '--out', out, '--score-thr', '1.0') == 0
    assert json.load(open(out)) == []


def test_keyframe_step_detects_every_s_th_frame_only(trained, tiny_synthetic, tmp_path):
    ann = osp.join(tiny_synthetic, 'annotations', 'posetrack18_val.json')
    every, step2 = str(tmp_path / 'all.json'), str(tmp_path / 's2.json')
    opts = ('--cfg-options', 'model.test_cfg.rcnn.score_thr=0.0')
    assert _detect(TINY, trained, '--ann-file', ann, '--out', every, *opts) == 0
    assert _detect(TINY, trained, '--ann-file', ann, '--out', step2, '--keyframe-step', '2',
                   *opts) == 0
    from mmpose_track.datasets.datasets.posetrack18_io import load_posetrack18
    index = {f['img_id']: f['frame_idx'] for f in load_posetrack18(ann)['frames']}
    # the same boxes on the even frames, none on the odd ones
    assert json.load(open(step2)) == [d for d in json.load(open(every))
                                      if index[d['image_id']] % 2 == 0]
    assert _detect(TINY, trained, '--ann-file', ann, '--out', step2, '--keyframe-step', '0') != 0


def test_detect_people_on_video_folder(trained, tiny_synthetic, tmp_path):
    src = osp.join(tiny_synthetic, 'images', 'val')
    videos = tmp_path / 'videos'
    video = sorted(os.listdir(src))[0]
    shutil.copytree(osp.join(src, video), videos / video)
    out, frames = str(tmp_path / 'dets.json'), str(tmp_path / 'frames.json')
    assert _detect(TINY, trained, '--video-dir', str(videos), '--out', out, '--out-ann', frames,
                   '--cfg-options', 'model.test_cfg.rcnn.score_thr=0.0') == 0
    dets = json.load(open(out))
    imgs = json.load(open(frames))['images']
    files = sorted(os.listdir(videos / video))
    assert [i['file_name'] for i in imgs] == [f'{video}/{f}' for f in files]
    vid = int(video.split('_')[0])
    # the frame index is the number in the file name (000000.jpg, ...)
    assert [i['id'] for i in imgs] == [10_000_000_000 + vid * 10000 + int(f[:-4]) for f in files]
    from mmpose_track.datasets.datasets.posetrack18_frame_dataset import PoseTrack18FrameDataset
    ds = PoseTrack18FrameDataset(ann_file=frames, bbox_file=out, data_root=str(videos),
                                 data_mode='topdown', test_mode=True, pipeline=[])
    assert len(ds) == len(dets) and ds.frames[0]['video_id'] == video


def test_missing_image_is_named(tiny_synthetic, tmp_path, capsys):
    ann = json.load(open(osp.join(tiny_synthetic, 'annotations', 'posetrack18_val.json')))
    img_id = ann['images'][1]['id']
    ann['images'][1]['file_name'] = 'images/val/nowhere/000123.jpg'
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps(ann))
    assert _detect(TINY, 'unused.pth', '--ann-file', str(bad), '--data-root', tiny_synthetic,
                   '--out', str(tmp_path / 'x.json')) == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and err.startswith('detect_people.py: error: ')
    assert 'nowhere/000123.jpg' in err and f'image id {img_id}' in err and str(bad) in err
    assert not (tmp_path / 'x.json').exists()


# ------------------------------------------------------------------------------ video files
REAL_VIDEO = '/work/shared/data/posetrack18/videos/000001_mpiinew_test'


@pytest.fixture(scope='module')
def random_detector(tmp_path_factory):
    """A checkpoint of the tiny detector with random weights: the video branch is checked on
    what it writes (images, ids, file names), not on detection quality."""
    import torch
    from mmdet.registry import MODELS
    from mmengine.config import Config
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(Config.fromfile(TINY).model)
        model.init_weights()
    path = tmp_path_factory.mktemp('random_det') / 'random.pth'
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(classes=('person', )))), path)
    return str(path)


@pytest.fixture
def real_video(tmp_path):
    """``videos/000001_mpiinew_test.mp4`` (5 real 1280x720 frames; the same frames as JPEG files
    next to it in the shared data)."""
    d = tmp_path / 'videos'
    d.mkdir()
    shutil.copy(osp.join(REAL_VIDEO, '000001_mpiinew_test.mp4'), d)
    return d


def test_video_file_branch_writes_one_image_per_decoded_frame(random_detector, real_video,
                                                              tmp_path):
    import cv2
    jpgs = sorted(f for f in os.listdir(REAL_VIDEO) if f.endswith('.jpg'))
    assert len(jpgs) == 5  # the shared data's README: 5 frames
    cap = cv2.VideoCapture(str(real_video / '000001_mpiinew_test.mp4'))
    container_count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    assert container_count == len(jpgs)
    out, frames, saved = (str(tmp_path / 'dets.json'), str(tmp_path / 'frames.json'),
                          tmp_path / 'frames')
    assert _detect(TINY, random_detector, '--video-dir', str(real_video), '--out', out,
                   '--out-ann', frames, '--save-frames', str(saved), '--cfg-options',
                   'model.test_cfg.rcnn.score_thr=0.0') == 0
    imgs = json.load(open(frames))['images']
    # one image per frame, frame index k = decoding order = the number of the written file
    n = len(jpgs)
    assert [i['id'] for i in imgs] == [10_000_000_000 + 1 * 10000 + k for k in range(n)]
    assert [i['frame_id'] for i in imgs] == [i['id'] for i in imgs]
    assert [i['file_name'] for i in imgs] == [
        osp.relpath(str(saved / '000001_mpiinew_test' / f'{k:06d}.jpg'), str(real_video))
        for k in range(n)]
    assert all(i['nframes'] == n and i['vid_id'] == '000001' and not i['is_labeled']
               and (i['width'], i['height']) == (1280, 720) for i in imgs)
    for i, jpg in zip(imgs, jpgs):  # the written frames are the video's frames
        written = cv2.imread(osp.join(str(real_video), i['file_name']))
        ref = cv2.imread(osp.join(REAL_VIDEO, jpg))
        assert written.shape == ref.shape == (720, 1280, 3)
        assert np.abs(written.astype(float) - ref).mean() < 8  # two lossy encodings
    dets = json.load(open(out))
    assert {d['image_id'] for d in dets} <= {i['id'] for i in imgs}
    # the image list and the detections read back as a dataset, frames in order
    from mmpose_track.datasets.datasets.posetrack18_frame_dataset import PoseTrack18FrameDataset
    ds = PoseTrack18FrameDataset(ann_file=frames, bbox_file=out, data_root=str(real_video),
                                 data_mode='topdown', test_mode=True, pipeline=[])
    assert [f['frame_idx'] for f in ds.frames] == list(range(n))


def test_broken_video_is_named(real_video, tmp_path):
    """The command (a process of its own: FFmpeg writes its messages to file descriptor 2)
    checks every video before the detector is built (the checkpoint is not even read) and ends
    with one line naming the file."""
    broken = real_video / '000002_broken.mp4'
    broken.write_bytes(b'\x00\x00\x00\x18ftypmp42' + bytes(range(256)) * 4)
    env = dict(os.environ, PYTHONWARNINGS='ignore',
               PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    res = subprocess.run([sys.executable, osp.join(REPO, 'tools', 'detect_people.py'), TINY,
                          'unused.pth', '--video-dir', str(real_video), '--out',
                          str(tmp_path / 'dets.json')], capture_output=True, text=True,
                         timeout=300, env=env)
    assert res.returncode == 2
    assert res.stderr.count('\n') == 1 and res.stderr.startswith('detect_people.py: error: ')
    assert str(broken) in res.stderr and 'cannot open video' in res.stderr
    assert not (tmp_path / 'dets.json').exists()


def test_frame_folder_follows_the_shared_frame_index_rule(tmp_path):
    """Frame numbers in the file names (not name order) give the frame index; no numbers: the
    position in name order; two files with one number: an error naming both."""
    folder = tmp_path / 'v' / '000003_clip'
    folder.mkdir(parents=True)
    for name in ('frame_10.jpg', 'frame_2.jpg', 'frame_7.png', 'notes.txt'):
        (folder / name).write_bytes(b'')
    frames = list(detect_people.frames_from_videos(str(tmp_path / 'v'), None))
    assert [f['frame_idx'] for f in frames] == [2, 7, 10]
    assert [f['file_name'] for f in frames] == ['000003_clip/frame_2.jpg',
                                                '000003_clip/frame_7.png',
                                                '000003_clip/frame_10.jpg']
    assert [f['img_id'] for f in frames] == [10_000_000_000 + 3 * 10000 + k for k in (2, 7, 10)]
    (folder / 'frame_x.jpg').write_bytes(b'')
    frames = list(detect_people.frames_from_videos(str(tmp_path / 'v'), None))
    assert [f['file_name'][12:] for f in frames] == ['frame_10.jpg', 'frame_2.jpg',
                                                     'frame_7.png', 'frame_x.jpg']
    assert [f['frame_idx'] for f in frames] == [0, 1, 2, 3]
    (folder / 'frame_x.jpg').unlink()
    (folder / 'frame_02.jpg').write_bytes(b'')
    with pytest.raises(ValueError, match='frame_02.jpg.*frame_2.jpg|frame_2.jpg.*frame_02.jpg'):
        list(detect_people.frames_from_videos(str(tmp_path / 'v'), None))
