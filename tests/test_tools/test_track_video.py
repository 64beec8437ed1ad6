"""tools/track_video.py and PoseTrackInferencer (issue 14) on the real clip
``posetrack18/videos/000001_mpiinew_test`` (5 frames, 1280x720): with a tiny model of ours and
with a stock MMPose config (random weights, no downloads); every output file checked against the
input and against each other; bad input ends in one line."""
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

os.environ.setdefault('OPENCV_FFMPEG_LOGLEVEL', '-8')
import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'track_video.py')
TINY = osp.join(REPO, 'configs', 'baseline', 'td-hm_res18-tiny_synthetic-128x96.py')
STOCK = 'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_mobilenetv2_8xb64-210e_coco-256x192.py'
TINY_DET = osp.join(REPO, 'configs', 'detectors', 'tiny', 'faster-rcnn_tiny_person_synthetic.py')
NAME = '000001_mpiinew_test'


def _tool():
    spec = importlib.util.spec_from_file_location('track_video_tool', TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope='module')
def clip(shared_data):
    return osp.join(shared_data, 'posetrack18', 'videos', NAME, f'{NAME}.mp4')


@pytest.fixture(scope='module')
def dets(tmp_path_factory):
    """Two people per frame, walking, as a detections file (image id = frame index), and a
    distractor box below the score threshold."""
    path = tmp_path_factory.mktemp('dets') / 'dets.json'
    out = []
    for f in range(5):
        out.append(dict(image_id=f, bbox=[500 + 3 * f, 200, 180, 420], score=0.95))
        out.append(dict(image_id=f, bbox=[900 - 2 * f, 250, 160, 380], score=0.9))
        out.append(dict(image_id=f, bbox=[100, 100, 50, 50], score=0.2))
    path.write_text(json.dumps(out))
    return str(path)


def _read(path):
    with open(path) as f:
        return json.load(f)


def _video_props(path):
    cap = cv2.VideoCapture(path)
    n = 0
    size = None
    while True:
        ok, img = cap.read()
        if not ok:
            break
        size = img.shape[:2]
        n += 1
    cap.release()
    return n, size


def _check_outputs(out_dir, clip, people_per_frame=None, k=17):
    """Every output file against the input and against each other."""
    n_in, size_in = _video_props(clip)
    data = _read(osp.join(out_dir, f'{NAME}.json'))
    tracks = _read(osp.join(out_dir, f'{NAME}_tracks.json'))['tracks']
    assert data['info']['complete'] is True
    # one image per video frame, in order, with the frame's size
    assert [im['frame_idx'] for im in data['images']] == list(range(n_in))
    assert all((im['height'], im['width']) == size_in for im in data['images'])
    assert len({im['id'] for im in data['images']}) == n_in
    assert len(data['categories'][0]['keypoints']) == k
    by_frame = {}
    for a in data['annotations']:
        assert isinstance(a['track_id'], int) and a['track_id'] >= 0
        assert len(a['keypoints']) == 3 * k and len(a['scores']) == k and len(a['bbox']) == 4
        by_frame.setdefault(a['image_id'], []).append(a['track_id'])
    for ids in by_frame.values():
        assert len(ids) == len(set(ids))  # unique within a frame
    if people_per_frame is not None:
        assert [len(by_frame.get(im['id'], [])) for im in data['images']] == \
            [people_per_frame] * n_in
    # the per-track file holds exactly the per-frame people, with the same boxes and joints
    frame_of = {im['id']: im['frame_idx'] for im in data['images']}
    seen = 0
    for a in data['annotations']:
        tr = tracks[str(a['track_id'])]
        i = tr['frames'].index(frame_of[a['image_id']])
        assert tr['image_ids'][i] == a['image_id']
        np.testing.assert_allclose(tr['bboxes'][i], a['bbox'])
        kp = np.asarray(a['keypoints']).reshape(k, 3)
        np.testing.assert_allclose(tr['keypoints'][i], kp[:, :2])
        np.testing.assert_allclose(tr['scores'][i], kp[:, 2])
        seen += 1
    assert seen == sum(len(t['frames']) for t in tracks.values())
    # the mp4: as many frames as the input, of the input's size
    assert _video_props(osp.join(out_dir, f'{NAME}.mp4')) == (n_in, size_in)
    return data, tracks


@pytest.fixture(scope='module')
def tiny_weights(tmp_path_factory):
    """The tiny baseline's weights from a fixed seed: random weights are drawn anew in every
    process, and a rare draw splits a walking person's track."""
    import torch
    from mmpose.apis import init_model

    import mmpose_track  # noqa: F401
    torch.manual_seed(0)
    model = init_model(TINY, device='cpu')
    path = tmp_path_factory.mktemp('weights') / 'tiny.pth'
    torch.save(dict(state_dict=model.state_dict()), path)
    return str(path)


