"""TKMRNet test-time refinement (Sec. 3.3, Table 3 M6 / M7): the model's refinement inputs, the
delayed refiner driven by ``VideoTrackingStream`` and by the tracking loop.

Tiny random-weight model of ``test_tkmrnet_estimator`` (K = 5, 48x64 input, 12x16 heatmaps).
"""
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmpose.codecs.utils import refine_keypoints

from mmpose_track.engine.loops import PoseTrackTestLoop
from mmpose_track.models.heads.keypoint_refinement_head import (INSTANCE_FIELDS,
                                                                DelayedKeypointRefiner)
from mmpose_track.models.utils.keypoint_matching import candidate_subpixel_offsets
from mmpose_track.tracking.video_stream import VideoTrackingStream

from .test_tkmrnet_estimator import H_HM, H_IN, K, W_HM, W_IN, _frame_sample, _stage1, _tkmrnet

TRACKER = 'configs/trackers/keypoint_matching.py'
CENTERS = (24.0, 40.0)  # two people per frame, crops 16 px apart (boxes overlap: IoU gate passes)


def _model(refine, seed=0, perturb=False):
    model = _tkmrnet(seed=seed, test_cfg=dict(flip_test=False, refine=refine))
    model.load_state_dict(_stage1().state_dict(), strict=False)  # refine_head := head
    if perturb:  # a refinement module that differs from the keypoint head
        g = torch.Generator().manual_seed(seed + 7)
        with torch.no_grad():
            for p in model.refine_head.parameters():
                p.add_(torch.randn(p.shape, generator=g) * 0.05)
            for p in model.matching_head.parameters():
                p.add_(torch.randn(p.shape, generator=g) * 0.3)
    return model.eval()


def _video(num_frames=5, seed=0):
    """Per frame: the crops of the two people and their data samples."""
    rng = np.random.default_rng(seed)
    frames = []
    for f in range(num_frames):
        imgs, samples = [], []
        for i, cx in enumerate(CENTERS):
            imgs.append(torch.as_tensor(rng.uniform(0, 1, (3, H_IN, W_IN)), dtype=torch.float32))
            s = _frame_sample('v', f, np.zeros((K, 2)), np.ones(K), i)
            s.set_metainfo(dict(input_center=np.array([cx, 60.0], np.float32),
                                input_scale=np.array([W_IN * 1.5, H_IN * 1.5], np.float32),
                                img_path=f'v/{f:06d}.jpg'))
            s.gt_instances.bboxes = np.array([[cx - 36, 12, cx + 36, 108]], np.float32)
            samples.append(s)
        frames.append((imgs, samples))
    return frames


def _predict(model, video):
    out = []
    with torch.no_grad():
        for imgs, samples in video:
            out += model.test_step(dict(inputs=imgs, data_samples=samples))
    return out


def _crop_to_image(xy_input, meta):
    size = np.asarray(meta['input_size'], np.float64)
    scale = np.asarray(meta['input_scale'], np.float64)
    return xy_input / size * scale + np.asarray(meta['input_center'], np.float64) - 0.5 * scale


# ------------------------------------------------------------------------------------------
def test_subpixel_offsets_equal_mmpose_refine_keypoints():
    """Every pixel of random heatmaps as a candidate, against MMPose's loop."""
    rng = np.random.default_rng(0)
    B, KK, H, W = 2, 3, 7, 6
    hm = rng.normal(size=(B, KK, H, W)).astype(np.float32)
    hm[0, 0, 3] = hm[0, 0, 3, 2]  # flat rows and columns: dx = 0 / dy = 0 cases
    hm[1, 1, :, 4] = 0.5
    yy, xx = np.mgrid[0:H, 0:W]
    loc = np.stack([xx.ravel(), yy.ravel()], -1)  # (H*W, 2)
    locs = np.broadcast_to(loc, (B, KK) + loc.shape).copy()
    locs[0, 1, :3] = -1  # padding: offset 0
    got = candidate_subpixel_offsets(torch.from_numpy(hm), torch.from_numpy(locs)).numpy()
    for b in range(B):
        for k in range(KK):
            for c in range(len(loc)):
                if locs[b, k, c, 0] < 0:
                    assert (got[b, k, c] == 0).all()
                    continue
                kp = np.zeros((1, KK, 2), np.float32)
                kp[0, k] = locs[b, k, c]
                ref = refine_keypoints(kp.copy(), hm[b])[0, k] - locs[b, k, c]
                np.testing.assert_array_equal(got[b, k, c], ref, err_msg=str((b, k, c)))


