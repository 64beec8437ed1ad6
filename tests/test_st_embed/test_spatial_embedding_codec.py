"""SpatialEmbedding codec (ST-Embed Sec. 3.1, Eq. 1, 4, 5): hand values on a toy, MMPose's
loop-based heatmaps as reference, and round trips through AE decoding on the real PoseTrack18
and COCO annotations of ../shared/data."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmpose.codecs.utils import generate_gaussian_heatmaps
from mmpose.datasets.transforms import KeypointConverter

from mmpose_track.codecs import SpatialEmbedding, combine_embeddings, sie_from_svf

INPUT = 512
HM = 128


def _codec(**kw):
    return SpatialEmbedding(input_size=(INPUT, INPUT), heatmap_size=(HM, HM), **kw)


# ----------------------------------------------------------------------------- hand values
def _toy():
    """2 people, K = 5 (neck 1, head top 2), input 64x64 -> heatmap 16x16 (scale 4)."""
    nan = float('nan')
    kpts = np.array([
        # A: (2,2) (5,4) (5,1.5) invisible, (17.5,2.5) off the map
        [[8, 8], [20, 16], [20, 6], [30, 30], [70, 10]],
        # B: (3.5,2.5) (7.5,10) NaN-invisible (15,15.5)->y 16 off, (-0.25,0)->pixel (0,0) on
        [[14, 10], [30, 40], [nan, nan], [60, 62], [-1, 0]],
    ], dtype=np.float32)
    vis = np.array([[1, 1, 1, 0, 1], [1, 1, 0, 1, 1]], dtype=np.float32)
    codec = SpatialEmbedding(input_size=(64, 64), heatmap_size=(16, 16), sigma=2.0,
                             decode_keypoint_order=[1, 0, 2, 3, 4])
    return codec, kpts, vis


def test_hand_values_two_people():
    codec, kpts, vis = _toy()
    e = codec.encode(kpts, vis)
    np.testing.assert_array_equal(e['keypoint_weights'], [[1, 1, 1, 0, 0], [1, 1, 0, 0, 1]])
    np.testing.assert_array_equal(
        e['keypoint_indices'],
        [[[2 * 16 + 2, 1], [4 * 16 + 5, 1], [2 * 16 + 5, 1], [0, 0], [0, 0]],
         [[3 * 16 + 4, 1], [10 * 16 + 8, 1], [0, 0], [0, 0], [0, 1]]])
    cA = np.array([(2 + 5 + 5) / 3, (2 + 4 + 1.5) / 3])  # = (4, 2.5)
    cB = np.array([(3.5 + 7.5 - 0.25) / 3, (2.5 + 10 + 0) / 3])
    np.testing.assert_allclose(e['instance_centres'], [cA, cB], atol=1e-6)
    sv = np.zeros((2, 5, 2))
    sv[0, 0], sv[0, 1], sv[0, 2] = np.array([2, 2]) - cA, np.array([5, 4]) - cA, \
        np.array([5, 2]) - cA
    sv[1, 0], sv[1, 1], sv[1, 4] = np.array([4, 3]) - cB, np.array([8, 10]) - cB, -cB
    np.testing.assert_allclose(e['spatial_vectors'], sv, atol=1e-6)
    # head size ||p_headtop - p_neck||^2 in heatmap px: A (5,1.5)-(5,4) -> 6.25; B: no head top
    np.testing.assert_allclose(e['order_keys'], [[4, 2.5, 6.25], [cB[0], cB[1], 0]], atol=1e-6)
    np.testing.assert_array_equal(e['order_key_weights'], [[1, 1, 1], [1, 1, 0]])

    hm = e['heatmaps']
    g = lambda d2: np.exp(-d2 / 8.)  # noqa: E731  (sigma 2: 2 sigma^2 = 8)
    assert hm.shape == (5, 16, 16) and hm.dtype == np.float32
    # joint 0: A at (2,2), B at (4,3); value at [y, x]
    for (x, y), want in {(2, 2): 1., (4, 3): 1., (3, 2): g(1), (3, 3): g(1), (0, 0): g(8),
                         (9, 3): g(25), (10, 3): g(36), (11, 3): 0., (2, 9): g(40),
                         (2, 10): 0.}.items():
        assert hm[0, y, x] == pytest.approx(want, abs=1e-6), (x, y)
    assert hm[3].max() == 0  # only invisible / off-map keypoints
    assert hm[4, 0, 0] == 1 and hm[4, 0, 6] == pytest.approx(g(36)) and hm[4, 6, 6] == \
        pytest.approx(g(72))
    # MMPose's loop-based generator on the valid keypoints is the independent reference
    hm_kpts = np.nan_to_num(kpts / 4.)
    ref, _ = generate_gaussian_heatmaps((16, 16), hm_kpts, e['keypoint_weights'], sigma=2.0)
    np.testing.assert_allclose(hm, ref, atol=1e-6)


def test_heatmaps_match_mmpose_loop_on_random_people():
    rng = np.random.default_rng(0)
    kpts = rng.uniform(-20, INPUT + 20, (20, 17, 2))
    vis = (rng.uniform(size=(20, 17)) > 0.3).astype(np.float32)
    e = _codec().encode(kpts, vis)
    ref, _ = generate_gaussian_heatmaps((HM, HM), kpts / 4., e['keypoint_weights'], sigma=2.0)
    np.testing.assert_allclose(e['heatmaps'], ref, atol=1e-6)
    # AE's own indices (loop over people x joints) where our weight is 1
    ae = SpatialEmbedding.__mro__[1]._encode_keypoint_indices(None, (HM, HM), kpts / 4., vis)
    w = e['keypoint_weights'] > 0
    np.testing.assert_array_equal(e['keypoint_indices'][w], ae[w])


def test_combine_and_sie_hand_values():
    B, K, H, W = 1, 2, 3, 4
    svf = torch.zeros(B, 2 * K, H, W)
    svf[0, 2, 1, 3], svf[0, 3, 1, 3] = 1.5, -2.0  # joint 1 at pixel (x=3, y=1): SVF (1.5, -2)
    sie = sie_from_svf(svf)
    assert sie[0, 0, 2, 1] == 1 and sie[0, 1, 2, 1] == 2  # joint 0, pixel (1, 2): p - 0
    assert sie[0, 2, 1, 3] == 3 - 1.5 and sie[0, 3, 1, 3] == 1 + 2.0
    ke = torch.arange(2 * K * H * W, dtype=torch.float32).view(B, 2 * K, H, W)  # L = 2
    tags = combine_embeddings(ke, sie, sie_scale=2.0)
    assert tags.shape == (B, 4 * K, H, W)
    t = tags.view(B, 4, K, H, W)[0, :, 1, 1, 3]  # joint 1 at (3, 1): [ke_0, ke_1, sx/2, sy/2]
    np.testing.assert_allclose(t.numpy(), [ke[0, 1, 1, 3], ke[0, 3, 1, 3], 1.5 / 2, 3.0 / 2])
    # the AE decoder's distance between two such tags: sqrt(d_KE^2 + (d_SIE / scale)^2)
    a, b = tags.view(B, 4, K, H, W)[0, :, 1, 1, 3], tags.view(B, 4, K, H, W)[0, :, 0, 0, 0]
    d_ke = (ke.view(B, 2, K, H, W)[0, :, 1, 1, 3] - ke.view(B, 2, K, H, W)[0, :, 0, 0, 0])
    d_sie = torch.tensor([1.5 - 0, 3.0 - 0])
    assert torch.linalg.norm(a - b) == pytest.approx(
        float(torch.sqrt((d_ke**2).sum() + (d_sie**2).sum() / 4)), rel=1e-6)
    assert torch.equal(combine_embeddings(None, sie, 2.0), sie.view(B, K, 2, H, W)
                       .transpose(1, 2).reshape(B, 2 * K, H, W) / 2)


# ----------------------------------------------------------------------------- round trips
def _ideal_maps(codec, e):
    """Prediction maps a perfect SpatialNet would output for the targets ``e``: GT heatmaps,
    KE = person index at each keypoint pixel (-100 elsewhere), SVF = the target vectors."""
    K = e['heatmaps'].shape[0]
    W, H = codec.heatmap_size
    ke = np.full((K, H * W), -100., np.float32)
    svf = np.zeros((K, 2, H * W), np.float32)
    owner = np.full((K, H * W), -1)
    for n in range(e['keypoint_indices'].shape[0]):
        for j in range(K):
            idx, valid = e['keypoint_indices'][n, j]
            if valid:
                ke[j, idx], svf[j, :, idx], owner[j, idx] = n, e['spatial_vectors'][n, j], n
    return (torch.from_numpy(e['heatmaps'])[None], torch.from_numpy(ke.reshape(1, K, H, W)),
            torch.from_numpy(svf.reshape(1, 2 * K, H, W)), owner)


def _check_round_trip(codec, kpts, vis, name):
    e = codec.encode(kpts, vis)
    heat, ke, svf, owner = _ideal_maps(codec, e)
    kps, scores, _ = codec.batch_decode_embeddings(heat, ke, svf)
    kps, scores = kps[0], scores[0]
    s = float(codec.scale_factor[0])
    sie = sie_from_svf(svf)[0].view(-1, 2, *svf.shape[2:]).numpy()  # (K, 2, H, W)
    W = codec.heatmap_size[0]
    # a keypoint is recoverable unless another person's same joint falls on its pixel
    idx, w = e['keypoint_indices'][..., 0], e['keypoint_weights'] > 0
    K = idx.shape[1]
    own = owner[np.arange(K)[None], idx] == np.arange(len(idx))[:, None]
    check = w & own
    people = [n for n in range(len(kpts)) if check[n].any()]
    assert len(kps) == len(people), f'{name}: decoded {len(kps)} people, expected {len(people)}'
    used = set()
    n_checked = 0
    for n in people:
        joints = np.nonzero(check[n])[0]
        err = np.abs(kps[:, joints] - kpts[n, joints][None]).max(-1)  # (N_dec, J)
        # a keypoint at p lies on pixel round(p/s); AE's refinement moves <= 0.25 px
        close = (err <= 0.75 * s + 1e-3).all(1)
        assert close.sum() == 1, f'{name}: person {n} matches {np.nonzero(close)[0]} decoded'
        d = int(np.nonzero(close)[0][0])
        assert d not in used
        used.add(d)
        np.testing.assert_allclose(scores[d, joints], 1.0, atol=1e-6)
        # SIE at the decoded keypoints = the person's centre (heatmap px)
        px = np.floor(kps[d, joints] / s + 0.5).astype(int)
        got = sie[joints, :, px[:, 1], px[:, 0]]
        np.testing.assert_allclose(got, np.repeat(e['instance_centres'][n][None], len(joints), 0),
                                   atol=1e-4)
        np.testing.assert_array_equal(px[:, 1] * W + px[:, 0], idx[n, joints])
        n_checked += len(joints)
    return n_checked, int(w.sum()), e


def _letterbox(kpts, width, height):
    scale = INPUT / max(width, height)
    out = kpts * scale
    out[..., 0] += (INPUT - width * scale) / 2
    out[..., 1] += (INPUT - height * scale) / 2
    return out


def _load(path):
    with open(path) as f:
        d = json.load(f)
    by_img = {}
    for a in d['annotations']:
        by_img.setdefault(a['image_id'], []).append(np.array(a['keypoints'], float).reshape(-1, 3))
    return [(img, np.stack(by_img[img['id']])) for img in d['images'] if img['id'] in by_img]


def test_round_trip_real_posetrack18(shared_data):
    codec = _codec()
    frames = _load(osp.join(shared_data, 'posetrack18', 'annotations',
                            'test_posetrack18_val.json'))
    assert sorted(len(k) for _, k in frames) == [1, 2, 11]  # the data README
    total_checked = total_valid = 0
    for img, raw in frames:
        kpts = _letterbox(raw[..., :2], img['width'], img['height'])
        vis = (raw[..., 2] > 0).astype(np.float32)
        checked, valid, e = _check_round_trip(codec, kpts, vis, img['file_name'])
        total_checked, total_valid = total_checked + checked, total_valid + valid
        # every PoseTrack18 person with neck and head top has a far-near key
        head = (vis[:, 1] > 0) & (vis[:, 2] > 0)
        np.testing.assert_array_equal(e['order_key_weights'][:, 2], head)
        d = (kpts[:, 2] - kpts[:, 1]) / codec.scale_factor
        np.testing.assert_allclose(e['order_keys'][head, 2], (d[head]**2).sum(-1), rtol=1e-5)
    # every labelled keypoint of the 3 frames (182) is on the map and none shares its pixel
    assert total_valid == sum(int((raw[..., 2] > 0).sum()) for _, raw in frames) == 182
    assert total_checked == total_valid


def test_round_trip_real_coco_in_posetrack18_layout(shared_data):
    """COCO -> PT18 layout with MMPose's KeypointConverter: the eyes (COCO 1, 2) are dropped
    since PT18's slots 1 / 2 are head_bottom / head_top."""
    conv = KeypointConverter(num_keypoints=17, mapping=[(i, i) for i in [0] + list(range(3, 17))])
    codec = _codec()
    total_checked = total_valid = 0
    frames = _load(osp.join(shared_data, 'coco', 'test_coco.json'))
    for img, raw in frames:
        res = conv(dict(keypoints=raw[..., :2].copy(), keypoints_visible=raw[..., 2].copy()))
        kpts = _letterbox(res['keypoints'], img['width'], img['height'])
        vis = (res['keypoints_visible'][..., 0] > 0).astype(np.float32)
        assert not vis[:, 1:3].any()
        checked, valid, e = _check_round_trip(codec, kpts, vis, img['file_name'])
        total_checked, total_valid = total_checked + checked, total_valid + valid
        assert not e['order_key_weights'][:, 2].any()  # no head top in COCO
        np.testing.assert_array_equal(e['order_key_weights'][:, 0], vis.any(1))
    # the labelled keypoints of the 14 people but their eyes (162), all recovered
    assert total_valid == sum(int((raw[:, [0] + list(range(3, 17)), 2] > 0).sum())
                              for _, raw in frames) == 162
    assert total_checked == total_valid


