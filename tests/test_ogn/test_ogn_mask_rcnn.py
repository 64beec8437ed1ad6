"""Offset-guided Mask R-CNN (OGN Sec. 3.2): ratio-consistent RoIs, the RoI heatmap grid, target
and decoding round trip on real keypoints, softmax keypoint scores, keypoints through MMDet's
pipeline on a real PoseTrack18 frame, the dataset options, and the tiny model's losses and
predictions."""
import copy
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmpose_track.codecs import offset_heatmap_targets
from mmpose_track.datasets.transforms import PackDetPoseInputs, WarpKeypoints, warp_keypoints
from mmpose_track.models.detectors import (OGNKeypointHead, boxes_to_heatmap_coords,
                                           extend_boxes_to_aspect, heatmap_coords_to_image)
from mmpose_track.structures.posetrack18_format import POSETRACK18_FLIP_INDICES

from ._real_keypoints import SHARED, real_people

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(REPO, 'configs', 'ogn', 'tiny', 'ogn-t4{}_mask-rcnn-tiny_synthetic.py')


@pytest.fixture(autouse=True)
def mmdet_scope():
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


def test_extend_boxes_to_aspect_known_cases():
    boxes = torch.tensor([[0., 0., 10., 40.], [10., 20., 90., 40.], [0., 0., 8., 11.]])
    out = extend_boxes_to_aspect(boxes, 8 / 11)
    # tall box: width grows to 40 * 8/11 about x = 5; wide box: height grows to 80 * 11/8
    np.testing.assert_allclose(out[0], [5 - 160 / 11 / 1, 0, 5 + 160 / 11, 40], rtol=1e-6)
    np.testing.assert_allclose(out[1], [10, 30 - 55, 90, 30 + 55], rtol=1e-6)
    np.testing.assert_allclose(out[2], [0, 0, 8, 11], atol=1e-6)  # already 8:11: unchanged
    w, h = out[:, 2] - out[:, 0], out[:, 3] - out[:, 1]
    np.testing.assert_allclose(w / h, 8 / 11, rtol=1e-6)
    assert (w >= boxes[:, 2] - boxes[:, 0] - 1e-5).all() and (h >= boxes[:, 3] - boxes[:, 1] - 1e-5).all()


def test_heatmap_grid_over_roi():
    box = torch.tensor([[100., 50., 164., 138.]])  # 64 x 88 px over a 64 x 88 heatmap
    pts = torch.tensor([[[100.5, 50.5], [163.5, 137.5], [132., 94.]]])
    u = boxes_to_heatmap_coords(pts, box, (64, 88))
    np.testing.assert_allclose(u[0], [[0, 0], [63, 87], [31.5, 43.5]], atol=1e-5)  # bin centres
    np.testing.assert_allclose(heatmap_coords_to_image(u, box, (64, 88)), pts, atol=1e-4)


@pytest.mark.parametrize('roi_size,radius,rc', [((14, 14), 4.0, False), ((22, 16), 6.0, True)])
def test_targets_decode_back_to_real_keypoints(roi_size, radius, rc):
    """The RoI-grid targets of real people (COCO + PoseTrack18), decoded by the head's predict,
    give back the keypoints within a small fraction of a heatmap bin (offsets, Eq. 4); the plain
    argmax is off by the grid's quantisation."""
    people = real_people()
    assert len(people) >= 10
    kpts = torch.tensor(np.stack([k for k, _, _ in people]))
    vis = torch.tensor(np.stack([v for _, v, _ in people]))
    boxes = torch.tensor(np.stack([b for _, _, b in people]))
    head = OGNKeypointHead(roi_feat_size=roi_size, radius=radius, blur_kernel=0, num_convs=1,
                           conv_out_channels=8)
    if rc:
        boxes = extend_boxes_to_aspect(boxes, roi_size[1] / roi_size[0])
    boxes = boxes + torch.tensor([-8., -8., 8., 8.])  # keypoints on the box edge stay inside
    t = offset_heatmap_targets(boxes_to_heatmap_coords(kpts, boxes, head.heatmap_size), vis,
                               head.heatmap_size, radius)
    pred, scores = head.predict(t['heatmaps'], t['offsets'], boxes)
    m = t['keypoint_weights'] > 0
    assert m.sum() > 200
    bin_w = ((boxes[:, 2] - boxes[:, 0]) / head.heatmap_size[0])[:, None].expand_as(m)
    err = (pred - kpts).norm(dim=-1)[m] / bin_w[m]
    assert err.max() < 1e-3, err.max()
    assert (scores[m] == 1).all()
    plain, _ = head.predict(t['heatmaps'], None, boxes)
    err_plain = (plain - kpts).norm(dim=-1)[m] / bin_w[m]
    assert err_plain.mean() > 0.2  # quantisation: ~0.38 bin for uniform sub-bin positions


