"""Temporal vector field targets (ST-Embed Eq. 7): hand values, a TIE round trip on real
PoseTrack18 people, and a real PoseTrack18PairDataset sample through ApplyToFrames +
GenerateTemporalTarget + PackMultiFramePoseInputs."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

import mmpose_track.datasets.transforms  # noqa: F401  (registers ApplyToFrames & co)
from mmpose_track.codecs import SpatialEmbedding, sie_from_svf
from mmpose_track.datasets.datasets import PoseTrack18PairDataset
from mmpose_track.datasets.transforms import GenerateTemporalTarget

K = 17


def _loop_reference(codec, kp_a, vis_a, ids_a, kp_b, vis_b, ids_b):
    """Eq. 7 with loops: (q^a_jk - c^b_k') for k' of frame b with k's track id."""
    W, H = codec.heatmap_size
    s = codec.scale_factor

    def valid(kp, vis, n, j):
        q = np.floor(kp[n, j] / s + 0.5)
        return vis[n, j] > 0.5 and 0 <= q[0] < W and 0 <= q[1] < H

    vec = np.zeros((len(kp_a), K, 2))
    w = np.zeros((len(kp_a), K))
    for n in range(len(kp_a)):
        for m in range(len(kp_b)):
            if ids_b[m] != ids_a[n]:
                continue
            joints = [j for j in range(K) if valid(kp_b, vis_b, m, j)]
            if not joints:
                continue
            centre = np.mean([kp_b[m, j] / s for j in joints], axis=0)
            for j in range(K):
                if valid(kp_a, vis_a, n, j):
                    vec[n, j] = np.floor(kp_a[n, j] / s + 0.5) - centre
                    w[n, j] = 1
    return vec, w


def test_hand_values():
    codec = SpatialEmbedding(input_size=(64, 64), heatmap_size=(16, 16))
    key = np.zeros((2, K, 2))
    vis_key = np.zeros((2, K))
    ref = np.zeros((3, K, 2))
    vis_ref = np.zeros((3, K))
    # key: track 5 with joints at heatmap (2, 2) and (6, 4); track 7 at (10, 10)
    key[0, 0], key[0, 5], key[1, 0] = (8, 8), (24, 16), (40, 40)
    vis_key[0, [0, 5]] = vis_key[1, 0] = 1
    # ref: track 7 at (9, 9), (11, 11) -> centre (10, 10); track 9; track 5 at (1, 1) -> (1, 1)
    ref[0, 0], ref[0, 1], ref[1, 0], ref[2, 3] = (36, 36), (44, 44), (20, 20), (4, 4)
    vis_ref[0, [0, 1]] = vis_ref[1, 0] = vis_ref[2, 3] = 1
    t = codec.encode_temporal(key, vis_key, np.array([5, 7]), ref, vis_ref, np.array([7, 9, 5]))
    fwd = np.zeros((2, K, 2))
    fwd[0, 0], fwd[0, 5], fwd[1, 0] = (2 - 1, 2 - 1), (6 - 1, 4 - 1), (0, 0)
    np.testing.assert_allclose(t['forward_vectors'], fwd)
    fw = np.zeros((2, K))
    fw[0, [0, 5]] = fw[1, 0] = 1
    np.testing.assert_array_equal(t['forward_weights'], fw)
    # backward: key centres: track 5 (4, 3), track 7 (10, 10); track 9 has no match
    bwd = np.zeros((3, K, 2))
    bwd[0, 0], bwd[0, 1], bwd[2, 3] = (9 - 10, 9 - 10), (11 - 10, 11 - 10), (1 - 4, 1 - 3)
    np.testing.assert_allclose(t['backward_vectors'], bwd)
    bw = np.zeros((3, K))
    bw[0, [0, 1]] = bw[2, 3] = 1
    np.testing.assert_array_equal(t['backward_weights'], bw)


def _real_people(shared_data):
    with open(osp.join(shared_data, 'posetrack18', 'annotations', 'val',
                       '012834_mpii_test.json')) as f:
        d = json.load(f)
    raw = np.stack([np.array(a['keypoints'], float).reshape(K, 3) for a in d['annotations']])
    ids = np.array([a['track_id'] for a in d['annotations']])
    scale = 512 / 1920
    kpts = raw[..., :2] * scale
    kpts[..., 1] += (512 - 1080 * scale) / 2
    return kpts, (raw[..., 2] > 0).astype(np.float32), ids


def test_tie_round_trip_real_pair(shared_data):
    """Frame t-1: the 11 real people of 012834; frame t: the same people moved by a
    per-person shift, reordered, one gone and one new. A perfect forward TVF at the key frame's
    joints decodes (TIE = p - TVF(p)) to the centre of the same track in frame t-1, and the
    backward TVF to the centre in frame t; unmatched people have weight 0."""
    codec = SpatialEmbedding(input_size=(512, 512), heatmap_size=(128, 128))
    ref, vis_ref, ids_ref = _real_people(shared_data)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(ref))[1:]  # drop one person
    key = ref[order] + rng.uniform(-12, 12, (len(order), 1, 2))
    vis_key, ids_key = vis_ref[order].copy(), ids_ref[order].copy()
    key = np.concatenate([key, ref[:1] + 30])  # a new person (track 99)
    vis_key = np.concatenate([vis_key, vis_ref[:1]])
    ids_key = np.concatenate([ids_key, [99]])
    t = codec.encode_temporal(key, vis_key, ids_key, ref, vis_ref, ids_ref)
    for vec, w, (kp_a, vis_a, id_a, kp_b, vis_b, id_b) in (
            (t['forward_vectors'], t['forward_weights'],
             (key, vis_key, ids_key, ref, vis_ref, ids_ref)),
            (t['backward_vectors'], t['backward_weights'],
             (ref, vis_ref, ids_ref, key, vis_key, ids_key))):
        ref_vec, ref_w = _loop_reference(codec, kp_a, vis_a, id_a, kp_b, vis_b, id_b)
        np.testing.assert_array_equal(w, ref_w)
        np.testing.assert_allclose(vec, ref_vec, atol=1e-4)
        # ideal TVF map at frame a's joint pixels, decoded to TIE
        ea, eb = codec.encode(kp_a, vis_a), codec.encode(kp_b, vis_b)
        tvf = torch.zeros(K, 2, 128 * 128)
        for n in range(len(kp_a)):
            for j in range(K):
                if w[n, j]:
                    tvf[j, :, ea['keypoint_indices'][n, j, 0]] = torch.from_numpy(vec[n, j])
        tie = sie_from_svf(tvf.view(1, 2 * K, 128, 128))[0].view(K, 2, -1)
        n_checked = 0
        for n in range(len(kp_a)):
            match = np.nonzero(id_b == id_a[n])[0]
            if not len(match):
                assert not w[n].any()
                continue
            for j in np.nonzero(w[n])[0]:
                got = tie[j, :, ea['keypoint_indices'][n, j, 0]].numpy()
                np.testing.assert_allclose(got, eb['instance_centres'][match[0]], atol=1e-4)
                n_checked += 1
        assert n_checked == int(w.sum()) > 100