def test_command_on_the_real_clip_with_a_tiny_model(clip, dets, tiny_weights, tmp_path,
                                                    shared_data):
    out = tmp_path / 'out'
    res = subprocess.run([sys.executable, TOOL, clip, '--config', TINY, '--checkpoint',
                          tiny_weights, '--dets', dets,
                          '--out-dir', str(out)], cwd=REPO, capture_output=True, text=True,
                         timeout=600, env=dict(os.environ, PYTHONPATH=REPO))
    assert res.returncode == 0, res.stderr[-3000:]
    assert f'{NAME}: 5 frames, 10 people, 2 tracks' in res.stdout
    data, tracks = _check_outputs(str(out), clip, people_per_frame=2)
    # two people walking apart: two tracks over all 5 frames
    assert sorted(len(t['frames']) for t in tracks.values()) == [5, 5]
    # the PoseTrack18 file is what tools/render_tracks.py reads (frames found under the clip's
    # folder) and what the metric reads (a prediction file of the video)
    from mmpose_track.apis.render import load_tracked_video
    frames = load_tracked_video(str(out / f'{NAME}.json'),
                                osp.join(shared_data, 'posetrack18', 'videos'))
    assert [len(f.pred_instances) for f in frames] == [2] * 5
    from mmpose_track.evaluation.functional.posetrack_io import load_posetrack_file
    video = load_posetrack_file(str(out / f'{NAME}.json'), is_gt=False)
    assert video is not None


def test_stock_mmpose_config_coco_joints_map_to_posetrack18(clip, dets, tmp_path):
    """MMPose's own COCO config (random weights): 17 COCO joints become PoseTrack18's;
    head_bottom and head_top (slots 1, 2) have no COCO joint and stay empty (0, 0, 0), the
    other slots carry the model's joints (random weights: any score, a place in the crop)."""
    tool = _tool()
    out = tmp_path / 'stock'
    assert tool.main([clip, '--config', STOCK, '--dets', dets, '--out-dir', str(out),
                      '--quiet']) == 0
    data, _ = _check_outputs(str(out), clip, people_per_frame=2)
    from mmpose_track.structures.posetrack18_format import POSETRACK18_KEYPOINT_NAMES
    assert data['categories'][0]['keypoints'] == list(POSETRACK18_KEYPOINT_NAMES)
    kp = np.array([a['keypoints'] for a in data['annotations']]).reshape(-1, 17, 3)
    assert (kp[:, 1:3] == 0).all()
    mapped = [0, 3, 4] + list(range(5, 17))
    assert (kp[:, mapped, :2] != 0).any(-1).all()
    # every mapped joint lies in the crop the model saw (the box enlarged 1.25x to 3:4), give
    # or take one heatmap pixel (48 x 64 across the crop) of sub-pixel refinement
    for a, k in zip(data['annotations'], kp):
        x, y, w, h = a['bbox']
        cw, ch = 1.25 * max(w, 0.75 * h), 1.25 * max(h, w / 0.75)
        assert (np.abs(k[mapped, 0] - (x + w / 2)) <= cw / 2 + cw / 48 + 1).all()
        assert (np.abs(k[mapped, 1] - (y + h / 2)) <= ch / 2 + ch / 64 + 1).all()


def test_inferencer_streams_frame_results(clip, dets):
    from mmpose_track.apis import PoseTrackInferencer
    inf = PoseTrackInferencer(TINY, dets=dets)
    results = inf(clip, return_vis=True, max_frames=3)
    first = next(results)  # a generator: the first frame comes before the others are read
    assert first['frame_idx'] == 0 and len(first['predictions']) == 2
    assert first['visualization'].shape == (720, 1280, 3)
    rest = list(results)
    assert [r['frame_idx'] for r in rest] == [1, 2]
    ids = [[p['track_id'] for p in r['predictions']] for r in [first] + rest]
    assert all(sorted(i) == sorted(ids[0]) for i in ids)
    p = first['predictions'][0]
    assert p['keypoints'].shape == (17, 2) and p['keypoint_scores'].shape == (17, )


def test_detector_path_and_frame_folder(shared_data, tmp_path):
    """A detector config (random weights) on the folder of the clip's jpg frames: runs, one
    image per frame, the detector and the pose model alternating batch by batch (each in its
    registry scope); boxes are whatever the random detector gives (at most max_people)."""
    tool = _tool()
    folder = osp.join(shared_data, 'posetrack18', 'videos', NAME)
    out = tmp_path / 'det'
    assert tool.main([folder, '--config', TINY, '--det-config', TINY_DET, '--out-dir', str(out),
                      '--det-score-thr', '0.0', '--max-people', '3', '--max-frames', '2',
                      '--batch-size', '1', '--quiet', '--no-render']) == 0
    data = _read(out / f'{NAME}.json')
    assert [im['file_name'] for im in data['images']] == [
        f'{NAME}/000000.jpg', f'{NAME}/000001.jpg']
    per_frame = [sum(a['image_id'] == im['id'] for a in data['annotations'])
                 for im in data['images']]
    assert all(n <= 3 for n in per_frame)
    assert not osp.exists(out / f'{NAME}.mp4')


def test_stock_mmpose_bottomup_config_one_frame_per_forward(clip):
    """MMPose's DEKR (bottom-up; its head predicts one image per forward, its config's test
    batch size is 1) by its mmpose:: name, random weights: two frames in one batch go through
    the model one by one and both come out."""
    from mmpose_track.apis import PoseTrackInferencer
    inf = PoseTrackInferencer(
        'mmpose::body_2d_keypoint/dekr/coco/dekr_hrnet-w32_8xb10-140e_coco-512x512.py',
        device='cpu', batch_size=2)
    assert not inf.topdown and inf.pose_batch_size == 1
    res = list(inf(clip, max_frames=2))
    assert [r['frame_idx'] for r in res] == [0, 1]
    assert all(p['keypoints'].shape == (17, 2) for r in res for p in r['predictions'])


