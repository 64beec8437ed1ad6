"""TKMRNet configs (configs/tkmrnet/): parsing, inheritance, ablation deltas, the load_from chain,
and one real training step of the tiny stage 2 on a synthetic clip batch."""
import glob
import os.path as osp

import pytest
import torch
from config_helpers import config_bases
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(ROOT, 'configs', 'tkmrnet')
FULL = sorted(glob.glob(osp.join(CFG, '*.py')))
TINY = sorted(glob.glob(osp.join(CFG, 'tiny', '*.py')))
S2R = 'tkmrnet-s2_res152_posetrack18-384x288'
S2H = 'tkmrnet-s2_hrnet-w48_posetrack18-384x288'


def _flat(d, prefix=''):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f'{prefix}{k}.'))
        else:
            out[f'{prefix}{k}'] = v
    return out


def _cfg(name):
    return Config.fromfile(osp.join(CFG, name + '.py'))


def _diff(child, parent):
    a, b = _flat(_cfg(child).to_dict()), _flat(_cfg(parent).to_dict())
    return {k for k in a.keys() | b.keys() if a.get(k, object()) != b.get(k, object())
            and not k.startswith('_')}


def test_counts():
    # stage 1 x3, stage 2 x3 (ResNet-152 = M5, HRNet-W48 = N4, HRNet-W32), M1-M4, M6-M9,
    # N1-N3, N5-N6; tiny: both stage-1 / stage-2 chains, M1-M4, M6-M7, N1-N3, N5-N6
    assert len(FULL) == 19 and len(TINY) == 15


@pytest.mark.parametrize('path', FULL + TINY, ids=osp.basename)
def test_parses(path):
    cfg = Config.fromfile(path)
    assert cfg.model.type in ('TopdownPoseEstimator', 'TKMRNet')
    assert cfg.test_cfg.type == 'PoseTrackTestLoop'
    # detections as input, as the other top-down configs
    assert cfg.test_dataloader.dataset.bbox_file.endswith('human_detections.json')


@pytest.mark.parametrize('path', TINY, ids=osp.basename)
def test_tiny_inherits_full(path):
    bases = config_bases(path)
    assert osp.dirname(bases[0]) == CFG  # its full parent first
    assert bases[1].endswith('_base_/tiny/tkmrnet_synthetic.py')
    cfg = Config.fromfile(path)
    assert cfg.train_dataloader.dataset.generate_if_missing == dict(seed=0)
    full = Config.fromfile(bases[0])
    assert cfg.model.backbone.type == full.model.backbone.type
    if cfg.model.backbone.type == 'HRNet':
        assert cfg.model.backbone.extra.stage4.num_channels == (16, 32, 64, 128)
    else:
        assert cfg.model.backbone.depth == 18
    # the row's switches survive the tiny parts
    for key in ('refine_context', 'matching_head.mode', 'test_cfg.refine'):
        assert _flat(cfg.model.to_dict()).get(key) == _flat(full.model.to_dict()).get(key)
    assert cfg.test_cfg.get('nms') == full.test_cfg.get('nms')
    assert cfg.test_cfg.tracker == full.test_cfg.tracker


def test_paper_settings():
    s1, s2 = _cfg('tkmrnet-s1_res152_posetrack18-384x288'), _cfg(S2R)
    # Eq. 2 exp(-d^2/3^2) == MSRAHeatmap's exp(-d^2/(2 s^2)) with 2 s^2 = 9
    assert 2 * s1.codec.sigma ** 2 == pytest.approx(9.0)
    assert s1.model.head.decoder.sigma == s1.codec.sigma
    assert s1.codec.input_size == (288, 384)
    assert s1.train_cfg.max_epochs == 20 and s1.optim_wrapper.optimizer.lr == 1e-3
    assert s1.param_scheduler[-1].milestones == [10, 15]
    assert s1.model.backbone.depth == 152
    assert s2.train_cfg.max_epochs == 9
    assert s2.optim_wrapper.optimizer == dict(type='SGD', lr=1e-4, momentum=0.9,
                                              weight_decay=1e-4)
    assert s2.param_scheduler == [dict(type='MultiStepLR', begin=0, end=9, milestones=[7],
                                       gamma=0.1, by_epoch=True)]
    assert s2.model.freeze_single_frame and s2.model.refine_head.tau == 5
    assert s2.train_dataloader.dataset.clip_len == 11
    assert s2.train_dataloader.dataset.pipeline[-1] == dict(type='PackMultiFramePoseInputs',
                                                            pack_transformed=True)
    assert s2.test_cfg.nms == dict(type='pose', frac_thr=0.5, dist_ratio=0.1)
    assert s2.test_cfg.tracker.endswith('trackers/keypoint_matching_retain5.py')
    # the same track memory as the IoU / OKS rows: the rows differ in the similarity only
    trackers = osp.join(ROOT, 'configs', 'trackers')
    tkm = Config.fromfile(s2.test_cfg.tracker).tracker
    for other in ('iou_hungarian.py', 'oks_hungarian.py'):
        o = Config.fromfile(osp.join(trackers, other)).tracker
        assert (tkm.memory, tkm.cascade, tkm.reactivate) == (o.memory, o.cascade, o.reactivate)
    tbm = _cfg('tkmrnet-t3m4_res152-pnms-tbm_posetrack18-384x288').test_cfg.tracker
    assert (tbm.memory, tbm.cascade) == (tkm.memory, tkm.cascade)
    h = _cfg(S2H)
    assert h.model.backbone.type == 'HRNet' and h.model.matching_head.num_deconvs == 0
    assert h.model.backbone.extra.stage4.num_channels == (48, 96, 192, 384)