def test_sie_fixes_swapped_ke():
    """KE 0 for person A and 0.9 for person B, but swapped on the knees and ankles: KE alone
    (AE greedy grouping) gives each person the other's legs; [KE, SIE / sie_scale] with centres
    160 input px = 40 heatmap px apart (SIE distance 40 / 10 = 4 >> 0.9) groups them right."""
    codec = _codec(sie_scale=10.0)
    kpts = np.zeros((2, 17, 2))
    kpts[:, :, 1] = 200 + 8 * np.arange(17)[None]
    kpts[0, :, 0], kpts[1, :, 0] = 100, 260
    e = codec.encode(kpts, np.ones((2, 17)))
    heat, ke, svf, _ = _ideal_maps(codec, e)
    tag = np.zeros((2, 17), np.float32)
    tag[1] = 0.9
    tag[:, 13:] = tag[::-1, 13:]  # swap the legs' tags
    ke = ke.view(17, -1).clone()
    for n in range(2):
        for j in range(17):
            ke[j, e['keypoint_indices'][n, j, 0]] = float(tag[n, j])
    ke = ke.view(1, 17, HM, HM)
    for kps, want_mixed in ((codec.batch_decode(heat, ke)[0][0], True),
                            (codec.batch_decode_embeddings(heat, ke, svf)[0][0], False)):
        assert len(kps) == 2
        xs = [sorted(set(np.round(k[:, 0]).tolist())) for k in kps]
        if want_mixed:
            assert all(x == [100, 260] for x in xs)
        else:
            assert sorted(xs) == [[100], [260]]
            for k in kps:
                np.testing.assert_allclose(k, kpts[0 if k[0, 0] < 200 else 1], atol=3)


