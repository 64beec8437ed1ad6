"""The ST-Embed configs (configs/st_embed/, configs/st_embed/tiny/).

- every config parses; every full config has one tiny version, which inherits from it (first
  ``_base_``) and from the shared tiny parts;
- each Table 3 / Table 4 row differs from its parent row in exactly the intended keys (resolved
  configs compared key by key), with the same values in the full and the tiny chain;
- the stages differ in the keys the paper's schedule changes, and ``load_from`` points at the
  checkpoint the previous stage's loop and checkpoint hook write (``work_dirs/<config>/...``);
- the paper's numbers (supplementary Sec. 2) and the channel layout are in the full configs, the
  codec / input sizes agree across model and pipelines;
- a tiny model of every row trains one step on synthetic frames with exactly the losses its
  switches ask for.
"""
import ast
import copy
import glob
import os.path as osp
from functools import lru_cache

import pytest

from mmpose_track.tracking import DEFAULT_TRACKER
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmpose.registry import DATASETS, MODELS

import mmpose_track.register_all  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ST = osp.join(REPO, 'configs', 'st_embed')
FULL = sorted(glob.glob(osp.join(ST, '*.py')))
TINY = sorted(glob.glob(osp.join(ST, 'tiny', '*.py')))
TINY_PARTS = '../../_base_/tiny/st_embed_synthetic.py'

K, L = 17, 1

#: child row -> (parent row, the keys (prefixes) in which the child's resolved config differs)
ROWS = {
    't3-ke': ('s1', {'model.head.use_sie', 'model.head.use_aux'}),
    't3-sie': ('s1', {'model.head.use_ke', 'model.head.use_aux'}),
    't3-ke-sie': ('s1', {'model.head.use_aux'}),
    't3-ke-pgg': ('s2', {'model.head.use_sie', 'model.head.use_aux', 'load_from'}),
    't3-sie-pgg': ('s2', {'model.head.use_ke', 'model.head.use_aux', 'load_from'}),
    't4-oks': ('s3', {'val_cfg.tracker', 'test_cfg.tracker', 'load_from'}),
    't4-iou': ('s3', {'val_cfg.tracker', 'test_cfg.tracker', 'load_from'}),
    't4-ke': ('s3', {'val_cfg.tracker', 'test_cfg.tracker', 'load_from'}),
    't4-ke-sie': ('s3', {'val_cfg.tracker', 'test_cfg.tracker', 'load_from'}),
    't4-he-tie': ('s3', {'model.test_cfg.tie_pgg', 'load_from'}),
    't4-he': ('t4-he-tie', {'val_cfg.tracker', 'test_cfg.tracker'}),
    't4-tie': ('t4-he-tie', {'val_cfg.tracker', 'test_cfg.tracker'}),
}
#: stage -> (previous stage, keys the schedule changes)
STAGES = {
    's2': ('s1', {'load_from', 'train_cfg', 'optim_wrapper.optimizer.lr', 'param_scheduler',
                  'default_hooks.checkpoint', 'log_processor.by_epoch',
                  'train_dataloader.dataset.datasets', 'model.head.with_pgg'}),
    's3': ('s2', {'load_from', 'optim_wrapper.optimizer.lr', 'train_dataloader.dataset',
                  'val_cfg.tracker', 'test_cfg.tracker', 'model.type',
                  'model.data_preprocessor.type', 'model.freeze_spatial', 'model.he_head',
                  'model.tie_head', 'model.test_cfg.tie_pgg'}),
}
#: the model a row's weights come from (load_from): Table 3 PGG rows fine-tune their stage-1 row,
#: Table 4 rows test the stage 3 weights
LOADS = {'s1': None, 't3-ke': None, 't3-sie': None, 't3-ke-sie': None, 's2': 's1',
         't3-ke-pgg': 't3-ke', 't3-sie-pgg': 't3-sie', 's3': 's2', 't4-oks': 's3',
         't4-iou': 's3', 't4-ke': 's3', 't4-ke-sie': 's3', 't4-he-tie': 's3', 't4-he': 's3',
         't4-tie': 's3'}
#: Table 4 row -> tracker file
TRACKERS = {'s3': 'st_embed.py', 't4-he-tie': 'st_embed.py', 't4-he': 'st_embed_he.py',
            't4-tie': 'st_embed_tie.py', 't4-oks': 'oks_hungarian.py',
            't4-iou': 'iou_hungarian.py', 't4-ke': 'st_embed_ke.py',
            't4-ke-sie': 'st_embed_ke_sie.py'}


def tag(path: str) -> str:
    """'st-embed-t3-ke_spatialnet-...py' -> 't3-ke'."""
    return osp.basename(path).split('_')[0][len('st-embed-'):]