def test_bottomup_people_capped_at_max_people(clip, monkeypatch):
    """A bottom-up model finds 10 people a frame (TemporalNet, random weights); with
    max_people=4 the 4 best scored are tracked (one warning), and TemporalNet's per-frame
    arrays (TIE) follow them: the tracker runs on consistent inputs."""
    from mmpose_track.apis import PoseTrackInferencer
    from mmpose_track.apis import inferencer as mod
    cfg = osp.join(REPO, 'configs', 'st_embed', 'tiny',
                   'st-embed-s3_temporalnet-hg1-tiny_synthetic-128x128.py')
    found = []
    real = mod.PoseTrackInferencer._poses

    def spy(self, frames, boxes):
        out = real(self, frames, boxes)
        found.extend(np.array(p['bbox_scores'], copy=True) for p in out)
        return out
    monkeypatch.setattr(mod.PoseTrackInferencer, '_poses', spy)
    inf = PoseTrackInferencer(cfg, device='cpu', max_people=4)
    with pytest.warns(UserWarning, match='10 people, kept the 4 best'):
        res = list(inf(clip, max_frames=3))
    for r, scores in zip(res, found):
        assert len(scores) == 10
        np.testing.assert_allclose(sorted(p['bbox_score'] for p in r['predictions']),
                                   np.sort(scores)[-4:], rtol=1e-6)


def test_people_without_box_scores_are_scored_by_their_joints(dets):
    """A head that gives no ``bbox_scores`` (MMPose's DEKR): each person is scored by its mean
    joint score, which max_people and the suppression rank by."""
    from mmengine.structures import InstanceData
    from mmpose.structures import PoseDataSample

    from mmpose_track.apis import PoseTrackInferencer
    inf = PoseTrackInferencer(TINY, dets=dets, device='cpu')
    scores = np.array([[0.2] * 17, [0.9] * 16 + [0.5]], np.float32)
    sample = PoseDataSample()
    sample.pred_instances = InstanceData(keypoints=np.zeros((2, 17, 2), np.float32),
                                         keypoint_scores=scores)
    out = inf._gather([sample])
    np.testing.assert_allclose(out['bbox_scores'], [0.2, (0.9 * 16 + 0.5) / 17], rtol=1e-6)


@pytest.mark.parametrize('case', ['topdown_file', 'topdown_detector', 'keypoint_detector',
                                  'bottomup'])
def test_amp_runs_the_backbones_in_bf16(case, clip, dets):
    """--amp (bf16 autocast; the CPU's autocast stands in for CUDA's): the backbones run in
    bf16 and their features come back in float32, within bf16's precision of the float32 ones,
    so the heads, decoders and NMS run as without it (they failed on bf16 tensors: MMPose's
    to_numpy, mmcv's NMS); every kind of model tracks."""
    import torch

    from mmpose_track.apis import PoseTrackInferencer
    cfg, kw = TINY, dict(dets=dets)
    if case == 'topdown_detector':
        kw = dict(det_config=TINY_DET, det_score_thr=0.0, max_people=3)
    elif case == 'keypoint_detector':
        cfg = osp.join(REPO, 'configs', 'ogn', 'tiny', 'ogn-t4a_mask-rcnn-tiny_synthetic.py')
        kw = dict(det_score_thr=0.0, max_people=3)
    elif case == 'bottomup':
        cfg = osp.join(REPO, 'configs', 'st_embed', 'tiny',
                       'st-embed-s3_temporalnet-hg1-tiny_synthetic-128x128.py')
        kw = {}
    plain = PoseTrackInferencer(cfg, device='cpu', **kw)
    inf = PoseTrackInferencer(cfg, device='cpu', amp=True, **kw)
    inf.pose_model.load_state_dict(plain.pose_model.state_dict())
    x = torch.rand(1, 3, 128, 128) * 255
    with torch.no_grad():
        want, got = plain.pose_model.extract_feat(x), inf.pose_model.extract_feat(x)
    want = want if isinstance(want, (list, tuple)) else [want]
    got = got if isinstance(got, (list, tuple)) else [got]
    for w, g in zip(want, got):
        w, g = (w[0], g[0]) if isinstance(w, (list, tuple)) else (w, g)
        assert g.dtype == torch.float32
        # computed in bf16 (not equal), within its precision
        assert 0 < (g - w).abs().max() <= 0.05 * w.abs().max()
    res = list(inf(clip, max_frames=2))
    assert [r['frame_idx'] for r in res] == [0, 1]
    n = [len(r['predictions']) for r in res]
    assert all(k >= 1 for k in n), n
    for r in res:
        for p in r['predictions']:
            assert np.isfinite(p['keypoints']).all() and p['keypoints'].dtype == np.float64


def test_keypoint_detector_as_the_pose_model(clip, tmp_path):
    """OGN's offset-guided Mask R-CNN (an MMDet detector with a keypoint head; random weights)
    as the pose model: no person detector needed, its boxes and joints tracked with its
    config's tracker and suppression, at most max_people per frame. (Its tracks equal the test
    loop's: tests/test_ogn/test_ogn_mask_rcnn.py.)"""
    out = tmp_path / 'kd'
    cfg = osp.join(REPO, 'configs', 'ogn', 'tiny', 'ogn-t4a_mask-rcnn-tiny_synthetic.py')
    assert _tool().main([clip, '--config', cfg, '--out-dir', str(out), '--det-score-thr', '0',
                         '--max-people', '5', '--quiet', '--device', 'cpu']) == 0
    data, _ = _check_outputs(str(out), clip)
    per_frame = [sum(a['image_id'] == im['id'] for a in data['annotations'])
                 for im in data['images']]
    assert all(1 <= n <= 5 for n in per_frame), per_frame


