"""Clip Tracking configs (configs/clip_tracking/): parsing, inheritance, the paper's settings
(Sec. 3.1, 4.2), the stage-1 -> stage-2 load_from chain, the per-frame targets of a real synthetic
tube, and real training steps of the tiny 3D network."""
import copy
import glob
import json
import os.path as osp

import numpy as np
import pytest
import torch
from config_helpers import config_bases
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(ROOT, 'configs', 'clip_tracking')
FULL = sorted(glob.glob(osp.join(CFG, '*.py')))
TINY = sorted(glob.glob(osp.join(CFG, 'tiny', '*.py')))
S1 = 'clip-s1_hrnet-w48_posetrack18-384x288'
S2 = 'clip-s2_hrnet3d-w48-t9_posetrack18-384x288'
TINY_S2 = osp.join(CFG, 'tiny', 'clip-s2_hrnet3d-tiny-t3_synthetic-128x96.py')


def _cfg(name):
    return Config.fromfile(osp.join(CFG, name + '.py'))


#: every full config but the two stages: what it changes in stage 2's config (Table 7, Table 8,
#: Fig. 5a / 5b), as flattened keys
ROWS = {
    'clip-t7r2_hrnet3d-w48-t9-nolink_posetrack18-384x288': {
        'test_cfg.tubes.merge': 'none', 'test_cfg.tubes.nms': dict(type='oks', thr=0.5),
        'test_cfg.tubes.frame_tracker': 'oks-gbm'},
    'clip-t7r3_hrnet3d-w48-t9-basemerge_posetrack18-384x288': {
        'test_cfg.tubes.merge': 'baseline'},
    'clip-t7r4_hrnet3d-w48-t9-spatialmerge_posetrack18-384x288': {
        'test_cfg.tubes.temporal': False},
    'clip-t7r5_hrnet3d-w48-t9-temporalmerge_posetrack18-384x288': {
        'test_cfg.tubes.spatial': False},
    **{f'clip-t8-{st}_hrnet3d-w48-t3_posetrack18-384x288': {
        'model.backbone.temporal_stages': st, 'train_dataloader.dataset.clip_len': 3,
        'test_dataloader.dataset.clip_len': 3} for st in ('none', 'early', 'last', 'all')},
    **{f'clip-f5a-t{t}_hrnet3d-w48-t{t}_posetrack18-384x288': {
        'train_dataloader.dataset.clip_len': t, 'test_dataloader.dataset.clip_len': t}
       for t in (3, 5, 7)},
    **{f'clip-f5b-s{s}_hrnet3d-w48-t9_posetrack18-384x288': {
        'test_dataloader.dataset.keyframe_step': s} for s in (2, 4, 8)},
}


def _flat(d, prefix=''):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and k not in ('nms', 'frame_tracker'):
            out.update(_flat(v, f'{prefix}{k}.'))
        else:
            out[f'{prefix}{k}'] = v.to_dict() if hasattr(v, 'to_dict') else v
    return out


def test_counts():
    assert sorted(osp.basename(p)[:-3] for p in FULL) == sorted([S1, S2, *ROWS])
    # a tiny version of every row and stage, but Fig. 5a's T = 3 (that is Table 8's 'early')
    assert len(TINY) == len(FULL) - 1


@pytest.mark.parametrize('name', sorted(ROWS))
def test_rows_change_only_their_setting(name):
    row, s2 = _flat(_cfg(name).to_dict()), _flat(_cfg(S2).to_dict())
    gbm = _cfg(S1).oks_gbm_tracker.to_dict()
    want = {k: (gbm if v == 'oks-gbm' else v) for k, v in ROWS[name].items()}
    # val_cfg / val_dataloader follow test_cfg / test_dataloader
    want.update({k.replace('test_', 'val_', 1): v for k, v in want.items()})
    want = {k: v for k, v in want.items() if s2.get(k) != v}  # Table 8 'early' is stage 2's
    diff = {k: row.get(k) for k in set(row) | set(s2) if row.get(k) != s2.get(k)}
    assert diff == want


@pytest.mark.parametrize('path', FULL + TINY, ids=osp.basename)
def test_parses(path):
    cfg = Config.fromfile(path)
    assert cfg.model.type in ('TopdownPoseEstimator', 'ClipTopdownPoseEstimator')
    assert cfg.test_cfg.type == 'PoseTrackTestLoop'
    assert cfg.test_dataloader.dataset.bbox_file.endswith('human_detections.json')