TEST_KEYS = {'val_cfg.tracker', 'test_cfg.tracker'}
ROWS = [
    ('tkmrnet-t3m2_res152-pnms-iou_posetrack18-384x288', S2R, TEST_KEYS | {'load_from'}),
    ('tkmrnet-t3m3_res152-pnms-oks_posetrack18-384x288', S2R, TEST_KEYS | {'load_from'}),
    ('tkmrnet-t3m1_res152-cnms-iou_posetrack18-384x288',
     'tkmrnet-t3m2_res152-pnms-iou_posetrack18-384x288',
     {'val_cfg.nms.type', 'test_cfg.nms.type', 'val_cfg.nms.thr', 'test_cfg.nms.thr',
      'val_cfg.nms.frac_thr', 'test_cfg.nms.frac_thr', 'val_cfg.nms.dist_ratio',
      'test_cfg.nms.dist_ratio'}),
    ('tkmrnet-t4n2_hrnet-w48-pnms-iou_posetrack18-384x288', S2H, TEST_KEYS | {'load_from'}),
    ('tkmrnet-t4n1_hrnet-w48-cnms-iou_posetrack18-384x288',
     'tkmrnet-t4n2_hrnet-w48-pnms-iou_posetrack18-384x288',
     {'val_cfg.nms.type', 'test_cfg.nms.type', 'val_cfg.nms.thr', 'test_cfg.nms.thr',
      'val_cfg.nms.frac_thr', 'test_cfg.nms.frac_thr', 'val_cfg.nms.dist_ratio',
      'test_cfg.nms.dist_ratio'}),
    # refinement: self (a stage 2 of its own) and with temporal context (test-time variants)
    ('tkmrnet-t3m6_res152-pnms-tkm-selfrefine_posetrack18-384x288', S2R,
     {'model.refine_context', 'model.test_cfg.refine'}),
    ('tkmrnet-t3m7_res152-pnms-tkm-refine_posetrack18-384x288', S2R,
     {'load_from', 'model.test_cfg.refine'}),
    ('tkmrnet-t3m8_res152-x101det-pnms-tkm-refine_posetrack18-384x288',
     'tkmrnet-t3m7_res152-pnms-tkm-refine_posetrack18-384x288',
     {'val_det_file', 'val_dataloader.dataset.bbox_file', 'test_dataloader.dataset.bbox_file'}),
    ('tkmrnet-t4n5_hrnet-w48-pnms-tkm-selfrefine_posetrack18-384x288', S2H,
     {'model.refine_context', 'model.test_cfg.refine'}),
    ('tkmrnet-t4n6_hrnet-w48-pnms-tkm-refine_posetrack18-384x288', S2H,
     {'load_from', 'model.test_cfg.refine'}),
    ('tkmrnet-t3m9_hrnet-w32-x101det-pnms-tkm-refine_posetrack18-384x288',
     'tkmrnet-s2_hrnet-w32_posetrack18-384x288', {'load_from', 'model.test_cfg.refine'}),
]


@pytest.mark.parametrize('child,parent,keys', ROWS, ids=[r[0] for r in ROWS])
def test_rows_differ_only_in_intended_keys(child, parent, keys):
    assert _diff(child, parent) == keys


@pytest.mark.parametrize('child,parent', [
    ('tkmrnet-t3m4_res152-pnms-tbm_posetrack18-384x288', S2R),
    ('tkmrnet-t4n3_hrnet-w48-pnms-tbm_posetrack18-384x288', S2H)])
def test_tbm_rows(child, parent):
    d = _diff(child, parent)
    assert 'model.matching_head.mode' in d
    assert {k for k in d if not k.startswith(('val_cfg.tracker', 'test_cfg.tracker'))} == {
        'model.matching_head.mode'}
    c = _cfg(child)
    assert c.model.matching_head.mode == 'body'
    # Eq. 5 sums 1 term instead of 17: the TKM threshold (5.0 over 17 joints) per joint
    assert c.test_cfg.tracker.assigner.match_thr * 17 == pytest.approx(
        Config.fromfile(osp.join(ROOT, 'configs/trackers/keypoint_matching.py'))
        .tracker.assigner.match_thr)