def test_predict_refinement_inputs_by_hand():
    model = _model('context', perturb=True)
    video = _video(1)
    res = _predict(model, video)
    imgs, samples = video[0]
    with torch.no_grad():
        x = torch.stack(imgs)
        feats = model.backbone(x)
        hm = model.head(feats).numpy()
        H = model.refine_head(feats)
        F = model.matching_head(feats)
    n = model.num_candidates
    for b, ds in enumerate(res):
        p = ds.pred_instances
        assert p.refine_candidates.shape == (1, K, n, 2)
        assert p.refine_features.shape == (1, K, n, 16) and p.refine_match_features.shape == (
            1, K, n, 16)
        assert 'heatmaps' not in ds.get('pred_fields', {})  # not asked for
        cand = p.refine_candidates[0].numpy()
        for k in range(K):
            # candidate 0 is the arg-max (MMPose's decoded keypoint, in the image)
            y, xx = divmod(int(hm[b, k].argmax()), W_HM)
            assert tuple(cand[k, 0]) == (xx, y)
            np.testing.assert_allclose(p.refine_candidate_keypoints[0, k, 0], p.keypoints[0, k],
                                       atol=1e-4)
            for c in range(n):
                cx, cy = cand[k, c]
                if cx < 0:
                    assert np.isnan(p.refine_candidate_keypoints[0, k, c]).all()
                    assert p.refine_candidate_scores[0, k, c] == float('-inf')
                    continue
                assert np.isclose(float(p.refine_candidate_scores[0, k, c]), hm[b, k, cy, cx])
                torch.testing.assert_close(p.refine_features[0, k, c], H[b, :, cy, cx])
                torch.testing.assert_close(p.refine_match_features[0, k, c], F[b, :, cy, cx])
                if c == 0:
                    continue
                kp = np.zeros((1, K, 2), np.float32)
                kp[0, k] = (cx, cy)
                sub = refine_keypoints(kp, hm[b])[0, k].astype(np.float64)
                expect = _crop_to_image(sub * np.array([W_IN / W_HM, H_IN / H_HM]),
                                        samples[b].metainfo)
                np.testing.assert_allclose(p.refine_candidate_keypoints[0, k, c], expect,
                                           atol=1e-4)


def test_refinement_off_predicts_no_refinement_inputs():
    model = _model(None)
    res = _predict(model, _video(1))
    assert not any(f in res[0].pred_instances for f in INSTANCE_FIELDS.values())
    assert model.video_refiner() is None
    with pytest.raises(ValueError, match='test_cfg.refine'):
        _tkmrnet(test_cfg=dict(refine='temporal'))


@pytest.mark.parametrize('refine', ['self', 'context'])
def test_refiner_initialised_from_head_keeps_the_poses(refine):
    """Stage 1 loaded: the refinement module equals the keypoint head, so without context the
    re-scored candidates are the heatmap responses and the arg-max stays (any scale of
    Eq. 6's D keeps the order); with context but the neighbours' similarity forced to 0 the
    same holds. The stream then returns the predicted poses unchanged."""
    model = _model(refine)
    if refine == 'context':
        model.matching_head.context_similarity = lambda a, b: torch.zeros(
            b.shape[:2] + a.shape[1:3])
    video = _video(4)
    res = _predict(model, video)
    plain = _predict(_model(None), video)
    st = VideoTrackingStream(TRACKER, num_keypoints=K, refiner=model.video_refiner())
    frames = st.push(res) + st.flush()
    ref = VideoTrackingStream(TRACKER, num_keypoints=K)
    ref_frames = ref.push(plain) + ref.flush()
    assert len(frames) == 4
    for a, b in zip(frames, ref_frames):
        np.testing.assert_allclose(a.pred_instances.keypoints, b.pred_instances.keypoints,
                                   atol=1e-5)
        np.testing.assert_allclose(a.pred_instances.keypoint_scores,
                                   b.pred_instances.keypoint_scores, atol=1e-6)
        np.testing.assert_array_equal(a.pred_instances.track_ids, b.pred_instances.track_ids)
        assert not any(f in a.pred_instances for f in INSTANCE_FIELDS.values())