# ------------------------------------------------------------------ robustness
@pytest.mark.parametrize('model', ['frame', 'clip'])
def test_nobody_in_the_video(model, clip, tmp_path):
    """No box in any frame: every frame written, nobody in it (a frame model, and a clip
    model, which then has no tube)."""
    empty = tmp_path / 'none.json'
    empty.write_text('[]')
    tool = _tool()
    cfg = TINY if model == 'frame' else osp.join(REPO, 'configs', 'clip_tracking', 'tiny',
                                                 'clip-s2_hrnet3d-tiny-t3_synthetic-128x96.py')
    assert tool.main([clip, '--config', cfg, '--dets', str(empty), '--out-dir',
                      str(tmp_path / 'o'), '--quiet']) == 0
    data, tracks = _check_outputs(str(tmp_path / 'o'), clip, people_per_frame=0)
    assert data['annotations'] == [] and tracks == {}


def test_200_boxes_in_a_frame_keep_the_best(clip, tmp_path):
    """Frame 0 has 200 boxes: the 100 best scored are kept (one warning); the tracker gives
    each a distinct id."""
    rng = np.random.default_rng(0)
    boxes = [dict(image_id=0, bbox=[float(x), float(y), 40.0, 90.0], score=float(s))
             for x, y, s in zip(rng.uniform(0, 1200, 200), rng.uniform(0, 600, 200),
                                np.linspace(0.51, 0.99, 200))]
    path = tmp_path / 'many.json'
    path.write_text(json.dumps(boxes))
    from mmpose_track.apis import PoseTrackInferencer
    inf = PoseTrackInferencer(TINY, dets=str(path), nms=[])
    with pytest.warns(UserWarning, match='200 person boxes, kept the 100 best'):
        res = list(inf(clip, max_frames=1))
    scores = sorted(p['bbox_score'] for p in res[0]['predictions'])
    np.testing.assert_allclose(scores, np.linspace(0.51, 0.99, 200)[100:], rtol=1e-6)
    assert len({p['track_id'] for p in res[0]['predictions']}) == 100


@pytest.mark.parametrize('case', ['missing', 'not_video', 'zero_length', 'truncated',
                                  'empty_folder', 'mixed_sizes', 'no_boxes_source',
                                  'bad_config', 'clip_model_camera', 'detector_as_pose_model',
                                  'camera'])
def test_bad_input_is_one_line(case, clip, dets, tmp_path, capsys):
    tool = _tool()
    inp, extra = str(tmp_path / 'nope.mp4'), ['--dets', dets]
    words = 'input not found'
    if case == 'not_video':
        inp = str(tmp_path / 'x.mp4')
        open(inp, 'w').write('not a video')
        words = 'cannot open video'
    elif case == 'zero_length':
        inp = str(tmp_path / 'z.mp4')
        open(inp, 'wb').close()
        words = 'z.mp4'
    elif case == 'truncated':
        inp = str(tmp_path / 't.mp4')
        raw = open(clip, 'rb').read()
        open(inp, 'wb').write(raw[:int(len(raw) * 0.6)])
        words = 'cannot open video'
    elif case == 'empty_folder':
        inp = str(tmp_path / 'frames')
        os.makedirs(inp)
        words = 'no images'
    elif case == 'mixed_sizes':
        inp = str(tmp_path / 'mixed')
        os.makedirs(inp)
        cv2.imwrite(osp.join(inp, '000000.jpg'), np.zeros((60, 80, 3), np.uint8))
        cv2.imwrite(osp.join(inp, '000001.jpg'), np.zeros((40, 80, 3), np.uint8))
        words = 'every frame of a video must have one size'
    elif case == 'no_boxes_source':
        inp, extra = clip, []
        words = 'needs person boxes'
    elif case == 'bad_config':
        inp, extra = clip, ['--dets', dets]
    cfg = str(tmp_path / 'none.py') if case == 'bad_config' else TINY
    if case == 'bad_config':
        words = 'pose config not found'
    if case == 'camera':  # a digit string that is no path: a camera index
        inp, words = '99', 'cannot open camera 99'
    if case == 'detector_as_pose_model':  # an MMDet detector without a keypoint head
        inp, cfg, extra = clip, TINY_DET, []
        words = 'without a keypoint head: give it as the person detector'
    if case == 'clip_model_camera':  # tube merging needs the video's end
        inp, cfg = '0', osp.join(REPO, 'configs', 'clip_tracking', 'tiny',
                                 'clip-s2_hrnet3d-tiny-t3_synthetic-128x96.py')
        words = 'tracks whole videos offline'
    rc = tool.main([inp, '--config', cfg, *extra, '--out-dir', str(tmp_path / 'o'), '--quiet'])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith('track_video.py: error')]
    assert rc == 2 and len(lines) == 1 and words in lines[0], err[-2000:]
    assert 'Traceback' not in err


