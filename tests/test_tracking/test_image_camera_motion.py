"""Image-based camera-motion compensation (issue 13): ECC between real frames, its use by
PoseTracker (``camera_motion=dict(source='image')``) and the frames handed to it by
``track_video(image_root=...)``."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from mmpose_track.apis.tracking import track_video
from mmpose_track.tracking import build_tracker
from mmpose_track.tracking.camera_motion import ecc_frame, image_camera_motion

K = 17
VIDEO = ('posetrack18', 'videos', '000001_mpiinew_test')


def _frame(shared_data, i=0):
    img = cv2.imread(osp.join(shared_data, *VIDEO, f'{i:06d}.jpg'))
    assert img is not None
    return img


def _warp(img, mat):
    return cv2.warpAffine(img, mat.astype(np.float32), (img.shape[1], img.shape[0]),
                          borderMode=cv2.BORDER_REFLECT)


@pytest.mark.parametrize('mode, mat', [
    ('cv2.MOTION_EUCLIDEAN', np.array([[1, 0, 9.0], [0, 1, -5.0]])),  # a pan
    ('cv2.MOTION_AFFINE', np.array([[1.04, 0, -12.0], [0, 1.04, -7.0]])),  # pan + 4 % zoom
])
def test_ecc_recovers_a_known_warp_of_a_real_frame(shared_data, mode, mat):
    """The previous frame warped by a known map is the current one: ECC on frames downscaled
    to 320 px gives that map (previous -> current pixels) at full resolution to a few tenths of
    a pixel at the frame's far corner."""
    prev = _frame(shared_data)
    cur = _warp(prev, mat)
    est = image_camera_motion(ecc_frame(prev), ecc_frame(cur), warp_mode=mode)
    h, w = prev.shape[:2]
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], float)
    err = corners @ est[:, :2].T + est[:, 2] - (corners @ mat[:, :2].T + mat[:, 2])
    assert np.abs(err).max() < 0.5, (est, mat)


def test_ecc_gives_none_across_a_cut_and_on_mismatched_frames(shared_data):
    """A cut (the frame against an unrelated COCO photo of the same size) fails the
    correlation check; frames of different sizes give no motion."""
    prev = _frame(shared_data)
    other = cv2.imread(osp.join(shared_data, 'coco', '000000000785.jpg'))
    other = cv2.resize(other, (prev.shape[1], prev.shape[0]))
    assert image_camera_motion(ecc_frame(prev), ecc_frame(other)) is None
    assert image_camera_motion(ecc_frame(prev), ecc_frame(prev[:, :-40])) is None
    with pytest.raises(ValueError, match='image'):
        ecc_frame(np.zeros(5))


def _pose(x, y, h=80.0, seed=0):
    rng = np.random.default_rng(seed)
    rel = np.stack([rng.uniform(-0.2, 0.2, K), np.linspace(-0.5, 0.5, K)], 1)
    return np.concatenate([rel * h + [x, y], np.full((K, 1), 0.9)], 1)


def _ecc_tracker(source):
    return build_tracker(dict(
        type='PoseTracker', similarity=dict(type='OKSSimilarity'),
        assigner=dict(type='HungarianAssigner', match_thr=0.3),
        memory=dict(type='TrackMemory', num_frames_retain=5),
        camera_motion=dict(source=source)))


def test_image_compensation_keeps_a_lone_person_through_a_pan(shared_data):
    """One person and a pan of 60 px (most of the person's height) at frame 2: the poses alone
    cannot tell a pan from a new person (one person is below min_inliers), the frames can. With
    ``source='image'`` the track follows the camera and keeps its id; without frames it falls
    back to the poses and the person gets a new id."""
    base = _frame(shared_data)
    shift = np.array([[1, 0, 60.0], [0, 1, 0.0]])
    frames = [base, base, _warp(base, shift), _warp(base, shift)]
    poses = [_pose(300, 200), _pose(301, 200), _pose(362, 200), _pose(363, 200)]
    tracker = _ecc_tracker('image')
    assert 'image' in tracker.feature_keys
    ids = [tracker.update(p[None], None, f, image=img).tolist()
           for f, (p, img) in enumerate(zip(poses, frames))]
    assert ids == [[0]] * 4
    tracker.reset()
    for f, p in enumerate(poses[:3]):
        tracker.update(p[None], None, f, image=frames[f])
        if f == 2:
            np.testing.assert_allclose(tracker.last_camera_transform, shift, atol=0.3)
    no_frames = _ecc_tracker('image')
    assert [no_frames.update(p[None], None, f).tolist()
            for f, p in enumerate(poses)] == [[0], [0], [1], [1]]
    with pytest.raises(ValueError, match="'poses' or 'image'"):
        _ecc_tracker('video')


def test_track_video_reads_the_frames_for_image_trackers(shared_data, tmp_path):
    """track_video(image_root=...) hands each frame to a tracker that reads them (the same ids
    as calling the tracker by hand with the frames), and names a missing frame in one line."""
    root = tmp_path / 'root'
    (root / 'images').mkdir(parents=True)
    base = _frame(shared_data)
    shift = np.array([[1, 0, 60.0], [0, 1, 0.0]])
    poses = [_pose(300, 200), _pose(301, 200), _pose(362, 200), _pose(363, 200)]
    images, anns = [], []
    for f, p in enumerate(poses):
        name = f'images/{f:06d}.jpg'
        cv2.imwrite(str(root / name), base if f < 2 else _warp(base, shift))
        images.append(dict(id=f + 1, file_name=name))
        anns.append(dict(id=10 + f, image_id=f + 1, keypoints=p.reshape(-1).tolist(),
                         score=0.9))
    data = dict(images=images, annotations=anns)
    out = track_video(json.loads(json.dumps(data)), _ecc_tracker('image'),
                      image_root=str(root))
    assert [a['track_id'] for a in out['annotations']] == [0, 0, 0, 0]
    # without the frames: the poses decide (a new id after the pan)
    out = track_video(json.loads(json.dumps(data)), _ecc_tracker('image'))
    assert [a['track_id'] for a in out['annotations']] == [0, 0, 1, 1]
    (root / 'images' / '000002.jpg').unlink()
    with pytest.raises(FileNotFoundError, match=r'image id 3: frame not found: .*000002\.jpg'):
        track_video(data, _ecc_tracker('image'), image_root=str(root))