@pytest.mark.parametrize('path', TINY, ids=osp.basename)
def test_tiny_inherits_full(path):
    bases = config_bases(path)
    assert osp.dirname(bases[0]) == CFG  # its full parent first
    assert bases[1].endswith('_base_/tiny/clip_tracking_synthetic.py')
    cfg, full = Config.fromfile(path), Config.fromfile(bases[0])
    assert cfg.model.type == full.model.type
    assert cfg.model.backbone.type == full.model.backbone.type
    assert cfg.model.backbone.get('temporal_stages') == full.model.backbone.get('temporal_stages')
    assert cfg.model.backbone.extra.stage4.num_channels == (16, 32, 64, 128)
    assert cfg.model.head.decoder.input_size == (96, 128)
    assert cfg.train_dataloader.dataset.type == full.train_dataloader.dataset.type
    assert cfg.train_dataloader.dataset.generate_if_missing == dict(seed=0)
    # the full config's tracker, or its video pipeline with the tiny boxes' scale
    assert cfg.test_cfg.get('tracker') == full.test_cfg.get('tracker')
    if 'tubes' in full.test_cfg:
        assert cfg.test_cfg.tubes == dict(full.test_cfg.tubes, min_box_area=64,
                                          box_padding=1.2)
        # the tiny chain's T = 3 stands for the full T = 9; the T sweep keeps its T, and so does
        # the S sweep at test time (T = 9 tubes: tracklets 8 keyframes apart still overlap)
        full_t = full.test_dataloader.dataset.clip_len
        step = full.test_dataloader.dataset.get('keyframe_step', 1)
        assert cfg.test_dataloader.dataset.clip_len == (3 if full_t == 9 and step == 1
                                                        else full_t)
        assert cfg.test_dataloader.dataset.get('keyframe_step') == \
            full.test_dataloader.dataset.get('keyframe_step')
    if cfg.model.type == 'ClipTopdownPoseEstimator':
        full_t = full.train_dataloader.dataset.clip_len
        assert cfg.train_dataloader.dataset.clip_len == (3 if full_t == 9 else full_t)
        assert cfg.train_dataloader.dataset.enlarge == 1.25


def test_paper_settings():
    s1, s2 = _cfg(S1), _cfg(S2)
    # HRNet-W48 at 384x288 (MMPose's COCO setting), stage 1 on single frames
    assert s1.model.backbone.type == 'HRNet'
    assert s1.model.backbone.extra.stage4.num_channels == (48, 96, 192, 384)
    assert s1.codec.input_size == (288, 384) and s1.model.head.decoder == s1.codec
    assert s1.train_dataloader.dataset.type == 'PoseTrack18FrameDataset'
    # stage 2 (Sec. 4.2): 3D filters in the first two stages, T = 9, tubes enlarged 25 %
    assert s2.model.type == 'ClipTopdownPoseEstimator'
    assert s2.model.backbone.type == 'HRNet3D'
    assert s2.model.backbone.temporal_stages == 'early'
    assert s2.model.backbone.temporal_kernel == 3
    strip = lambda b: {k: v for k, v in b.items()  # noqa: E731
                       if k not in ('type', 'init_cfg', 'temporal_stages', 'temporal_kernel')}
    assert strip(s2.model.backbone) == strip(s1.model.backbone)  # the same HRNet, inflated
    assert s2.model.head == s1.model.head
    ds = s2.train_dataloader.dataset
    assert ds.type == 'PoseTrack18ClipDataset' and ds.clip_len == 9 and ds.enlarge == 1.25
    assert ds.pipeline[0].type == 'ApplyToFrames'
    assert dict(type='GetBBoxCenterScale', padding=1.0) in ds.pipeline[0].transforms  # no 2nd pad
    assert ds.pipeline[-1] == dict(type='PackMultiFramePoseInputs', pack_transformed=True)
    assert s2.model.data_preprocessor.type == 'MultiFramePoseDataPreprocessor'
    # 20 epochs, Adam, 1e-4 -> 1e-5 (epoch 10) -> 1e-6 (epoch 15)
    assert s2.train_cfg.max_epochs == 20
    assert s2.optim_wrapper.optimizer == dict(type='Adam', lr=1e-4)
    assert s2.param_scheduler == [dict(type='MultiStepLR', begin=0, end=20, milestones=[10, 15],
                                       gamma=0.1, by_epoch=True)]
    lr = [s2.optim_wrapper.optimizer.lr * 0.1 ** sum(e >= m for m in [10, 15])
          for e in (0, 9, 10, 14, 15, 19)]
    assert lr == pytest.approx([1e-4, 1e-4, 1e-5, 1e-5, 1e-6, 1e-6])
    # flip test: heatmaps averaged with the flipped input's
    assert s2.model.test_cfg.flip_test is True and s1.model.test_cfg.flip_test is True
    # stage 1 trains with the same recipe ("the same hyperparameters of [30]")
    assert s1.optim_wrapper.optimizer == s2.optim_wrapper.optimizer
    assert s1.param_scheduler == s2.param_scheduler and s1.train_cfg.max_epochs == 20