def test_interrupted_run_keeps_complete_json_and_a_playable_mp4(clip, dets, tmp_path,
                                                                monkeypatch):
    """Ctrl-C after 3 frames: exit 130, the JSON files hold the 3 frames, marked incomplete, and
    the mp4 is closed with 3 frames."""
    from mmpose_track.apis import inferencer as mod
    real = mod.PoseTrackInferencer._process

    def interrupting(self, batch):
        for frame in real(self, batch):
            if frame['res']['frame_idx'] == 3:
                raise KeyboardInterrupt
            yield frame
    monkeypatch.setattr(mod.PoseTrackInferencer, '_process', interrupting)
    tool = _tool()
    out = tmp_path / 'int'
    assert tool.main([clip, '--config', TINY, '--dets', dets, '--out-dir', str(out),
                      '--batch-size', '1', '--quiet']) == 130
    data = _read(out / f'{NAME}.json')
    assert data['info']['complete'] is False
    assert [im['frame_idx'] for im in data['images']] == [0, 1, 2]
    assert len(data['annotations']) == 6
    tracks = _read(out / f'{NAME}_tracks.json')
    assert tracks['info']['complete'] is False
    assert _video_props(str(out / f'{NAME}.mp4')) == (3, (720, 1280))


def test_mim_run_finds_the_command(clip, dets, tmp_path):
    """``mim run mmpose_track track_video ...`` (mim runs the tools the installed package ships
    in .mim/tools) on the real clip, two frames, no mp4."""
    from mim.utils import get_installed_path
    if not osp.isfile(osp.join(get_installed_path('mmpose_track'), '.mim', 'tools',
                               'track_video.py')):
        pytest.fail('the installed package lacks .mim/tools/track_video.py: reinstall it')
    out = tmp_path / 'mim'
    res = subprocess.run([sys.executable, '-m', 'mim', 'run', 'mmpose_track', 'track_video',
                          clip, '--config', TINY, '--dets', dets, '--out-dir', str(out),
                          '--max-frames', '2', '--no-render', '--quiet'],
                         capture_output=True, text=True, timeout=600, cwd=str(tmp_path))
    assert res.returncode == 0, res.stderr[-3000:]
    data = _read(out / f'{NAME}.json')
    assert len(data['images']) == 2 and len(data['annotations']) == 4


def test_truncated_streamable_video_gives_the_frames_that_decode(clip, dets, tmp_path):
    """The real clip made streamable (moov atom first, qt-faststart) and cut to 70 %: the
    frames up to the damage are tracked and written, the files say the video was truncated,
    the run is complete (nothing was lost that could be decoded)."""
    from test_video_io import _moov_to_front
    fast, _ = _moov_to_front(open(clip, 'rb').read())
    cut = tmp_path / f'{NAME}.mp4'
    cut.write_bytes(fast[:int(len(fast) * 0.7)])
    n_ok, _ = _video_props(str(cut))
    assert 0 < n_ok < 5
    tool = _tool()
    out = tmp_path / 'cut'
    with pytest.warns(UserWarning, match='does not decode'):
        assert tool.main([str(cut), '--config', TINY, '--dets', dets, '--out-dir', str(out),
                          '--quiet']) == 0
    data = _read(out / f'{NAME}.json')
    assert data['info']['complete'] is True and data['info']['truncated'] is True
    assert [im['frame_idx'] for im in data['images']] == list(range(n_ok))
    assert _video_props(str(out / f'{NAME}.mp4'))[0] == n_ok


@pytest.mark.parametrize('cfg, kind', [
    ('st_embed/tiny/st-embed-s3_temporalnet-hg1-tiny_synthetic-128x128.py', 'bottomup'),
    ('tkmrnet/tiny/tkmrnet-s2_res18-tiny_synthetic-128x96.py', 'topdown'),
])
def test_our_video_models_get_their_trackers_inputs(clip, dets, cfg, kind, monkeypatch):
    """TemporalNet (bottom-up; HE, TIE and the per-frame backward TIE) and TKMRNet (top-down;
    keypoint features and the matching classifiers as callables) track the clip with their own
    trackers, which receive what their configs' test loops give them."""
    from mmpose_track.apis import PoseTrackInferencer
    topdown = kind == 'topdown'
    inf = PoseTrackInferencer(osp.join(REPO, 'configs', cfg), dets=dets if topdown else None)
    assert inf.topdown == topdown
    seen = []
    real = inf.tracker.update

    def spy(kpts, boxes=None, frame_id=None, **feats):
        seen.append(set(feats))
        return real(kpts, boxes, frame_id, **feats)
    monkeypatch.setattr(inf.tracker, 'update', spy)
    res = list(inf(clip, max_frames=3))
    assert [r['frame_idx'] for r in res] == [0, 1, 2]
    if kind == 'bottomup':
        assert {'embeddings', 'tie'} <= seen[0] and 'tie_backward' in seen[1], seen
    else:
        assert all(s == {'keypoint_features', 'keypoint_similarity',
                         'keypoint_pair_similarity'} for s in seen), seen


