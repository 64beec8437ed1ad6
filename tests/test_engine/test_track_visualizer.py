"""PoseTrackLocalVisualizer (people coloured by track id) and the mp4 renderer built on it."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from mmpose_track.apis.render import load_tracked_video, render_tracked_video
from mmpose_track.visualization import (POSETRACK18_DRAW_LINKS, PoseTrackLocalVisualizer,
                                        track_color)


def _person(x0, y0, s=1.0):
    """(17, 3) standing figure with its head at (x0, y0), all scores 1."""
    xy = np.array([[0, 8], [0, 12], [0, 0], [-4, 6], [4, 6], [-10, 20], [10, 20], [-14, 36],
                   [14, 36], [-16, 50], [16, 50], [-7, 55], [7, 55], [-8, 75], [8, 75], [-8, 95],
                   [8, 95]], float) * s + (x0, y0)
    return np.concatenate([xy, np.ones((17, 1))], 1)


def _instances(kpts, tids):
    return InstanceData(keypoints=kpts[..., :2], keypoint_scores=kpts[..., 2],
                        track_ids=np.asarray(tids))


def test_draw_colours_by_track_and_skips_missing_joints():
    vis = PoseTrackLocalVisualizer(name='test_track_vis_colours')
    img = np.zeros((240, 320, 3), np.uint8)
    kpts = np.stack([_person(60, 40), _person(200, 40)])
    # person 0: a NaN joint and a zero-score joint placed in an empty corner; person 1's left
    # wrist scored below the threshold, at the other empty corner
    kpts[0, 9] = (300, 220, np.nan)
    kpts[0, 10] = (300, 10, 0.0)
    kpts[1, 9] = (10, 225, 0.1)
    kpts[0, 3:5] = 0  # (0, 0, 0): missing ears, as PoseTrack18 writes them
    out = vis.draw_tracked_poses(img, _instances(kpts, [3, 7]), kpt_thr=0.2)
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
    empty = _instances(np.zeros((0, 17, 3)), np.zeros(0, np.int64))
    assert (vis.draw_tracked_poses(img, empty) == 0).all()
    with pytest.raises(ValueError, match='keypoints'):
        vis.draw_tracked_poses(img, InstanceData(keypoints=kpts[:, :, 0], track_ids=[1, 2]))
    assert (1, 5) in POSETRACK18_DRAW_LINKS and (1, 6) in POSETRACK18_DRAW_LINKS


def test_add_datasample_uses_track_colours_and_falls_back_to_mmpose():
    vis = PoseTrackLocalVisualizer(name='test_track_vis_sample')
    img = np.zeros((240, 320, 3), np.uint8)
    sample = PoseDataSample(metainfo=dict(frame_idx=4))
    sample.pred_instances = _instances(_person(100, 40)[None], [5])
    sample.pred_instances.bboxes = np.array([[80., 30., 120., 140.]])
    drawn = vis.add_datasample('x', img, sample, draw_gt=False, draw_bbox=True, kpt_thr=0.3)
    x, y = np.round(_person(100, 40)[5, :2]).astype(int)
    assert tuple(drawn[y, x]) == track_color(5)
    assert tuple(drawn[60, 80]) == track_color(5)  # the box's left edge, in the track colour
    # without track ids: MMPose's drawing (its default keypoint colour, red)
    del sample.pred_instances.track_ids
    plain = vis.add_datasample('y', img, sample, draw_gt=False, draw_bbox=False, kpt_thr=0.3)
    assert tuple(plain[y, x]) == (255, 0, 0)


def test_render_video_writes_every_frame(tmp_path):
    frames = []
    for i in range(4):
        path = str(tmp_path / f'{i:06d}.jpg')
        cv2.imwrite(path, np.full((30, 40, 3) if i == 2 else (60, 80, 3), 40 * i, np.uint8))
        s = PoseDataSample(metainfo=dict(img_path=path, frame_idx=i))
        s.pred_instances = _instances(_person(40, 5, 0.4)[None], [i])
        frames.append(s)
    out = str(tmp_path / 'sub' / 'v.mp4')
    assert render_tracked_video(frames, out, fps=5) == 4  # frame 2 (other size) is resized
    cap = cv2.VideoCapture(out)
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) == 4 and cap.get(cv2.CAP_PROP_FRAME_WIDTH) == 80
    with pytest.raises(ValueError, match='no frames'):
        render_tracked_video([], str(tmp_path / 'empty.mp4'))


def test_load_tracked_video_orders_frames_and_reads_scores(tmp_path):
    root = tmp_path / 'data'
    (root / 'images' / 'val' / 'v').mkdir(parents=True)
    for f in (0, 1):
        cv2.imwrite(str(root / 'images' / 'val' / 'v' / f'{f:06d}.jpg'), np.zeros((8, 8, 3)))
    kp = [1, 2, 1] * 16 + [0, 0, 0]
    data = dict(categories=[dict(keypoints=['k'] * 17)],
                images=[dict(id=11, file_name='images/val/v/000001.jpg'),
                        dict(id=10, file_name='images/val/v/000000.jpg')],
                annotations=[dict(image_id=11, keypoints=kp, track_id=4, scores=[0.5] * 17),
                             dict(image_id=11, keypoints=kp)])
    path = str(tmp_path / 'v.json')
    json.dump(data, open(path, 'w'))
    frames = load_tracked_video(path, str(root))
    assert [(f.frame_idx, f.img_id) for f in frames] == [(0, 10), (1, 11)]
    assert osp.samefile(frames[0].img_path, root / 'images' / 'val' / 'v' / '000000.jpg')
    assert frames[0].pred_instances.keypoints.shape == (0, 17, 2)
    pred = frames[1].pred_instances
    assert pred.track_ids.tolist() == [4, -1]
    # scores where given (the (0, 0, 0) joint stays 0), else the keypoints' third value
    assert pred.keypoint_scores[0].tolist() == [0.5] * 16 + [0.0]
    assert pred.keypoint_scores[1].tolist() == [1.0] * 16 + [0.0]
    with pytest.raises(FileNotFoundError, match='image id 10'):
        load_tracked_video(path, str(tmp_path / 'nowhere'))