@pytest.mark.parametrize('path', [osp.join(CFG, S2 + '.py'), TINY_S2], ids=osp.basename)
def test_load_from_chain(path):
    """Stage 2 loads stage 1's last epoch of the same (2D) architecture."""
    cfg = Config.fromfile(path)
    src = cfg.load_from.split('/')[1]
    src_path = osp.join(osp.dirname(path), src + '.py')
    assert osp.isfile(src_path), src
    src_cfg = Config.fromfile(src_path)
    assert src_cfg.model.type == 'TopdownPoseEstimator' and src_cfg.model.backbone.type == 'HRNet'
    assert cfg.load_from == f'work_dirs/{src}/epoch_{src_cfg.train_cfg.max_epochs}.pth'
    assert src_cfg.model.backbone.extra == cfg.model.backbone.extra
    assert src_cfg.model.head == cfg.model.head


def _tiny_clip_dataset(data_root, augment=True):
    from mmpose.registry import DATASETS

    from mmpose_track.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(TINY_S2)
    ds_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    ds_cfg.data_root = data_root
    if not augment:  # crops by the tube box only: targets map back to the image directly
        ds_cfg.pipeline[0].transforms = [
            t for t in ds_cfg.pipeline[0].transforms
            if t.type not in ('RandomFlip', 'RandomBBoxTransform')]
    return cfg, DATASETS.build(ds_cfg)


def test_tube_targets_are_the_keyframe_person_only(tiny_synthetic):
    """Per frame of each synthetic tube: keypoint weights are > 0 only for joints the keyframe
    person's track has visible in that frame (all 0 where the track is absent), and each weighted
    target peaks at that track's joint (read from the annotation file), not at another person's."""
    _, ds = _tiny_clip_dataset(tiny_synthetic, augment=False)
    ann = json.load(open(osp.join(tiny_synthetic, 'annotations', 'posetrack18_train.json')))
    by_img = {}
    for a in ann['annotations']:
        by_img.setdefault(a['image_id'], []).append(a)
    absent_frames = crowded_frames = checked = 0
    for i in range(len(ds)):
        s = ds[i]['data_samples']
        track = s.metainfo['track_id']
        for f in s.video_data_samples:
            people = by_img.get(f.metainfo['img_id'], [])
            crowded_frames += len(people) > 1
            mine = [a for a in people if a['track_id'] == track]
            w = f.gt_instance_labels.keypoint_weights[0].numpy()
            hm = f.gt_fields.heatmaps.numpy()
            if not mine:
                absent_frames += 1
                assert not w.any() and not hm.any()
                continue
            kpts = np.array(mine[0]['keypoints'], np.float64).reshape(-1, 3)
            assert not w[kpts[:, 2] == 0].any()
            # the joints in heatmap px (MSRAHeatmap puts each Gaussian at the rounded position)
            size = np.array([24, 32])
            scale = f.metainfo['input_scale'] / size  # image px per heatmap px
            corner = f.metainfo['input_center'] - f.metainfo['input_scale'] / 2
            kpt_hm = (kpts[:, :2] - corner) / scale
            inside = (kpts[:, 2] > 0) & (kpt_hm >= 0).all(1) & (kpt_hm < size - 0.5).all(1)
            assert w[inside].all()  # every visible joint of the person in the crop is a target
            for k in np.flatnonzero(w):
                y, x = np.unravel_index(hm[k].argmax(), hm[k].shape)
                expect = np.clip(np.floor(kpt_hm[k] + 0.5), 0, size - 1)  # border: truncated
                assert np.abs(np.array([x, y]) - expect).max() <= 1, (i, k)
                checked += 1
    assert absent_frames >= 1 and crowded_frames >= 1 and checked > 100  # all cases exercised


def test_tiny_stage2_training_steps(tiny_synthetic):
    """The tiny stage-2 model builds and trains on a real synthetic tube batch: the loss is finite,
    the 3D filters move after one Adam step, and the loss on the batch drops over 6 steps."""
    from mmengine.dataset import pseudo_collate
    from mmengine.optim import build_optim_wrapper
    from mmpose.registry import MODELS

    from mmpose_track.models.backbones import TemporalConv2d
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        cfg, ds = _tiny_clip_dataset(tiny_synthetic)
        torch.manual_seed(0)
        np.random.seed(0)
        batch = pseudo_collate([ds[i] for i in range(4)])
        assert batch['inputs'][0].shape == (3, 3, 128, 96)  # T = 3 frames of 128x96
        model = MODELS.build(cfg.model)
        model.init_weights()
        model.train()
        ow = build_optim_wrapper(model, cfg.optim_wrapper)
        conv = model.backbone.layer1[0].conv1
        assert isinstance(conv, TemporalConv2d) and conv.weight.shape[2] == 3
        w0 = conv.weight.detach().clone()
        losses = []
        for step in range(6):
            out = model.train_step(copy.deepcopy(batch), ow)
            assert torch.isfinite(out['loss_kpt'])
            losses.append(float(out['loss_kpt']))
            if step == 0:
                assert not torch.equal(conv.weight.detach(), w0)
                assert not torch.equal(conv.weight.detach()[:, :, 0],
                                       conv.weight.detach()[:, :, 1])  # taps are free
        assert losses[-1] < 0.9 * losses[0], losses
    finally:
        torch.set_num_threads(threads)