def test_softmax_scores_are_disk_mass():
    head = OGNKeypointHead(roi_feat_size=(8, 8), radius=2.0, blur_kernel=0, num_convs=1,
                           conv_out_channels=8, use_offset=False,
                           loss_heatmap=dict(type='mmpose.SpatialSoftmaxLoss'))
    assert head.softmax_scores
    logits = torch.full((1, 17, 32, 32), -1e4)
    logits[0, :, 10, 20] = 5.0  # all mass on one bin
    logits[0, 1] = 0.0  # flat: argmax at bin (0, 0), whose disk holds 6 of the 1024 bins
    box = torch.tensor([[0., 0., 32., 32.]])
    kpts, scores = head.predict(logits, None, box)
    np.testing.assert_allclose(kpts[0, 0], [20.5, 10.5], atol=1e-5)
    assert scores[0, 0] == pytest.approx(1.0, abs=1e-5)
    assert scores[0, 1] == pytest.approx(6 / 1024, rel=1e-4)


def test_warp_keypoints_resize_and_flip():
    k = np.zeros((1, 17, 3), np.float32)
    k[0, :, 0] = np.arange(17) * 10 + 5
    k[0, :, 1] = 50
    k[0, :, 2] = 1
    k[0, 16, :2] = [500, 50]  # ends outside the 400-px-wide output
    scale_then_flip = np.array([[-1, 0, 400], [0, 1, 0], [0, 0, 1]]) @ np.diag([2., 2., 1.])
    out = warp_keypoints(k, scale_then_flip, (300, 400), POSETRACK18_FLIP_INDICES)
    for j in range(16):
        src = POSETRACK18_FLIP_INDICES[j]  # the joint that lands at j's name after the mirror
        if src == 16:
            continue
        np.testing.assert_allclose(out[0, j, :2], [400 - 2 * k[0, src, 0], 100])
        assert out[0, j, 2] == (1 if 0 <= 400 - 2 * k[0, src, 0] <= 400 else 0)
    assert out[0, 15, 2] == 0  # the right ankle at x=500 -> -600 after the flip: off the image
    with pytest.raises(ValueError, match='flip_indices'):
        warp_keypoints(k, scale_then_flip, (300, 400), None)


def test_keypoints_through_mmdet_pipeline_on_real_frame():
    """A real PoseTrack18 frame through MMDet's Resize + RandomFlip (always) and our steps: the
    packed keypoints are the annotated ones scaled, mirrored and left/right swapped."""
    from mmcv.transforms import LoadImageFromFile
    from mmdet.datasets.transforms import RandomFlip, Resize

    from mmpose_track.datasets.transforms import LoadAnnotationsWithKeypoints
    root = osp.join(SHARED, 'posetrack18')
    ann = json.load(open(osp.join(root, 'annotations', 'test_posetrack18_val.json')))
    img = ann['images'][0]
    people = [a for a in ann['annotations'] if a['image_id'] == img['id']]
    assert people
    instances = [dict(bbox=[a['bbox'][0], a['bbox'][1], a['bbox'][0] + a['bbox'][2],
                            a['bbox'][1] + a['bbox'][3]], bbox_label=0, ignore_flag=0,
                      keypoints=np.asarray(a['keypoints'], np.float32).reshape(17, 3))
                 for a in people]
    res = dict(img_path=osp.join(root, img['file_name']), img_id=img['id'],
               instances=copy.deepcopy(instances))
    for t in (LoadImageFromFile(), LoadAnnotationsWithKeypoints(with_bbox=True),
              Resize(scale=(640, 360), keep_ratio=True), RandomFlip(prob=1.0), WarpKeypoints(),
              PackDetPoseInputs()):
        res = t(res)
    sample = res['data_samples']
    got = sample.gt_instances.keypoints.numpy()
    assert got.shape == (len(people), 17, 3)
    sx = 640 / img['width']
    for i, inst in enumerate(instances):
        src = inst['keypoints'][list(POSETRACK18_FLIP_INDICES)]
        vis = src[:, 2] > 0
        np.testing.assert_allclose(got[i, vis, 0], 640 - src[vis, 0] * sx, atol=1e-2)
        np.testing.assert_allclose(got[i, vis, 1], src[vis, 1] * sx, atol=1e-2)
        x, y = 640 - src[:, 0] * sx, src[:, 1] * sx  # annotated joints may lie off the frame
        inside = (x >= 0) & (x <= 640) & (y >= 0) & (y <= 360)
        np.testing.assert_array_equal(got[i, :, 2] > 0, vis & inside)
    # boxes flipped the same way (MMDet's own flip)
    b = sample.gt_instances.bboxes.numpy()
    np.testing.assert_allclose(b[:, 0], 640 - np.array([i['bbox'][2] for i in instances]) * sx,
                               atol=1e-2)