# ----------------------------------------------------------------------------- bad input
def test_zero_people_and_all_invisible():
    codec = _codec()
    e = codec.encode(np.zeros((0, 17, 2)), np.zeros((0, 17)))
    assert e['heatmaps'].shape == (17, HM, HM) and not e['heatmaps'].any()
    assert e['keypoint_indices'].shape == (0, 17, 2) and e['spatial_vectors'].shape == (0, 17, 2)
    assert e['order_keys'].shape == e['order_key_weights'].shape == (0, 3)
    e = codec.encode(np.full((3, 17, 2), 100.), np.zeros((3, 17)))
    assert not e['heatmaps'].any() and not e['keypoint_weights'].any()
    assert not e['order_key_weights'].any() and not e['instance_centres'].any()
    assert not e['keypoint_indices'].any() and not e['spatial_vectors'].any()
    # decoding a frame with nobody: no people, no crash
    kps, scores, inst = codec.batch_decode_embeddings(
        torch.zeros(1, 17, HM, HM), torch.zeros(1, 17, HM, HM), torch.zeros(1, 34, HM, HM))
    assert kps[0].shape == (0, 17, 2) and scores[0].shape == (0, 17)


def test_nan_coordinates():
    codec = _codec()
    kpts = np.full((2, 17, 2), 50.)
    kpts[1, 3] = np.nan
    vis = np.ones((2, 17))
    with pytest.raises(ValueError, match=r'keypoints\[1, 3\].*not finite but visible') as info:
        codec.encode(kpts, vis)
    assert '\n' not in str(info.value)
    vis[1, 3] = 0  # NaN of a missing keypoint is a defined "missing"
    e = codec.encode(kpts, vis)
    assert e['keypoint_weights'][1, 3] == 0 and np.isfinite(e['spatial_vectors']).all()
    np.testing.assert_allclose(e['instance_centres'], 50. / 4)
    with pytest.raises(ValueError, match='NaN or inf in heatmaps'):
        codec.batch_decode(torch.full((1, 17, 8, 8), float('nan')), torch.zeros(1, 17, 8, 8))
    with pytest.raises(ValueError, match='do not fit'):
        codec.batch_decode(torch.zeros(1, 17, 8, 8), torch.zeros(1, 16, 8, 8))


def test_built_from_registry_with_mapping_tables():
    from mmpose.registry import KEYPOINT_CODECS
    codec = KEYPOINT_CODECS.build(dict(type='SpatialEmbedding', input_size=(256, 256),
                                       heatmap_size=(64, 64)))
    assert codec.sie_scale == 10.0 and codec.sigma == 2.0 and codec.tag_dim == 1
    for key in ('keypoint_indices', 'keypoint_weights', 'spatial_vectors', 'instance_centres',
                'order_keys', 'order_key_weights'):
        assert codec.label_mapping_table[key] == key
    assert codec.field_mapping_table['heatmaps'] == 'heatmaps'
    assert codec.field_mapping_table['heatmap_mask'] == 'heatmap_mask'  # kept for the packer