def test_bad_track_ids():
    codec = SpatialEmbedding(input_size=(64, 64), heatmap_size=(16, 16))
    kp = np.full((2, K, 2), 20.)
    vis = np.ones((2, K))
    with pytest.raises(ValueError, match='ref track ids has a track id twice') as e:
        codec.encode_temporal(kp, vis, np.array([1, 2]), kp, vis, np.array([3, 3]))
    assert '\n' not in str(e.value)
    with pytest.raises(ValueError, match='one track id per person'):
        codec.encode_temporal(kp, vis, np.array([1]), kp, vis, np.array([1, 2]))
    # no people in one frame, untracked (-1) people: defined, weight 0
    t = codec.encode_temporal(kp[:0], vis[:0], np.zeros(0, int), kp, vis, np.array([-1, 4]))
    assert t['forward_vectors'].shape == (0, K, 2) and t['backward_weights'].shape == (2, K)
    assert not t['backward_weights'].any()
    t = codec.encode_temporal(kp, vis, np.array([-1, 4]), kp, vis, np.array([-1, 4]))
    np.testing.assert_array_equal(t['forward_weights'].any(1), [False, True])


# ----------------------------------------------------------------------------- pair dataset
CODEC = dict(type='SpatialEmbedding', input_size=(256, 256), heatmap_size=(64, 64))
PIPELINE = [
    dict(type='ApplyToFrames', transforms=[
        dict(type='LoadImage'),
        dict(type='BottomupRandomAffine', input_size=(256, 256)),
        dict(type='RandomFlip', direction='horizontal', prob=0.5),
        dict(type='GenerateTarget', encoder=CODEC),
        dict(type='BottomupGetHeatmapMask')]),
    dict(type='GenerateTemporalTarget', encoder=CODEC),
    dict(type='PackMultiFramePoseInputs'),
]