def stem(path: str) -> str:
    return osp.splitext(osp.basename(path))[0]


BY_TAG = {'full': {tag(p): p for p in FULL}, 'tiny': {tag(p): p for p in TINY}}


@lru_cache(maxsize=None)
def resolved(path: str) -> dict:
    return Config.fromfile(path).to_dict()


def flatten(obj, prefix=''):
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            out.update(flatten(v, f'{prefix}{k}.'))
        return out or {prefix[:-1]: {}}
    if isinstance(obj, (list, tuple)) and any(isinstance(v, (dict, list, tuple)) for v in obj):
        out = {}
        for i, v in enumerate(obj):
            out.update(flatten(v, f'{prefix}{i}.'))
        return out or {prefix[:-1]: []}
    return {prefix[:-1]: list(obj) if isinstance(obj, tuple) else obj}


def diff(a: dict, b: dict) -> dict:
    """Dotted keys whose values differ (or exist in one only) -> value in ``a``."""
    fa, fb = flatten(a), flatten(b)
    return {k: fa.get(k, '<absent>') for k in fa.keys() | fb.keys() if fa.get(k) != fb.get(k)}


def matches(key: str, prefixes) -> bool:
    return any(key == p or key.startswith(p + '.') for p in prefixes)


def checkpoint_of(path: str) -> str:
    """The file the training loop + checkpoint hook of ``path`` write last."""
    cfg = resolved(path)
    loop = cfg['train_cfg']
    by_epoch = loop.get('type', 'EpochBasedTrainLoop') == 'EpochBasedTrainLoop'
    assert cfg['default_hooks']['checkpoint'].get('by_epoch', True) == by_epoch, path
    assert cfg['log_processor'].get('by_epoch', True) == by_epoch, path
    last = f'epoch_{loop["max_epochs"]}.pth' if by_epoch else f'iter_{loop["max_iters"]}.pth'
    return f'work_dirs/{stem(path)}/{last}'


def walk_transforms(pipeline):
    for t in pipeline:
        yield t
        if t['type'] == 'ApplyToFrames':
            yield from walk_transforms(t['transforms'])


# ---------------------------------------------------------------------------------- structure
def test_every_config_parses_and_has_a_tiny_version():
    assert set(BY_TAG['full']) == set(LOADS) == set(BY_TAG['tiny'])
    assert len(FULL) == len(TINY) == 15
    for path in FULL + TINY:
        assert resolved(path)['model']['type'] in ('SpatialNet', 'TemporalNet'), path


@pytest.mark.parametrize('path', TINY, ids=tag)
def test_tiny_inherits_from_its_full_config(path):
    tree = ast.parse(open(path).read())
    bases = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                 and n.targets[0].id == '_base_')
    full = BY_TAG['full'][tag(path)]
    assert bases == [f'../{osp.basename(full)}', TINY_PARTS]
    cfg, parent = resolved(path), resolved(full)
    # the row's switches and tracker are the full row's
    for key in ('use_ke', 'use_sie', 'use_aux', 'with_pgg'):
        assert cfg['model']['head'][key] == parent['model']['head'][key]
    assert cfg['test_cfg']['tracker'] == parent['test_cfg']['tracker']
    assert cfg['model'].get('test_cfg', {}).get('tie_pgg') == \
        parent['model'].get('test_cfg', {}).get('tie_pgg')
    # tiny: one stack, 128x128 input, the synthetic set (written when missing)
    assert cfg['model']['backbone']['num_stacks'] == 1
    assert tuple(cfg['model']['head']['decoder']['input_size']) == (128, 128)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds = cfg[loader]['dataset']
        assert ds['data_root'] == 'data/synthetic_posetrack18/'
        assert ds['generate_if_missing'] == dict(seed=0)


@pytest.mark.parametrize('chain', ['full', 'tiny'])
@pytest.mark.parametrize('row', sorted(ROWS))
def test_row_differs_from_its_parent_only_in_intended_keys(chain, row):
    parent_tag, keys = ROWS[row]
    child, parent = BY_TAG[chain][row], BY_TAG[chain][parent_tag]
    d = diff(resolved(child), resolved(parent))
    assert all(matches(k, keys) for k in d), sorted(k for k in d if not matches(k, keys))
    assert all(any(matches(k, {p}) for k in d) for p in keys), (keys, sorted(d))
    if chain == 'tiny':  # the same change as the full row's
        full = diff(resolved(BY_TAG['full'][row]), resolved(BY_TAG['full'][parent_tag]))
        assert {k: v for k, v in d.items() if k != 'load_from'} == \
            {k: v for k, v in full.items() if k != 'load_from'}


