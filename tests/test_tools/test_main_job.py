"""The README main job's pieces: tools/render_tracks.py on PoseTrack18 files (the drawing itself:
tests/test_engine/test_track_visualizer.py), and the whole pipeline of tools/quickstart.sh
(detector -> detections -> OGN -> tracking -> metric -> video) with 1-epoch models on a tiny set."""
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import pytest

from mmpose_track.apis.render import load_tracked_video
from mmpose_track.visualization import PoseTrackLocalVisualizer

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RENDER = osp.join(REPO, 'tools', 'render_tracks.py')


def _render(*args):
    return subprocess.run([sys.executable, RENDER, *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def test_render_tracks_tool_on_posetrack18_files(tiny_synthetic, tmp_path):
    gt_dir = osp.join(tiny_synthetic, 'annotations', 'val')
    name = sorted(os.listdir(gt_dir))[0][:-5]
    data = json.load(open(osp.join(gt_dir, name + '.json')))
    out = str(tmp_path / f'tracked_{name}.mp4')
    proc = _render(gt_dir, '--images-root', tiny_synthetic, '--video', name, '--out', out,
                   '--fps', '5')
    assert proc.returncode == 0, proc.stderr[-3000:]
    cap = cv2.VideoCapture(out)
    assert cap.isOpened()
    n = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        n += 1
        assert frame.shape[:2] == (data['images'][0]['height'], data['images'][0]['width'])
    assert n == len(data['images']) == int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    # people are drawn: the first labeled frame differs from the plain image
    frames = load_tracked_video(osp.join(gt_dir, name + '.json'), tiny_synthetic)
    assert [f.frame_idx for f in frames] == sorted(f.frame_idx for f in frames)
    k = next(i for i, f in enumerate(frames) if len(f.pred_instances))
    plain = cv2.imread(frames[k].img_path)
    drawn = PoseTrackLocalVisualizer(name='test_main_job').draw_tracked_poses(
        plain, frames[k].pred_instances)
    assert (drawn != plain).any()
    # one file instead of a folder; a video-id prefix
    proc = _render(osp.join(gt_dir, name + '.json'), '--images-root', tiny_synthetic, '--out',
                   str(tmp_path / 'one.mp4'))
    assert proc.returncode == 0 and osp.isfile(tmp_path / 'one.mp4'), proc.stderr[-2000:]
    # unknown video: the error names it and lists the videos there
    proc = _render(gt_dir, '--images-root', tiny_synthetic, '--video', 'nope', '--out',
                   str(tmp_path / 'x.mp4'))
    assert proc.returncode != 0 and "video 'nope' not found" in proc.stderr
    assert name in proc.stderr
    # missing image: the error names the file and the image id; no video is written
    empty = tmp_path / 'empty_root'
    empty.mkdir()
    proc = _render(gt_dir, '--images-root', str(empty), '--video', name, '--out',
                   str(tmp_path / 'y.mp4'))
    assert proc.returncode != 0 and 'image not found' in proc.stderr
    assert str(data['images'][0]['id']) in proc.stderr
    assert not osp.exists(tmp_path / 'y.mp4')


@pytest.mark.slow
def test_quickstart_pipeline_smoke(tmp_path):
    """tools/quickstart.sh end to end with 1-epoch models on 2+2 videos of 4 frames."""
    data, work = tmp_path / 'data', tmp_path / 'work'
    env = dict(os.environ, DATA=str(data), WORK_DIR=str(work), DET_EPOCHS='1', OGN_EPOCHS='1',
               MAX_FRAMES='4', GBG='1', BOX_THR='0.05', REID_ITERS='2', PYTHONPATH=REPO,
               MIM=f'{sys.executable} -m mim')
    proc = subprocess.run(['bash', osp.join(REPO, 'tools', 'quickstart.sh')], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    for v in ('nms', 'gbg', 'oks-greedy', 'iou-appearance'):
        if v in ('nms', 'gbg'):
            assert isinstance(json.load(open(work / f'dets_val_{v}.json')), list)
        metrics = json.load(open(work / f'metrics_{v}.json'))
        assert {'posetrack/AP', 'posetrack/MOTA', 'posetrack/HOTA'} <= set(metrics)
        preds = sorted(os.listdir(work / f'preds_{v}'))
        assert preds == sorted(os.listdir(data / 'annotations' / 'val'))
    videos = [f for f in os.listdir(work) if f.startswith('tracked_') and f.endswith('.mp4')]
    assert len(videos) == 1
    name = videos[0][len('tracked_'):-4]
    n = len(json.load(open(data / 'annotations' / 'val' / f'{name}.json'))['images'])
    assert cv2.VideoCapture(str(work / videos[0])).get(cv2.CAP_PROP_FRAME_COUNT) == n
    assert 'NMS' in log and 'GBG' in log and 'Stage wall times' in log
    assert 'OKS-greedy' in log and 'IoU + appearance' in log and 'reid_train' in log


@pytest.mark.slow
def test_quickstart_st_embed_smoke(tmp_path):
    """MAIN_JOB=st-embed end to end (stage 1 for 2 iterations) on 2+2 videos of 4 frames: the
    three stages chain their checkpoints and every Table 4 row writes metrics and prediction
    files; the table lists them."""
    data, work = tmp_path / 'data', tmp_path / 'work'
    env = dict(os.environ, DATA=str(data), WORK_DIR=str(work), MAIN_JOB='st-embed',
               MAX_FRAMES='4', S1_ITERS='2', PYTHONPATH=REPO, MIM=f'{sys.executable} -m mim')
    proc = subprocess.run(['bash', osp.join(REPO, 'tools', 'quickstart.sh')], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    assert f'load_from={work}/st_embed/s1/iter_2.pth' in log  # stage 2 starts from stage 1
    assert f'load_from={work}/st_embed/s2/' in log
    for row in ('full', 'he-tie', 'he', 'tie', 'ke-sie', 'oks'):
        metrics = json.load(open(work / f'metrics_st-embed-{row}.json'))
        assert {'posetrack/AP', 'posetrack/MOTA', 'posetrack/HOTA'} <= set(metrics)
        preds = sorted(os.listdir(work / f'preds_st-embed-{row}'))
        assert preds == sorted(os.listdir(data / 'annotations' / 'val'))
    assert 'HE+TIE+PGG (ours)' in log and 'Stage wall times' in log and 'OKS' in log


@pytest.mark.slow
def test_quickstart_tkmrnet_smoke(tmp_path):
    """MAIN_JOB=tkmrnet end to end (1-epoch detector, stage 1 and stage 2s) on 2+2 videos of 4
    frames: the stage 2s start from stage 1, the rows read their stage 2's weights, refinement
    runs in the tracking loop, every row writes metrics and prediction files, and the table
    lists them with the crossing-pair switches."""
    data, work = tmp_path / 'data', tmp_path / 'work'
    env = dict(os.environ, DATA=str(data), WORK_DIR=str(work), MAIN_JOB='tkmrnet',
               MAX_FRAMES='4', DET_EPOCHS='1', TK_S1_EPOCHS='1', TK_S2_EPOCHS='1',
               BOX_THR='0.05', TK_ROWS='m3 m5 m6 m7', TK_GT_ROWS='m3 m7', PYTHONPATH=REPO,
               MIM=f'{sys.executable} -m mim')
    proc = subprocess.run(['bash', osp.join(REPO, 'tools', 'quickstart.sh')], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    assert isinstance(json.load(open(work / 'dets_val_nms.json')), list)  # detector trained
    s1 = f'load_from={work}/tkmrnet/s1/epoch_1.pth'
    s2_lines = [ln for ln in log.splitlines() if ln.startswith('=== [tkmrnet_s2_')]
    assert len(s2_lines) == 2 and all(s1 in ln for ln in s2_lines)  # M5's and M6's
    assert not osp.exists(work / 'tkmrnet' / 's2_m4')
    rows = dict(det=['m3', 'm5', 'm6', 'm7'], gt=['m3', 'm7'])
    for tag, names in rows.items():
        for row in names:
            metrics = json.load(open(work / f'metrics_tkmrnet-{tag}-{row}.json'))
            assert {'posetrack/AP', 'posetrack/MOTA', 'posetrack/HOTA',
                    'posetrack/IDSW'} <= set(metrics)
            preds = sorted(os.listdir(work / f'preds_tkmrnet-{tag}-{row}'))
            assert preds == sorted(os.listdir(data / 'annotations' / 'val'))
        cross = json.load(open(work / f'crossing_switches_tkmrnet-{tag}.json'))
        assert cross['names'] == names and len(cross['totals']) == len(names)
    assert log.count('\n  M7 ') == 2 and log.count('\n  M6 ') == 1
    assert "on the tiny detector's boxes" in log and 'on ground-truth boxes' in log
    assert 'Stage wall times' in log and 'tkmrnet_test_gt_m7' in log
    # an unknown row: one clear line
    env['TK_ROWS'] = 'm9'
    proc = subprocess.run(['bash', osp.join(REPO, 'tools', 'quickstart.sh')], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and 'unknown row m9' in proc.stderr


@pytest.mark.slow
def test_quickstart_clip_smoke(tmp_path):
    """MAIN_JOB=clip end to end (1-epoch detector, 2D and 3D HRNet) on 2+2 videos of 4 frames:
    stage 2 starts from stage 1, the 2D row reads stage 1's weights and the 3D rows stage 2's,
    every Table 7 row writes metrics (with the person-box recall) and prediction files, and the
    table lists them."""
    data, work = tmp_path / 'data', tmp_path / 'work'
    env = dict(os.environ, DATA=str(data), WORK_DIR=str(work), MAIN_JOB='clip',
               MAX_FRAMES='4', DET_EPOCHS='1', CLIP_S1_EPOCHS='1', CLIP_S2_EPOCHS='1',
               BOX_THR='0.05', PYTHONPATH=REPO, MIM=f'{sys.executable} -m mim')
    proc = subprocess.run(['bash', osp.join(REPO, 'tools', 'quickstart.sh')], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    assert f'load_from={work}/clip/s1/epoch_1.pth' in log  # stage 2 starts from stage 1
    tests = [ln for ln in log.splitlines() if ln.startswith('=== [clip_test_')]
    assert len(tests) == 6
    assert f'{work}/clip/s1/epoch_1.pth' in tests[0]
    assert all(f'{work}/clip/s2/epoch_1.pth' in ln for ln in tests[1:])
    for row in ('r1', 'r2', 'r3', 'r4', 'r5', 'r6'):
        metrics = json.load(open(work / f'metrics_clip-{row}.json'))
        assert {'posetrack/AP', 'posetrack/MOTA', 'posetrack/HOTA',
                'posetrack/BoxRecall'} <= set(metrics)
        preds = sorted(os.listdir(work / f'preds_clip-{row}'))
        assert preds == sorted(os.listdir(data / 'annotations' / 'val'))
    assert '\n  R6 ' in log and 'spatial+temp' in log and 'Stage wall times' in log
    assert "Person-box recall" in log and "recovers" in log