def test_det_dataset_keypoints_and_video_order(tiny_synthetic):
    from mmpose_track.datasets.datasets import PoseTrack18DetDataset
    ann_file = osp.join(tiny_synthetic, 'annotations', 'posetrack18_val.json')
    raw = json.load(open(ann_file))
    ds = PoseTrack18DetDataset(ann_file=ann_file, data_root=tiny_synthetic,
                               data_prefix=dict(img=''), with_keypoints=True, video_order=True,
                               labeled_only=False, test_mode=True, pipeline=[])
    assert len(ds) == len(raw['images'])  # unlabeled frames too
    keys = [(ds.get_data_info(i)['video_id'], ds.get_data_info(i)['frame_idx'])
            for i in range(len(ds))]
    assert keys == sorted(keys) and ds.video_ids == [k[0] for k in keys]
    by_box = {}
    for a in raw['annotations']:
        x, y, w, h = a['bbox']
        by_box[(a['image_id'], round(x, 3), round(y, 3))] = np.asarray(a['keypoints']).reshape(17, 3)
    n = 0
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        for inst in info['instances']:
            if inst['ignore_flag']:
                continue
            key = (info['img_id'], round(inst['bbox'][0], 3), round(inst['bbox'][1], 3))
            np.testing.assert_allclose(inst['keypoints'], by_box[key])
            n += 1
    assert n > 10


def _tiny_model(row='c'):
    from mmdet.registry import MODELS
    import mmpose_track.register_all  # noqa: F401
    cfg = Config.fromfile(TINY.format(row))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model, cfg


def _batch(tiny_synthetic, cfg, split='train'):
    from mmdet.registry import DATASETS
    dl = cfg.train_dataloader if split == 'train' else cfg.val_dataloader
    ds_cfg = dict(dl.dataset, data_root=tiny_synthetic)
    ds = DATASETS.build(ds_cfg)
    return [ds[i] for i in range(2)]


def test_tiny_fair_loss_is_log_hw_for_uniform_logits(tiny_synthetic):
    """Row FAIR's keypoint loss is the spatial softmax cross-entropy (Mask R-CNN's): with the
    last deconv zeroed the logits are uniform, so every (RoI, visible keypoint) term is
    ``log(H W)`` whatever the sampled RoIs and targets."""
    from mmengine.dataset import pseudo_collate
    model, cfg = _tiny_model('fair')
    head = model.roi_head.keypoint_head
    torch.nn.init.zeros_(head.heatmap_deconv.weight)
    torch.nn.init.zeros_(head.heatmap_deconv.bias)
    data = model.data_preprocessor(pseudo_collate(_batch(tiny_synthetic, cfg)), training=True)
    losses = model(**data, mode='loss')
    W, H = head.heatmap_size
    assert losses['loss_keypoint'].item() == pytest.approx(float(np.log(W * H)), rel=1e-5)
    assert 'loss_keypoint_offset' not in losses


def test_tiny_row_c_losses_train_their_own_branch(tiny_synthetic):
    """Row c: the heatmap loss trains the heatmap branch only and the offset loss the offset
    branch only (two convolutions on shared features, Sec. 3.1.2); both reach the shared
    layers."""
    from mmengine.dataset import pseudo_collate
    model, cfg = _tiny_model('c')
    head = model.roi_head.keypoint_head
    data = model.data_preprocessor(pseudo_collate(_batch(tiny_synthetic, cfg)), training=True)
    for name, own, other in (('loss_keypoint', head.heatmap_deconv, head.offset_deconv),
                             ('loss_keypoint_offset', head.offset_deconv, head.heatmap_deconv)):
        model.zero_grad(set_to_none=True)
        losses = model(**data, mode='loss')
        losses[name].backward()
        assert own.weight.grad is not None and own.weight.grad.abs().max() > 0, name
        assert other.weight.grad is None or not other.weight.grad.any(), name
        shared = [p for n, p in head.named_parameters() if 'deconv' not in n]
        assert shared and any(p.grad is not None and p.grad.any() for p in shared), name