def test_offline_tracker_final_ids_and_gap_fill_in_json_and_mp4(clip, tmp_path):
    """A tracker with an offline step (gap filling): person B is not detected in frame 2.
    The JSON carries B's interpolated pose in frame 2 (marked, joints halfway between its
    frames 1 and 3 ones), with B's id, so both people keep one id over all 5 frames; the mp4 is
    drawn in a second pass with those final people (5 frames). (The default tracker keeps B's
    lost track and re-activates it; random weights give joints of any score, so the two-stage
    and stitching rows, which read the scores, are not the ones to test here.)"""
    out = []
    for f in range(5):
        out.append(dict(image_id=f, bbox=[500 + 3 * f, 200, 180, 420], score=0.95))
        if f != 2:
            out.append(dict(image_id=f, bbox=[900 - 2 * f, 250, 160, 380], score=0.9))
    dets = tmp_path / 'gap.json'
    dets.write_text(json.dumps(out))
    tool = _tool()
    tracker = tmp_path / 'interp.py'
    tracker.write_text(f"_base_ = ['{REPO}/configs/trackers/oks_kalman_cmc.py']\n"
                       "tracker = dict(interpolate=dict(max_gap=5, score_factor=0.5))\n")
    res_dir = tmp_path / 'off'
    import torch
    torch.manual_seed(0)  # random weights: a fixed draw
    assert tool.main([clip, '--config', TINY, '--dets', str(dets), '--tracker', str(tracker),
                      '--out-dir', str(res_dir), '--quiet']) == 0
    data, tracks = _check_outputs(str(res_dir), clip)
    frame_of = {im['id']: im['frame_idx'] for im in data['images']}
    fill = [a for a in data['annotations'] if a.get('interpolated')]
    assert [frame_of[a['image_id']] for a in fill] == [2]
    b_id = fill[0]['track_id']
    b = {frame_of[a['image_id']]: np.asarray(a['keypoints']).reshape(17, 3)
         for a in data['annotations'] if a['track_id'] == b_id}
    assert sorted(b) == [0, 1, 2, 3, 4]
    # the rule of interpolate_track_gaps: joints scored > 0 at both ends are interpolated
    # (score halved: min of the ends x 0.5), the others are left empty
    both = (b[1][:, 2] > 0) & (b[3][:, 2] > 0)
    assert both.any()
    np.testing.assert_allclose(b[2][both, :2], (b[1][both, :2] + b[3][both, :2]) / 2, atol=2e-3)
    np.testing.assert_allclose(b[2][both, 2], np.minimum(b[1][both, 2], b[3][both, 2]) / 2,
                               atol=2e-5)
    assert (b[2][~both] == 0).all()
    assert sorted(len(t['frames']) for t in tracks.values()) == [5, 5]


def test_tkmrnet_refinement_streams_tau_frames_behind(clip, dets):
    """TKMRNet with temporal refinement (Table 3 row M7): every frame leaves once the refiner
    has returned it, tau frames after it was pushed (all at the end), with the refiner's
    refined poses; frames stay in order and the tracker's ids are kept."""
    from mmpose_track.apis import PoseTrackInferencer
    cfg = osp.join(REPO, 'configs', 'tkmrnet', 'tiny',
                   'tkmrnet-t3m7_res18-tiny-pnms-tkm-refine_synthetic-128x96.py')
    inf = PoseTrackInferencer(cfg, dets=dets, batch_size=1)
    assert inf.refiner is not None
    tau = inf.refiner.tau
    assert 1 <= tau < 4
    pushed, refined = [], {}
    real_push, real_flush = inf.refiner.push_instances, inf.refiner.flush

    def push(instances):
        pushed.append(len(instances))
        out = real_push(instances)
        refined.update({t: r for t, r in out})
        return out

    def flush():
        out = real_flush()
        refined.update({t: r for t, r in out})
        return out
    inf.refiner.push_instances, inf.refiner.flush = push, flush
    seen = []
    for res in inf(clip):
        t = res['frame_idx']
        # a frame leaves when its refinement is back: tau frames later (or at the end)
        assert len(pushed) == min(t + tau + 1, 5), (t, len(pushed))
        np.testing.assert_allclose(np.stack([p['keypoints'] for p in res['predictions']]),
                                   refined[t]['image_keypoints'], rtol=1e-6)
        seen.append((t, sorted(p['track_id'] for p in res['predictions'])))
    assert [t for t, _ in seen] == [0, 1, 2, 3, 4]
    assert all(ids == seen[0][1] for _, ids in seen)


def test_stock_mmdet_detector_config_as_it_is(shared_data, tmp_path):
    """MMDet's own COCO Faster R-CNN config by its ``mmdet::`` name (random weights, no
    download: the backbone's pretrained init is not run), with MMPose's stock pose config: one
    frame of the real clip's folder; the boxes kept are the COCO 'person' class's."""
    from mmpose_track.apis import PoseTrackInferencer
    folder = osp.join(shared_data, 'posetrack18', 'videos', NAME)
    inf = PoseTrackInferencer(STOCK, det_config='mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
                              det_score_thr=0.0, max_people=5, nms=[])
    assert inf.person_label == 0  # COCO's classes, 'person' first
    res = list(inf(folder, max_frames=1))
    assert len(res) == 1 and len(res[0]['predictions']) <= 5
    for p in res[0]['predictions']:
        assert p['keypoints'].shape == (17, 2) and p['track_id'] >= 0