@pytest.mark.parametrize('stage', sorted(STAGES))
def test_stage_differs_from_the_previous_in_the_schedule_keys(stage):
    """Full chain (the tiny stages also differ in their short schedules and logging, and the
    tiny stage 2 trains on the same synthetic frames as stage 1)."""
    prev, keys = STAGES[stage]
    d = diff(resolved(BY_TAG['full'][stage]), resolved(BY_TAG['full'][prev]))
    assert all(matches(k, keys) for k in d), sorted(k for k in d if not matches(k, keys))
    assert all(any(matches(k, {p}) for k in d) for p in keys), (keys, sorted(d))


@pytest.mark.parametrize('chain', ['full', 'tiny'])
def test_load_from_chains_to_the_previous_stage(chain):
    by_tag = BY_TAG[chain]
    for row, source in LOADS.items():
        expected = None if source is None else checkpoint_of(by_tag[source])
        assert resolved(by_tag[row])['load_from'] == expected, row
    # e.g. the full chain: 300K iterations, then 40 + 40 epochs
    if chain == 'full':
        assert resolved(by_tag['s2'])['load_from'].endswith('/iter_300000.pth')
        assert resolved(by_tag['s3'])['load_from'].endswith('/epoch_40.pth')


@pytest.mark.parametrize('chain', ['full', 'tiny'])
def test_table4_trackers(chain):
    for row, name in TRACKERS.items():
        cfg = resolved(BY_TAG[chain][row])
        for loop in ('val_cfg', 'test_cfg'):
            assert osp.normpath(cfg[loop]['tracker']) == osp.join(REPO, 'configs', 'trackers',
                                                                  name)
    # Table 3 rows (SpatialNet) are scored by AP; any tracker: the default one
    assert resolved(BY_TAG[chain]['s1'])['test_cfg']['tracker'].endswith(
        f'{DEFAULT_TRACKER}.py')
    # HE alone / TIE alone: the other term's weight is 0
    he = Config.fromfile(osp.join(REPO, 'configs', 'trackers', 'st_embed_he.py')).tracker
    tie = Config.fromfile(osp.join(REPO, 'configs', 'trackers', 'st_embed_tie.py')).tracker
    full = Config.fromfile(osp.join(REPO, 'configs', 'trackers', 'st_embed.py')).tracker
    assert (he.similarity.lambda_he, he.similarity.lambda_tie) == (3.0, 0.0)
    assert (tie.similarity.lambda_he, tie.similarity.lambda_tie) == (0.0, 1.0)
    assert (full.similarity.lambda_he, full.similarity.lambda_tie) == (3.0, 1.0)  # Eq. 8


# ---------------------------------------------------------------------------- paper numbers
def test_full_configs_hold_the_papers_settings():
    s1, s2, s3 = (resolved(BY_TAG['full'][s]) for s in ('s1', 's2', 's3'))
    # SpatialNet: 4-stack hourglass, C = K + L*K + 2K + 6 channels per stack
    bb = s1['model']['backbone']
    assert bb['type'] == 'HourglassAENetWithStem' and bb['num_stacks'] == 4
    assert bb['out_channels'] == K + L * K + 2 * K + 6 == 74
    assert bb['feat_channels'] == 256  # the shared low-level features
    head = s1['model']['head']
    assert (head['num_keypoints'], head['tag_dim']) == (K, L)
    weights = [head[k]['loss_weight'] for k in ('keypoint_loss', 'ke_loss', 'aux_loss',
                                                'svf_loss', 'pgg_loss')]
    assert weights == [1.0, 1e-3, 1e-4, 1e-4, 1e-4]  # det : KE : aux : SIE, PGG
    assert (head['use_ke'], head['use_sie'], head['use_aux'], head['with_pgg']) == \
        (True, True, True, False)
    # stage 1: Adam 2e-4 -> 1e-5 after 250K iterations, batch 16, COCO only
    assert s1['optim_wrapper']['optimizer'] == dict(type='Adam', lr=2e-4)
    (sched, ) = s1['param_scheduler']
    assert sched['type'] == 'MultiStepLR' and not sched['by_epoch']
    assert sched['milestones'] == [250000]
    assert 2e-4 * sched['gamma'] == pytest.approx(1e-5)
    assert s1['train_dataloader']['batch_size'] == 16
    assert [d['type'] for d in s1['train_dataloader']['dataset']['datasets']] == ['CocoDataset']
    # stage 2: PGG fine-tune, 40 epochs at 1e-5, COCO + PoseTrack18
    assert s2['model']['head']['with_pgg'] and s2['train_cfg']['max_epochs'] == 40
    assert s2['optim_wrapper']['optimizer']['lr'] == 1e-5
    assert [d['type'] for d in s2['train_dataloader']['dataset']['datasets']] == \
        ['CocoDataset', 'PoseTrack18FrameDataset']
    # stage 3: TemporalNet on range-5 pairs, 40 epochs, Adam 2e-4, batch 16, SpatialNet frozen
    assert s3['model']['type'] == 'TemporalNet' and s3['model']['freeze_spatial']
    assert s3['optim_wrapper']['optimizer'] == dict(type='Adam', lr=2e-4)
    assert s3['train_cfg']['max_epochs'] == 40 and s3['train_dataloader']['batch_size'] == 16
    assert s3['train_dataloader']['dataset']['type'] == 'PoseTrack18PairDataset'
    assert s3['train_dataloader']['dataset']['frame_range'] == 5
    he = s3['model']['he_head']
    assert he['margin'] == 0.3 and he['mid_channels'] + he['res5_channels'] == 3072
    assert he['in_channels'] == s3['model']['tie_head']['stem_channels'] == bb['feat_channels']