def test_stream_writes_the_refiners_choice_into_the_right_frames():
    """A refiner that differs from the head moves some joints; each frame's output is the
    candidate chosen by an independent whole-video refinement (refine_video's heatmap-pixel
    keypoints), mapped to the image by MMPose's own quarter shift and crop transform."""
    model = _model('context', seed=3, perturb=True)
    video = _video(6, seed=1)
    res = _predict(model, video)
    # independent: heatmaps and the refinement choice in heatmap pixels
    inputs = []
    for r in res:
        p = r.pred_instances
        kp = np.concatenate([p.keypoints, p.keypoint_scores[..., None]], -1)
        inputs.append((kp, p.bboxes, p.refine_candidates, p.refine_candidate_scores,
                       p.refine_features, p.refine_match_features))
    per_frame = []
    for f in range(6):
        a, b = inputs[2 * f], inputs[2 * f + 1]
        per_frame.append(dict(
            keypoints=np.concatenate([a[0], b[0]]), bboxes=np.concatenate([a[1], b[1]]),
            candidates=torch.cat([a[2], b[2]]), candidate_scores=torch.cat([a[3], b[3]]),
            refine_features=torch.cat([a[4], b[4]]), match_features=torch.cat([a[5], b[5]])))
    from mmpose_track.models.heads.keypoint_refinement_head import refine_video
    expect = refine_video(per_frame, model.matching_head, model.refine_head)

    st = VideoTrackingStream(TRACKER, num_keypoints=K, refiner=model.video_refiner())
    frames = st.push(res[:5]) + st.push(res[5:9]) + st.push(res[9:]) + st.flush()
    assert len(frames) == 6
    moved = 0
    with torch.no_grad():
        for f, frame in enumerate(frames):
            imgs, samples = video[f]
            hm = model.head(model.backbone(torch.stack(imgs))).numpy()
            for i in range(2):
                orig = res[2 * f + i].pred_instances
                for k in range(K):
                    x, y = expect[f]['keypoints'][i, k]
                    got = frame.pred_instances.keypoints[i, k]
                    if (x, y) == tuple(orig.refine_candidates[0, k, 0].tolist()):
                        np.testing.assert_allclose(got, orig.keypoints[0, k], atol=1e-4)
                        continue
                    moved += 1
                    kp = np.zeros((1, K, 2), np.float32)
                    kp[0, k] = (x, y)
                    sub = refine_keypoints(kp, hm[i])[0, k].astype(np.float64)
                    img = _crop_to_image(sub * np.array([W_IN / W_HM, H_IN / H_HM]),
                                         samples[i].metainfo)
                    np.testing.assert_allclose(got, img, atol=1e-4)
                    assert np.isclose(frame.pred_instances.keypoint_scores[i, k],
                                      hm[i, k, y, x], atol=1e-6)
    assert moved > 0  # the case is not vacuous


def test_frame_without_people_and_one_frame_video():
    model = _model('context', perturb=True)
    video = _video(1)
    res = _predict(model, video)
    refiner = model.video_refiner()
    st = VideoTrackingStream(TRACKER, num_keypoints=K, refiner=refiner)
    frames = st.push(res) + st.flush()
    assert len(frames) == 1 and len(frames[0].pred_instances) == 2
    assert np.isfinite(frames[0].pred_instances.keypoints).all()
    # an empty frame keeps the refiner's count aligned with the video's frames
    refiner.reset()
    from mmengine.structures import InstanceData
    assert refiner.push_instances(InstanceData()) == []
    assert refiner.push_instances(res[0].pred_instances.clone()) == []
    out = refiner.flush()
    assert [t for t, _ in out] == [0, 1]
    assert out[0][1]['image_keypoints'].shape == (0, K, 2)
    assert out[1][1]['image_keypoints'].shape == (1, K, 2)
    # people without the refinement inputs: one clear error
    plain = _predict(_model(None), video)
    with pytest.raises(ValueError, match='test_cfg.refine'):
        DelayedKeypointRefiner(model.matching_head, model.refine_head).push_instances(
            plain[0].pred_instances)


def test_tracking_loop_hands_the_models_refiner_to_the_stream():
    model = _model('self')
    runner = SimpleNamespace(model=SimpleNamespace(module=model))
    loop = PoseTrackTestLoop.__new__(PoseTrackTestLoop)
    loop._runner = runner  # BaseLoop.runner reads it
    loop.dataloader = SimpleNamespace(dataset=SimpleNamespace(metainfo=dict(num_keypoints=K)))
    loop._init_tracking(TRACKER, None)
    stream = loop._new_stream()
    assert isinstance(stream.refiner, DelayedKeypointRefiner) and stream.refiner.tau == 0
    runner.model = SimpleNamespace(module=_model(None))
    assert loop._new_stream().refiner is None