@pytest.mark.parametrize('model', ['frame', 'clip'])
def test_show_without_a_display_is_one_line(model, clip, dets, tmp_path, monkeypatch, capsys):
    """--show where OpenCV cannot open a window (a headless machine): exit 2 with one line,
    before any frame is read (a clip model would otherwise track the whole video first)."""
    from mmpose_track.apis import inferencer as mod

    def no_window(*args):
        raise cv2.error('OpenCV(4.x) window.cpp: error: The function is not implemented')
    monkeypatch.setattr(cv2, 'imshow', no_window)
    monkeypatch.setattr(cv2, 'namedWindow', no_window)
    read = []
    real = mod.PoseTrackInferencer._person_boxes
    monkeypatch.setattr(mod.PoseTrackInferencer, '_person_boxes',
                        lambda self, frames: read.append(frames) or real(self, frames))
    cfg = TINY if model == 'frame' else osp.join(REPO, 'configs', 'clip_tracking', 'tiny',
                                                 'clip-s2_hrnet3d-tiny-t3_synthetic-128x96.py')
    rc = _tool().main([clip, '--config', cfg, '--dets', dets, '--out-dir', str(tmp_path / 's'),
                       '--show', '--quiet', '--max-frames', '2'])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith('track_video.py: error')]
    assert rc == 2 and len(lines) == 1 and 'cannot show frames' in lines[0], err
    assert read == []


def test_dropped_short_track_is_not_gap_filled(clip, tmp_path):
    """Gap filling with min_track_length 3: person C is detected in frames 0 and 2 only, so its
    track (re-activated at frame 2) has 2 frames and is dropped; its missed frame 1 must not
    come back as an interpolated person. Person A (5 frames) stays."""
    out = [dict(image_id=f, bbox=[500 + 3 * f, 200, 180, 420], score=0.95) for f in range(5)]
    out += [dict(image_id=f, bbox=[950, 250, 160, 380], score=0.9) for f in (0, 2)]
    dets = tmp_path / 'short.json'
    dets.write_text(json.dumps(out))
    tracker = tmp_path / 'short.py'
    tracker.write_text(f"_base_ = ['{REPO}/configs/trackers/oks_kalman_cmc.py']\n"
                       "tracker = dict(min_track_length=3,\n"
                       "               interpolate=dict(max_gap=5, score_factor=0.5))\n")
    tool = _tool()
    assert tool.main([clip, '--config', TINY, '--dets', str(dets), '--tracker', str(tracker),
                      '--out-dir', str(tmp_path / 'o'), '--quiet', '--no-render']) == 0
    data = _read(tmp_path / 'o' / f'{NAME}.json')
    assert len(data['annotations']) == 5
    assert not any(a.get('interpolated') for a in data['annotations'])
    assert {a['track_id'] for a in data['annotations']} == {0}


# ------------------------------------------------------------------------ clip models (tubes)
CLIP_T3 = osp.join(REPO, 'configs', 'clip_tracking', 'tiny',
                   'clip-s2_hrnet3d-tiny-t3_synthetic-128x96.py')
CLIP_T9_S2 = osp.join(REPO, 'configs', 'clip_tracking', 'tiny',
                      'clip-f5b-s2_hrnet3d-tiny-t3_synthetic-128x96.py')
#: the two walking people of the ``dets`` fixture, (x, y, w, h) in frame f
PEOPLE = (lambda f: (500 + 3 * f, 200, 180, 420), lambda f: (900 - 2 * f, 250, 160, 380))
#: the oracle's pose: joint k at these fractions of the person's box
TEMPLATE = np.stack([np.linspace(0.1, 0.9, 17), np.linspace(0.95, 0.05, 17)], -1)


def _template_pose(box):
    x, y, w, h = box
    return np.array([x, y]) + TEMPLATE * np.array([w, h])


def _oracle_test_step(calls):
    """A Clip Tracking Network that knows the truth: in every frame of a tube, the pose of the
    person (of the dets fixture) whose box overlaps the tube box most, as the template in that
    person's box of that frame. Records the raw batches it sees."""
    import torch
    from mmengine.structures import InstanceData

    def iou(a, b):
        ix = max(0., min(a[2], b[2]) - max(a[0], b[0]))
        iy = max(0., min(a[3], b[3]) - max(a[1], b[1]))
        inter = ix * iy
        return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)

    def test_step(self, data):
        calls.append(data)
        for sample in data['data_samples']:
            for frame in sample.video_data_samples:
                q = frame.metainfo['frame_idx']
                tube = frame.gt_instances.bboxes[0].tolist()
                boxes = [p(q) for p in PEOPLE]
                best = max(boxes, key=lambda b: iou(tube, [b[0], b[1], b[0] + b[2],
                                                           b[1] + b[3]]))
                frame.pred_instances = InstanceData(
                    keypoints=_template_pose(best)[None].astype(np.float32),
                    keypoint_scores=np.full((1, 17), 0.9, np.float32),
                    bboxes=frame.gt_instances.bboxes, bbox_scores=np.array([0.95], np.float32))
        return data['data_samples']
    return torch.no_grad()(test_step)


@pytest.mark.parametrize('cfg, keyframes', [(CLIP_T3, [0, 1, 2, 3, 4]),
                                            (CLIP_T9_S2, [0, 2, 4])])
