"""TKMRNet configs (configs/tkmrnet/): parsing, inheritance, ablation deltas, the load_from chain,
and one real training step of the tiny stage 2 on a synthetic clip batch."""
import ast
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(ROOT, 'configs', 'tkmrnet')
FULL = sorted(glob.glob(osp.join(CFG, '*.py')))
TINY = sorted(glob.glob(osp.join(CFG, 'tiny', '*.py')))
S2R = 'tkmrnet-s2_res152_posetrack18-384x288'
S2H = 'tkmrnet-s2_hrnet-w48_posetrack18-384x288'


def _bases(path):
    """The ``_base_`` list of a config file, read from its source."""
    for node in ast.parse(open(path).read()).body:
        if isinstance(node, ast.Assign) and node.targets[0].id == '_base_':
            return [osp.normpath(osp.join(osp.dirname(path), b))
                    for b in ast.literal_eval(node.value)]
    return []


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
    assert len(FULL) == 12 and len(TINY) == 6


@pytest.mark.parametrize('path', FULL + TINY, ids=osp.basename)
def test_parses(path):
    cfg = Config.fromfile(path)
    assert cfg.model.type in ('TopdownPoseEstimator', 'TKMRNet')
    assert cfg.test_cfg.type == 'PoseTrackTestLoop'
    # detections as input, as the other top-down configs
    assert cfg.test_dataloader.dataset.bbox_file.endswith('human_detections.json')


@pytest.mark.parametrize('path', TINY, ids=osp.basename)
def test_tiny_inherits_full(path):
    bases = _bases(path)
    assert osp.dirname(bases[0]) == CFG  # its full parent first
    assert bases[1].endswith('_base_/tiny/tkmrnet_synthetic.py')
    cfg = Config.fromfile(path)
    assert cfg.train_dataloader.dataset.generate_if_missing == dict(seed=0)
    assert cfg.model.backbone.depth == 18


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
    assert s2.test_cfg.tracker.endswith('trackers/keypoint_matching.py')
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
        assert '-s2_' in name or '-tbm' in name
        # same architecture (the ImageNet init_cfg is irrelevant once load_from is read)
        strip = lambda b: {k: v for k, v in b.items() if k != 'init_cfg'}  # noqa: E731
        assert strip(src_cfg.model.backbone) == strip(cfg.model.backbone)
        assert src_cfg.model.head == cfg.model.head
    else:
        assert lf.endswith(f'epoch_{src_cfg.train_cfg.max_epochs}.pth')
        assert src_cfg.model == cfg.model


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