def _work_dir_name(load_from):
    return load_from.split('/')[1]


@pytest.mark.parametrize('path', FULL + TINY, ids=osp.basename)
def test_load_from_chain(path):
    cfg = Config.fromfile(path)
    lf = cfg.get('load_from')
    name = osp.basename(path)[:-3]
    if cfg.model.type == 'TopdownPoseEstimator':
        assert lf is None
        return
    src = _work_dir_name(lf)
    folder = osp.dirname(path)
    assert osp.isfile(osp.join(folder, src + '.py')), src
    src_cfg = Config.fromfile(osp.join(folder, src + '.py'))
    # stage 2 trains from stage 1's last epoch; test rows evaluate stage 2's
    if src_cfg.model.type == 'TopdownPoseEstimator':
        assert lf.endswith(f'epoch_{src_cfg.train_cfg.max_epochs}.pth')
        assert '-s2_' in name or '-tbm' in name or '-selfrefine' in name  # own stage 2s
        # same architecture (the ImageNet init_cfg is irrelevant once load_from is read)
        strip = lambda b: {k: v for k, v in b.items() if k != 'init_cfg'}  # noqa: E731
        assert strip(src_cfg.model.backbone) == strip(cfg.model.backbone)
        assert src_cfg.model.head == cfg.model.head
    else:  # a test-time variant: the same network (test_cfg may switch refinement on)
        assert lf.endswith(f'epoch_{src_cfg.train_cfg.max_epochs}.pth')
        strip = lambda m: {k: v for k, v in m.items() if k != 'test_cfg'}  # noqa: E731
        assert strip(src_cfg.model) == strip(cfg.model)


def test_detectors_per_table():
    """M1-M7 on the R101-DCN boxes, M8-M9 and Table 4 on the ResNeXt-101-DCN boxes; both
    detector configs are MMDet's DCN settings on our person detector."""
    det = osp.join(ROOT, 'configs', 'detectors')
    r101 = Config.fromfile(osp.join(det, 'faster-rcnn_r101-dconv-c3-c5_fpn_person_posetrack18.py'))
    x101 = Config.fromfile(osp.join(det,
                                    'faster-rcnn_x101-32x4d-dconv-c3-c5_fpn_person_posetrack18.py'))
    for c in (r101, x101):
        assert c.model.backbone.stage_with_dcn == (False, True, True, True)
        assert c.model.backbone.dcn.type == 'DCN'
        assert c.model.roi_head.bbox_head.num_classes == 1
    assert r101.model.backbone.type == 'ResNet' and r101.model.backbone.depth == 101
    assert x101.model.backbone.type == 'ResNeXt' and x101.model.backbone.groups == 32
    for path in FULL:
        cfg = Config.fromfile(path)
        if cfg.model.type != 'TKMRNet':
            continue
        name = osp.basename(path)
        x = 'x101det' in name or 'hrnet' in name
        assert cfg.test_dataloader.dataset.bbox_file.endswith(
            f'faster-rcnn-{"x101" if x else "r101"}-dcn_human_detections.json'), name


def test_tiny_stage2_one_training_step(tmp_path):
    """The tiny stage-2 model builds and takes one SGD step on a real synthetic clip batch from
    the dataset pipeline: the matching / refinement heads move, the frozen network does not."""
    from mmengine.dataset import pseudo_collate
    from mmengine.optim import build_optim_wrapper
    from mmpose.registry import DATASETS, MODELS

    from mmpose_track.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(osp.join(CFG, 'tiny', 'tkmrnet-s2_res18-tiny_synthetic-128x96.py'))
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.data_root = osp.join(ROOT, ds_cfg.data_root)
    ds = DATASETS.build(ds_cfg)
    # four clips of one video (two or more people): pairs of different ids exist
    vids = [ds.get_data_info(i)['video_id'] for i in range(len(ds))]
    v0 = vids[0]
    idx = [i for i, v in enumerate(vids) if v == v0]
    tracks = {ds.get_data_info(i)['track_id'] for i in idx}
    assert len(tracks) >= 2
    torch.manual_seed(0)
    batch = pseudo_collate([ds[i] for i in idx[:4]])
    assert batch['inputs'][0].shape == (5, 3, 128, 96)  # T = 2 tau + 1 frames of 128x96
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    ow = build_optim_wrapper(model, cfg.optim_wrapper)
    frozen = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    heads = {k: v.clone() for k, v in model.matching_head.state_dict().items()}
    losses = model.train_step(batch, ow)
    assert set(losses) >= {'loss_match', 'loss_refine'}
    assert all(torch.isfinite(v).all() for v in losses.values())
    for k, v in model.backbone.state_dict().items():
        assert torch.equal(v, frozen[k]), k  # frozen, BN statistics included
    moved = [k for k, v in model.matching_head.state_dict().items()
             if v.dtype.is_floating_point and not torch.equal(v, heads[k])]
    assert any('fc' in k or 'weight' in k for k in moved)