def test_clip_model_tubes_sewn_into_tracks(cfg, keyframes, clip, dets, tmp_path, monkeypatch):
    """A clip model (Wang et al. 2020) through the command: the detector sees the keyframes
    only (every S-th frame), each box cuts a tube from the T frames around its keyframe (the
    border frame replicated), and the tracklets are sewn and merged offline. With an oracle
    network (the true pose in every tube frame), each person is one track over the 5 frames
    with its true pose in every frame, and the mp4 is drawn after the video."""
    from mmpose_track.apis import inferencer as mod
    from mmpose_track.models.pose_estimators import ClipTopdownPoseEstimator
    calls, seen = [], []
    monkeypatch.setattr(ClipTopdownPoseEstimator, 'test_step', _oracle_test_step(calls))
    real = mod.PoseTrackInferencer._person_boxes

    def spy(self, frames):
        seen.extend(idx for idx, _, _ in frames)
        return real(self, frames)
    monkeypatch.setattr(mod.PoseTrackInferencer, '_person_boxes', spy)
    out = tmp_path / 'clip'
    assert _tool().main([clip, '--config', cfg, '--dets', dets, '--out-dir', str(out),
                         '--quiet', '--device', 'cpu']) == 0
    assert seen == keyframes
    data, tracks = _check_outputs(str(out), clip, people_per_frame=2)
    assert len(tracks) == 2
    frame_of = {im['id']: im['frame_idx'] for im in data['images']}
    for a in data['annotations']:
        f = frame_of[a['image_id']]
        kp = np.asarray(a['keypoints']).reshape(17, 3)
        person = 0 if kp[0, 0] < 800 else 1
        np.testing.assert_allclose(kp[:, :2], _template_pose(PEOPLE[person](f)), atol=2e-3)
        np.testing.assert_allclose(kp[:, 2], 0.9, atol=1e-5)
        # one id per person over the whole video
        assert a['track_id'] == data['annotations'][person]['track_id']
    # the first tube: keyframe 0, the first person, frames [0, 0, 1] (T = 3) cropped by the
    # keyframe box enlarged 1.25x, as MMPose's TopdownAffine crops (128x96, aspect ratio kept)
    if cfg == CLIP_T3:
        from mmpose.structures.bbox import get_warp_matrix
        tube = calls[0]['inputs'][0].numpy()
        assert tube.shape == (3, 3, 128, 96)
        x, y, w, h = PEOPLE[0](0)
        centre = np.array([x + w / 2, y + h / 2], np.float32)
        w, h = 1.25 * w, 1.25 * h
        w, h = (w, w / 0.75) if w > 0.75 * h else (0.75 * h, h)
        warp = get_warp_matrix(centre, np.array([w, h], np.float32), 0, output_size=(96, 128))
        cap = cv2.VideoCapture(clip)
        video = [cap.read()[1] for _ in range(2)]
        cap.release()
        for t, f in enumerate([0, 0, 1]):
            want = cv2.warpAffine(video[f], warp, (96, 128), flags=cv2.INTER_LINEAR)
            np.testing.assert_array_equal(tube[t], want.transpose(2, 0, 1))


def test_clip_model_interrupted_keeps_the_frames_all_their_tubes_reached(
        clip, dets, monkeypatch):
    """Ctrl-C while cutting the tubes of keyframe 3 (T = 3): the frames whose tubes (keyframes
    f - 1 .. f + 1) were all predicted, 0 and 1, are tracked and written, marked incomplete."""
    import tempfile

    from mmpose_track.apis import PoseTrackInferencer
    from mmpose_track.apis import inferencer as mod
    from mmpose_track.models.pose_estimators import ClipTopdownPoseEstimator
    monkeypatch.setattr(ClipTopdownPoseEstimator, 'test_step', _oracle_test_step([]))
    real = mod.PoseTrackInferencer._tube_data

    def interrupting(self, window, key, boxes, scores):
        if key == 3:
            raise KeyboardInterrupt
        return real(self, window, key, boxes, scores)
    monkeypatch.setattr(mod.PoseTrackInferencer, '_tube_data', interrupting)
    inf = PoseTrackInferencer(CLIP_T3, dets=dets, device='cpu', batch_size=1,
                              pose_batch_size=3)  # one tube per forward
    inf.tubes_cfg['min_track_length'] = 1
    out = tempfile.mkdtemp()
    with pytest.raises(KeyboardInterrupt):
        inf.track_video(clip, out, progress=False)
    data = _read(osp.join(out, f'{NAME}.json'))
    assert data['info']['complete'] is False
    assert [im['frame_idx'] for im in data['images']] == [0, 1]
    assert len(data['annotations']) == 4
    kp = np.asarray(data['annotations'][2]['keypoints']).reshape(17, 3)  # frame 1, person A
    np.testing.assert_allclose(kp[:, :2], _template_pose(PEOPLE[0](1)), atol=2e-3)
    assert inf.last_summary['complete'] is False


def test_clip_model_settings_from_its_config():
    """The tube settings come from the config's test dataset and test loop; a clip model
    without test_cfg.tubes is refused with one line."""
    from mmengine.config import Config

    from mmpose_track.apis.inferencer import _clip_settings
    cfg = Config.fromfile(CLIP_T9_S2)
    got = _clip_settings(cfg, 'x')
    assert (got['clip_len'], got['keyframe_step'], got['enlarge']) == (9, 2, 1.25)
    assert got['tubes']['merge'] == 'spatial_temporal'
    assert _clip_settings(Config.fromfile(TINY), 'x') is None
    cfg.test_cfg = dict(type='PoseTrackTestLoop')
    with pytest.raises(ValueError, match='test_cfg has no tubes'):
        _clip_settings(cfg, 'x')
