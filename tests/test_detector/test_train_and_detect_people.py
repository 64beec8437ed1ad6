"""A short epoch of the tiny detector on a tiny synthetic set (MMEngine Runner via
tools/train.py), then tools/detect_people.py writes a human-detections file that
PoseTrack18FrameDataset reads; frames without detections and missing images."""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

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
    with DefaultScope.overwrite_default_scope('mmdet'):
        return detect_people.main(list(args))


def test_detect_people_writes_file_that_frame_dataset_reads(trained, tiny_synthetic, tmp_path):
    ann = osp.join(tiny_synthetic, 'annotations', 'posetrack18_val.json')
    out = str(tmp_path / 'dets.json')
    # score floor 0 in R-CNN: an epoch-old detector still gives boxes
    dets = _detect(TINY, trained, '--ann-file', ann, '--out', out, '--cfg-options',
                   'model.test_cfg.rcnn.score_thr=0.0')
    assert json.load(open(out)) == dets and len(dets) > 0
    images = {i['id'] for i in json.load(open(ann))['images']}
    for d in dets:
        assert set(d) == {'image_id', 'category_id', 'bbox', 'score'}
        assert d['image_id'] in images and d['category_id'] == 1
        assert len(d['bbox']) == 4 and d['bbox'][2] >= 0 and d['bbox'][3] >= 0
    from mmpose_track.datasets.datasets.posetrack18_frame_dataset import PoseTrack18FrameDataset
    ds = PoseTrack18FrameDataset(ann_file=ann, bbox_file=out, data_mode='topdown',
                                 test_mode=True, pipeline=[], data_root='')
    assert len(ds) == len(dets)
    assert {ds[i]['img_id'] for i in range(len(ds))} <= images
    # GBG config, same checkpoint: runs; a score floor nothing passes gives an empty, valid file
    _detect(TINY_GBG, trained, '--ann-file', ann, '--out', out)
    assert isinstance(json.load(open(out)), list)
    assert _detect(TINY, trained, '--ann-file', ann, '--out', out, '--score-thr', '1.0') == []
    assert json.load(open(out)) == []


def test_detect_people_on_video_folder(trained, tiny_synthetic, tmp_path):
    src = osp.join(tiny_synthetic, 'images', 'val')
    videos = tmp_path / 'videos'
    video = sorted(os.listdir(src))[0]
    shutil.copytree(osp.join(src, video), videos / video)
    out, frames = str(tmp_path / 'dets.json'), str(tmp_path / 'frames.json')
    dets = _detect(TINY, trained, '--video-dir', str(videos), '--out', out, '--out-ann', frames,
                   '--cfg-options', 'model.test_cfg.rcnn.score_thr=0.0')
    imgs = json.load(open(frames))['images']
    assert len(imgs) == len(os.listdir(videos / video))
    vid = int(video.split('_')[0])
    assert [i['id'] for i in imgs] == [10_000_000_000 + vid * 10000 + k for k in range(len(imgs))]
    from mmpose_track.datasets.datasets.posetrack18_frame_dataset import PoseTrack18FrameDataset
    ds = PoseTrack18FrameDataset(ann_file=frames, bbox_file=out, data_root=str(videos),
                                 data_mode='topdown', test_mode=True, pipeline=[])
    assert len(ds) == len(dets) and ds.frames[0]['video_id'] == video


def test_missing_image_is_named(tiny_synthetic, tmp_path):
    ann = json.load(open(osp.join(tiny_synthetic, 'annotations', 'posetrack18_val.json')))
    ann['images'][1]['file_name'] = 'images/val/nowhere/000123.jpg'
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps(ann))
    with pytest.raises(FileNotFoundError, match=r'nowhere/000123\.jpg.*image id'):
        _detect(TINY, 'unused.pth', '--ann-file', str(bad), '--data-root', tiny_synthetic,
                '--out', str(tmp_path / 'x.json'))