@pytest.fixture(scope='module')
def synthetic_pairs(tmp_path_factory):
    from mmpose_track.datasets.synthetic.writer import generate_synthetic_posetrack18
    root = str(tmp_path_factory.mktemp('st_embed_pairs') / 'set')
    generate_synthetic_posetrack18(root, seed=3, num_videos=1, num_frames=9, splits=('train', ))
    init_default_scope('mmpose')
    return PoseTrack18PairDataset(frame_range=2, data_root=root + '/',
                                  ann_file='annotations/train/', data_prefix=dict(img=''),
                                  pipeline=PIPELINE)


def test_pair_sample_packs_temporal_targets(synthetic_pairs):
    """Each frame's gt_instance_labels carries its TVF targets; they equal the loop reference
    computed from that sample's packed (augmented) keypoints and track ids."""
    codec = SpatialEmbedding(input_size=(256, 256), heatmap_size=(64, 64))
    np.random.seed(1)
    checked = 0
    for i in range(len(synthetic_pairs)):
        sample = synthetic_pairs[i]['data_samples']
        assert sample.key_frames_inds == [0] and sample.ref_frames_inds == [1]
        key, ref = sample.video_data_samples
        assert sample.frame_offset == ref.frame_idx - key.frame_idx != 0
        arrays = []
        for f in (key, ref):
            gi = f.gt_instances
            arrays.append((np.asarray(gi.keypoints, np.float64), np.asarray(gi.keypoints_visible),
                           np.asarray(gi.track_ids)))
            # the spatial targets travel too: heatmaps in gt_fields, per-person labels
            assert f.gt_fields.heatmaps.shape == (K, 64, 64) and 'heatmap_mask' in f.gt_fields
            enc = codec.encode(arrays[-1][0], arrays[-1][1])
            for name in ('keypoint_indices', 'spatial_vectors', 'order_keys'):
                np.testing.assert_allclose(getattr(f.gt_instance_labels, name).numpy(),
                                           enc[name], atol=1e-5)
        (kk, vk, ik), (kr, vr, ir) = arrays
        for f, args in ((key, (kk, vk, ik, kr, vr, ir)), (ref, (kr, vr, ir, kk, vk, ik))):
            vec, w = _loop_reference(codec, *args)
            labels = f.gt_instance_labels
            assert isinstance(labels.temporal_vectors, torch.Tensor)
            np.testing.assert_array_equal(labels.temporal_weights.numpy(), w)
            np.testing.assert_allclose(labels.temporal_vectors.numpy(), vec, atol=1e-4)
            checked += int(w.sum())
    assert checked > 100


def test_transform_bad_input():
    t = GenerateTemporalTarget(encoder=CODEC)
    frame = dict(img_id=7, img_path='a.jpg', keypoints=np.zeros((1, K, 2)),
                 keypoints_visible=np.ones((1, K)))
    with pytest.raises(KeyError, match=r'img_id=7, a\.jpg\) has no "track_ids"'):
        t(dict(frames=[dict(frame), dict(frame)]))
    with pytest.raises(KeyError, match='with 2 frames'):
        t(dict(frames=[dict(frame)]))
    two = dict(frame, keypoints=np.full((2, K, 2), 10.), keypoints_visible=np.ones((2, K)),
               track_ids=np.array([3, 3]))
    with pytest.raises(ValueError, match=r'img_id=7.*key track ids has a track id twice') as e:
        t(dict(frames=[dict(two), dict(two)]))
    assert '\n' not in str(e.value)
    with pytest.raises(TypeError, match='encode_temporal'):
        GenerateTemporalTarget(encoder=dict(type='AssociativeEmbedding', input_size=(64, 64),
                                            heatmap_size=(16, 16)))