@pytest.mark.parametrize('row', ['fair', 'c'])
def test_tiny_model_predictions(tiny_synthetic, row):
    """An untrained model still detects: with the R-CNN score floor at 0 every proposal's
    softmax person score passes (scores are > 0), so each frame has people. Without offsets
    (row FAIR, RoI = box) each keypoint is the centre of a heatmap bin of its box."""
    from mmengine.dataset import pseudo_collate
    model, cfg = _tiny_model(row)
    model.eval()
    model.test_cfg.rcnn.score_thr = 0.0
    vdata = model.data_preprocessor(pseudo_collate(_batch(tiny_synthetic, cfg, 'val')), False)
    with torch.no_grad():
        out = model(**vdata, mode='predict')
    head = model.roi_head.keypoint_head
    for s in out:
        p = s.pred_instances
        n = len(p)
        assert 0 < n <= cfg.model.test_cfg.rcnn.max_per_img
        assert p.keypoints.shape == (n, 17, 2) and p.keypoint_scores.shape == (n, 17)
        assert {'video_id', 'frame_idx'} <= set(s.metainfo)
        if row == 'fair':  # keypoints and boxes rescaled alike: bin centres of the box
            W, H = head.heatmap_size
            b = p.bboxes[:, None]
            u = (p.keypoints[..., 0] - b[..., 0]) / (b[..., 2] - b[..., 0]) * W - 0.5
            v = (p.keypoints[..., 1] - b[..., 1]) / (b[..., 3] - b[..., 1]) * H - 0.5
            for c, size in ((u, W), (v, H)):
                assert torch.allclose(c, c.round(), atol=1e-3)
                assert ((c.round() >= 0) & (c.round() <= size - 1)).all()
        else:
            assert torch.isfinite(p.keypoints).all()


def test_no_positive_roi_gives_zero_keypoint_loss(tiny_synthetic):
    from mmengine.dataset import pseudo_collate
    model, cfg = _tiny_model('c')
    data = model.data_preprocessor(pseudo_collate(_batch(tiny_synthetic, cfg)), training=True)
    for s in data['data_samples']:  # no people: every RoI is background
        s.gt_instances = s.gt_instances[:0]
    losses = model(**data, mode='loss')
    assert losses['loss_keypoint'].item() == 0 and losses['loss_keypoint_offset'].item() == 0
    sum(v for k, v in losses.items() if 'loss' in k and torch.is_tensor(v)).backward()


def test_missing_keypoints_is_named(tiny_synthetic):
    from mmengine.dataset import pseudo_collate
    model, cfg = _tiny_model('c')
    data = model.data_preprocessor(pseudo_collate(_batch(tiny_synthetic, cfg)), training=True)
    for s in data['data_samples']:
        del s.gt_instances.keypoints
    with pytest.raises(KeyError, match='LoadAnnotationsWithKeypoints'):
        model(**data, mode='loss')