@pytest.mark.parametrize('path', FULL + TINY, ids=lambda p: ('tiny-' if '/tiny/' in p else '')
                         + tag(p))
def test_sizes_agree_across_model_and_pipelines(path):
    cfg = resolved(path)
    model = cfg['model']
    codec = model['head']['decoder']
    bb = model['backbone']
    assert bb['out_channels'] == K + L * K + 2 * K + 6
    # stride 4 maps
    assert [i // h for i, h in zip(codec['input_size'], codec['heatmap_size'])] == [4, 4]
    loader = cfg['train_dataloader']['dataset']
    train = list(walk_transforms(loader['pipeline']))
    encoders = [t['encoder'] for t in train if t['type'] in ('GenerateTarget',
                                                              'GenerateTemporalTarget')]
    assert encoders and all(e == codec for e in encoders)
    affines = [t for t in train if t['type'] == 'BottomupRandomAffine']
    assert len(affines) == 1 and tuple(affines[0]['input_size']) == tuple(codec['input_size'])
    (resize, ) = [t for t in cfg['test_dataloader']['dataset']['pipeline']
                  if t['type'] == 'BottomupResize']
    # the full configs test at the training input size; the tiny ones at twice it, because
    # their training crops cover half the frame (configs/_base_/tiny/st_embed_synthetic.py)
    zoom = 2 if '/tiny/' in path else 1
    assert tuple(resize['input_size']) == tuple(zoom * s for s in codec['input_size'])
    # the stem divides by 4, each hourglass level by 2
    assert resize['size_factor'] == 4 * 2**bb['downsample_times']
    assert cfg['test_dataloader']['sampler']['type'] == 'VideoGroupedSampler'
    assert cfg['test_cfg']['type'] == 'PoseTrackTestLoop'
    assert cfg['test_evaluator']['type'] == 'PoseTrackMetric'


# ------------------------------------------------------------------------- one training step
def _expected_losses(head: dict, model_type: str) -> set:
    if model_type == 'TemporalNet':
        return {'loss_he', 'loss_tvf_forward', 'loss_tvf_backward', 'loss_tie_pgg_pull',
                'loss_tie_pgg_push'}
    keys = {'loss_heatmap'}
    if head['use_ke']:
        keys |= {'loss_ke_pull', 'loss_ke_push'}
    if head['use_aux']:
        keys.add('loss_ordinal')
    if head['use_sie']:
        keys.add('loss_svf')
    if head['with_pgg']:
        keys |= {'loss_pgg_pull', 'loss_pgg_push'}
    return keys


TRAINED_TINY = [BY_TAG['tiny'][t] for t in ('s1', 't3-ke', 't3-sie', 't3-ke-sie', 's2',
                                            't3-ke-pgg', 't3-sie-pgg', 's3')]


@pytest.mark.parametrize('path', TRAINED_TINY, ids=tag)
def test_tiny_row_trains_one_step_with_its_losses(path, tiny_synthetic):
    init_default_scope('mmpose')
    cfg = Config.fromfile(path)
    ds_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    ds_cfg.update(data_root=tiny_synthetic, generate_if_missing=None)
    ds = DATASETS.build(ds_cfg)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    data = model.data_preprocessor(pseudo_collate([ds[0], ds[1]]), training=True)
    losses = model(**data, mode='loss')
    assert set(losses) == _expected_losses(cfg.model.head, cfg.model.type)
    assert all(torch.isfinite(v).all() for v in losses.values())
