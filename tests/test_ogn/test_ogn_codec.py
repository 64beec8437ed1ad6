"""OGN codec (Eq. 1-4): targets, round trip on real keypoints, quantisation error, flip."""
import numpy as np
import pytest
import torch

from mmpose_track.codecs import OffsetHeatmap
from mmpose_track.models.heads import flip_back_ogn_outputs

from ._real_keypoints import cropped_keypoints


def _errors(codec, people, use_offset=True):
    codec.use_offset = use_offset
    errs = []
    for k, v in people:
        enc = codec.encode(k[None], v[None])
        kp, _ = codec.decode(enc['heatmaps'], enc['offsets'])
        m = v > 0
        errs.append(np.linalg.norm(kp[0][m] - k[m], axis=1) / codec.scale_factor[0])
    codec.use_offset = True
    return np.concatenate(errs)  # heatmap pixels


def test_targets_eq1_eq2():
    c = OffsetHeatmap((192, 256), (24, 32), radius=3.0)
    k = np.array([[[10.3 * 8, 7.6 * 8], [0., 0.], [500., 10.]]], np.float32)
    enc = c.encode(k, np.array([[1., 0., 1.]], np.float32))
    hm, off, ow = enc['heatmaps'], enc['offsets'], enc['offset_weights']
    assert hm.shape == (3, 32, 24) and off.shape == (6, 32, 24) and ow.shape == (6, 32, 24)
    np.testing.assert_array_equal(enc['keypoint_weights'], [[1., 0., 0.]])  # invisible, off-map
    yy, xx = np.mgrid[:32, :24]
    disk = (xx - 10.3)**2 + (yy - 7.6)**2 <= 9
    np.testing.assert_array_equal(hm[0], disk)
    np.testing.assert_allclose(off[0], np.where(disk, (10.3 - xx) / 3, 0), atol=1e-5)
    np.testing.assert_allclose(off[1], np.where(disk, (7.6 - yy) / 3, 0), atol=1e-5)
    assert np.abs(off).max() <= 1 + 1e-6
    assert hm[1:].sum() == 0 and off[2:].sum() == 0 and ow[2:].sum() == 0


@pytest.mark.parametrize('hm_size,radius', [((24, 32), 3.0), ((12, 16), 1.5)])
def test_round_trip_real_keypoints(hm_size, radius):
    people = cropped_keypoints((192, 256))
    assert sum(v.sum() for _, v in people) > 300  # COCO + PoseTrack18 test people
    err = _errors(OffsetHeatmap((192, 256), hm_size, radius=radius, blur_kernel=3), people)
    assert err.max() < 0.1, err.max()


def test_offsets_remove_stride16_quantisation():
    """Stride 16 (256x192 -> 16x12): argmax alone is off by the grid; offsets recover it.
    Measured: ~0.375 heatmap px = ~6.0 input px mean without offsets, ~0 with."""
    people = cropped_keypoints((192, 256))
    codec = OffsetHeatmap((192, 256), (12, 16), radius=1.5, blur_kernel=3)
    with_off = _errors(codec, people, True)
    without = _errors(codec, people, False)
    assert without.mean() > 0.25  # uniform quantisation: E|d| ~ 0.38 px
    assert with_off.mean() < 0.05 * without.mean()


def test_decode_noisy_prediction_subpixel():
    """A smooth, noisy predicted map: the Gaussian-smoothed argmax + R x offset still lands within
    a small sub-pixel error."""
    rng = np.random.default_rng(0)
    c = OffsetHeatmap((192, 256), (12, 16), radius=1.5, blur_kernel=3)
    k = np.array([[[77.7, 101.3], [20.2, 200.9]]], np.float32)
    enc = c.encode(k)
    hm = enc['heatmaps'] * 0.8 + rng.normal(0, 0.05, enc['heatmaps'].shape).astype(np.float32)
    off = enc['offsets'] + rng.normal(0, 0.02, enc['offsets'].shape).astype(np.float32)
    kp, sc = c.decode(hm, off)
    assert kp.shape == (1, 2, 2) and sc.shape == (1, 2)
    assert np.abs(kp - k).max() / 16 < 0.1


@pytest.mark.parametrize('stride,radius', [(8, 3.0), (16, 1.5)])
def test_flip_back_exact(stride, radius):
    """Targets of the flipped crop, flipped back and averaged, decode to the original keypoints."""
    W, H = 192, 256
    c = OffsetHeatmap((W, H), (W // stride, H // stride), radius=radius, blur_kernel=0)
    k = np.array([[[60.4, 100.2], [130.9, 101.7], [96.1, 30.3]]], np.float32)
    flip_indices = [1, 0, 2]
    kf = k.copy()
    kf[..., 0] = W - 1 - kf[..., 0]
    kf = kf[:, flip_indices]
    e, ef = c.encode(k), c.encode(kf)
    hm_f, off_f = flip_back_ogn_outputs(
        torch.from_numpy(ef['heatmaps'])[None], torch.from_numpy(ef['offsets'])[None],
        flip_indices, stride, radius, shift_heatmap=True)
    kp_f, _ = c.decode(hm_f[0].numpy(), off_f[0].numpy())
    assert np.abs(kp_f - k).max() < 0.05 * stride
    hm = (torch.from_numpy(e['heatmaps']) + hm_f[0]) / 2
    off = (torch.from_numpy(e['offsets']) + off_f[0]) / 2
    kp, _ = c.decode(hm.numpy(), off.numpy())
    assert np.abs(kp - k).max() < 0.05 * stride


@pytest.mark.parametrize('kernel', [3, 5, 11])
def test_smoothing_is_cv2_gaussian_blur(kernel):
    """The tensor smoothing equals cv2.GaussianBlur(sigma=0, zero border) up to the max-keeping
    rescale, on numpy and torch inputs alike."""
    import cv2

    from mmpose_track.codecs import smooth_heatmaps
    rng = np.random.default_rng(1)
    hm = rng.random((3, 20, 17)).astype(np.float32)
    ref = np.stack([cv2.GaussianBlur(h, (kernel, kernel), 0, borderType=cv2.BORDER_CONSTANT)
                    for h in hm])
    ref *= (hm.reshape(3, -1).max(1) / ref.reshape(3, -1).max(1))[:, None, None]
    np.testing.assert_allclose(smooth_heatmaps(hm, kernel), ref, rtol=1e-5, atol=1e-6)
    out = smooth_heatmaps(torch.from_numpy(hm)[None], kernel)
    assert out.shape == (1, 3, 20, 17)
    np.testing.assert_allclose(out[0].numpy(), ref, rtol=1e-5, atol=1e-6)