def test_train_then_test_tracks_and_scores(tiny_synthetic, tmp_path):
    """tools/train.py one epoch of the tiny row-c model, then tools/test.py: detection, keypoints,
    suppression, IoU tracking and the PoseTrack metric in one run; the written prediction files
    cover every frame of every video, with track ids."""
    import os
    import subprocess
    import sys
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''),
               OMP_NUM_THREADS='2')
    cfg = TINY.format('c')
    data = [f'{k}.dataset.data_root={tiny_synthetic}'
            for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    gt_dir = osp.join(tiny_synthetic, 'annotations', 'val')
    # (the last epoch always validates: on the tiny set's own ground truth)
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'train.py'), cfg, '--work-dir', str(tmp_path),
         '--cfg-options', *data, 'train_cfg.max_epochs=1', f'val_evaluator.gt_dir={gt_dir}/',
         'default_hooks.checkpoint.interval=1', 'default_hooks.checkpoint.save_best=None'],
        cwd=REPO, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out_dir = tmp_path / 'pred'
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'test.py'), cfg, str(tmp_path / 'epoch_1.pth'),
         '--work-dir', str(tmp_path), '--cfg-options', *data, f'test_evaluator.gt_dir={gt_dir}/',
         f'test_evaluator.out_dir={out_dir}', 'model.test_cfg.rcnn.score_thr=0.0'],
        cwd=REPO, capture_output=True, text=True, timeout=600, env=env)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    for key in ('posetrack/AP:', 'posetrack/MOTA:', 'posetrack/HOTA:'):
        assert key in log
    videos = sorted(f for f in os.listdir(gt_dir) if f.endswith('.json'))
    assert sorted(os.listdir(out_dir)) == videos
    n_people = 0
    for v in videos:
        gt = json.load(open(osp.join(gt_dir, v)))
        pred = json.load(open(out_dir / v))
        assert {i['id'] for i in pred['images']} == {i['id'] for i in gt['images']}
        for a in pred['annotations']:
            assert isinstance(a['track_id'], int) and len(a['keypoints']) == 51
        n_people += len(pred['annotations'])
    assert n_people > 0


def test_det_dataset_malformed_keypoints_are_named(tiny_synthetic, tmp_path):
    from mmpose_track.datasets.datasets import PoseTrack18DetDataset
    raw = json.load(open(osp.join(tiny_synthetic, 'annotations', 'posetrack18_val.json')))
    raw['annotations'][0]['keypoints'] = raw['annotations'][0]['keypoints'][:50]
    del raw['annotations'][1]['keypoints']
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps(raw))
    with pytest.raises(ValueError, match=rf'annotation id {raw["annotations"][0]["id"]}.*51'):
        PoseTrack18DetDataset(ann_file=str(bad), data_root=tiny_synthetic,
                              data_prefix=dict(img=''), with_keypoints=True, pipeline=[])
    raw['annotations'][0]['keypoints'] += [0]
    bad.write_text(json.dumps(raw))
    ds = PoseTrack18DetDataset(ann_file=str(bad), data_root=tiny_synthetic,
                               data_prefix=dict(img=''), with_keypoints=True, pipeline=[],
                               test_mode=True)
    img_id = raw['annotations'][1]['image_id']
    info = next(ds.get_data_info(i) for i in range(len(ds))
                if ds.get_data_info(i)['img_id'] == img_id)
    assert any((inst['keypoints'] == 0).all() for inst in info['instances'])


def test_video_command_tracks_as_the_loop(tiny_synthetic, tmp_path):
    """``PoseTrackInferencer`` (``tools/track_video.py``) with the offset-guided Mask R-CNN as
    the pose model (boxes and joints in one pass) on a val video's frame folder gives the test
    loop's tracked people: the same detections and joints, the same suppression, the same IoU
    tracks. Same weights (random, saved from the loop's model)."""
    from loop_helpers import assert_same_tracks, loop_tracks_and_weights

    from mmpose_track.apis import PoseTrackInferencer
    from mmpose_track.structures.posetrack18_format import read_json

    cfg = Config.fromfile(TINY.format('a'))
    cfg.work_dir = str(tmp_path)
    cfg.log_level = 'WARNING'
    cfg.test_dataloader.dataset.data_root = tiny_synthetic
    # one frame per forward on both sides: random weights give near-tied scores, which float
    # sums over other batch compositions may reorder
    cfg.test_dataloader.batch_size = 1
    cfg.test_evaluator = dict(cfg.test_evaluator,
                              gt_dir=osp.join(tiny_synthetic, 'annotations', 'val') + '/')
    video, loop, ckpt = loop_tracks_and_weights(cfg, tmp_path)
    ann = read_json(osp.join(tiny_synthetic, 'annotations', 'val', f'{video}.json'))
    folder = osp.dirname(osp.join(tiny_synthetic, ann['images'][0]['file_name']))
    inf = PoseTrackInferencer(cfg, ckpt, device='cpu', det_score_thr=-1.0, batch_size=1)
    assert inf.detector_joints == 17 and not inf.topdown
    got = {r['frame_idx']: r['predictions'] for r in inf(folder)}
    assert sorted(got) == sorted(loop) == list(range(len(ann['images'])))
    people = assert_same_tracks(got, loop, [('keypoints', 'keypoints', dict(atol=1e-3)),
                                            ('bbox', 'bboxes', dict(atol=1e-3))])
    assert people >= len(got)  # people to compare, not an empty video
