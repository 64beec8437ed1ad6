"""The README main job's pieces: drawing tracked skeletons (mmpose_track.apis.render),
tools/render_tracks.py on PoseTrack18 files, and the whole pipeline of tools/quickstart.sh
(detector -> detections -> OGN -> tracking -> metric -> video) with 1-epoch models on a tiny set."""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

from mmpose_track.apis import (POSETRACK18_LINKS, load_tracked_video, render_tracked_frame,
                               render_tracked_video, track_color)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RENDER = osp.join(REPO, 'tools', 'render_tracks.py')


def _person(x0, y0, s=1.0):
    """(17, 3) standing figure with its head at (x0, y0), all scores 1."""
    xy = np.array([[0, 8], [0, 12], [0, 0], [-4, 6], [4, 6], [-10, 20], [10, 20], [-14, 36],
                   [14, 36], [-16, 50], [16, 50], [-7, 55], [7, 55], [-8, 75], [8, 75], [-8, 95],
                   [8, 95]], float) * s + (x0, y0)
    return np.concatenate([xy, np.ones((17, 1))], 1)


def test_render_frame_colours_by_track_and_skips_missing_joints():
    img = np.zeros((240, 320, 3), np.uint8)
    kpts = np.stack([_person(60, 40), _person(200, 40)])
    # person 0: a NaN joint and a zero-score joint placed in an empty corner; person 1's left
    # wrist scored below the threshold, at the other empty corner
    kpts[0, 9] = (300, 220, np.nan)
    kpts[0, 10] = (300, 10, 0.0)
    kpts[1, 9] = (10, 225, 0.1)
    kpts[0, 3:5] = 0  # (0, 0, 0): missing ears, as PoseTrack18 writes them
    out = render_tracked_frame(img, kpts, np.array([3, 7]), score_thr=0.2)
    assert out is not img and not img.any()  # drawn on a copy
    c3, c7 = track_color(3), track_color(7)
    assert c3 != c7 and track_color(3 + 20) == c3 and track_color(-1) != c3
    for p, color in ((0, c3), (1, c7)):
        for j in (0, 5, 6, 11, 12, 15, 16):  # joint centres carry the track's colour
            x, y = np.round(kpts[p, j, :2]).astype(int)
            assert tuple(int(v) for v in out[y, x]) == color, (p, j)
        # limb midpoints too (left hip - left knee)
        x, y = np.round((kpts[p, 11, :2] + kpts[p, 13, :2]) / 2).astype(int)
        assert tuple(int(v) for v in out[y, x]) == color
    # each person's pixels are its own colour only: no c7 around person 0 and vice versa
    left, right = out[:, :130].reshape(-1, 3), out[:, 130:].reshape(-1, 3)
    assert (left == c3).all(1).any() and not (left == c7).all(1).any()
    assert (right == c7).all(1).any() and not (right == c3).all(1).any()
    # NaN, zero-score, below-threshold and (0, 0, 0) joints are not drawn
    for x, y in ((300, 220), (300, 10), (10, 225), (0, 0)):
        assert not out[max(0, y - 6):y + 7, max(0, x - 6):x + 7].any(), (x, y)
    # the id is written above the head (head_top) in the track's colour
    above = out[20:38, 50:75].reshape(-1, 3)
    assert (above == c3).all(1).any()
    # nothing to draw: the image comes back unchanged; wrong shapes are errors
    assert (render_tracked_frame(img, np.zeros((0, 17, 3)), []) == 0).all()
    with pytest.raises(ValueError, match='track_ids'):
        render_tracked_frame(img, kpts, [1])
    assert (1, 5) in POSETRACK18_LINKS and (1, 6) in POSETRACK18_LINKS  # head_bottom-shoulders


def test_render_video_writes_every_frame(tmp_path):
    frames = [dict(image=np.full((60, 80, 3), 40 * i, np.uint8),
                   keypoints=_person(40, 5, 0.4)[None], track_ids=np.array([i])) for i in range(4)]
    frames[2]['image'] = np.zeros((30, 40, 3), np.uint8)  # other size: resized
    out = str(tmp_path / 'sub' / 'v.mp4')
    assert render_tracked_video(frames, out, fps=5) == 4
    cap = cv2.VideoCapture(out)
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) == 4 and cap.get(cv2.CAP_PROP_FRAME_WIDTH) == 80
    with pytest.raises(ValueError, match='no frames'):
        render_tracked_video([], str(tmp_path / 'empty.mp4'))


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
    assert [f['frame_idx'] for f in frames] == sorted(f['frame_idx'] for f in frames)
    k = next(i for i, f in enumerate(frames) if len(f['track_ids']))
    drawn = render_tracked_frame(cv2.imread(frames[k]['image']), frames[k]['keypoints'],
                                 frames[k]['track_ids'])
    assert (drawn != cv2.imread(frames[k]['image'])).any()
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
