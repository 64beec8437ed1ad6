"""Every OGN config loads; Table 1 / Table 4 rows differ from their parent in the intended fields
only (the tiny Table 4 chain in the same fields as the full one); the tiny CPU versions build
(the tiny Mask R-CNNs in test_ogn_mask_rcnn.py)."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
OGN = osp.join(ROOT, 'configs', 'ogn')
BASE = 'ogn_res50_posetrack18-256x192.py'


def _load(name):
    return Config.fromfile(osp.join(OGN, name)).to_dict()


def _flat(d, prefix=''):
    out = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(_flat(v, f'{prefix}{k}.'))
    elif isinstance(d, (list, tuple)):
        for i, v in enumerate(d):
            out.update(_flat(v, f'{prefix}{i}.'))
    else:
        out[prefix[:-1]] = d
    return out


def _diff(a, b):
    fa, fb = _flat(a), _flat(b)
    return {k for k in set(fa) | set(fb) if fa.get(k, '<none>') != fb.get(k, '<none>')}


def _row(key):
    rows = [p for p in glob.glob(osp.join(OGN, f'ogn-{key}_*.py')) if TRACKING not in p]
    assert len(rows) == 1, rows
    return osp.basename(rows[0])


TRACKING = '_iou-appearance'  # tracking variants of a row (same pose model, another tracker)


CODEC = ('codec.', 'model.head.decoder.', 'train_pipeline.', 'val_pipeline.',
         'train_dataloader.dataset.pipeline.', 'val_dataloader.dataset.pipeline.',
         'test_dataloader.dataset.pipeline.')
GBG = ('val_det_file', 'val_dataloader.dataset.bbox_file', 'test_dataloader.dataset.bbox_file')
DEPTH = ('model.backbone.depth', 'model.backbone.init_cfg.checkpoint')
# row: (parent, allowed prefixes of the changed fields, must-change fields with their values)
ROWS = {
    't1a': (BASE, CODEC + ('model.head.', ), {'model.head.type': 'HeatmapHead',
                                              'model.head.deconv_out_channels.0': 256}),
    't1b': (BASE, CODEC + ('model.head.', ), {'model.head.type': 'HeatmapHead'}),
    't1c': (BASE, (), {}),
    't1d': (BASE, CODEC + ('model.head.deconv', ), {'codec.heatmap_size.0': 12}),
    't1e': ('t1d', CODEC + GBG, {'codec.input_size.1': 352}),
    't1f': ('t1d', CODEC + GBG, {'codec.input_size.1': 384}),
    't1h': ('t1d', CODEC, {'codec.input_size.1': 512, 'codec.heatmap_size.1': 32}),
    't1g': ('t1h', GBG, {}),
    't1i': (BASE, CODEC + GBG, {'codec.input_size.1': 384, 'codec.heatmap_size.1': 48}),
    't1j': (BASE, CODEC + GBG, {'codec.input_size.1': 512, 'codec.heatmap_size.1': 64}),
    't1k': ('t1j', DEPTH, {'model.backbone.depth': 101}),
    't1l': ('t1j', DEPTH, {'model.backbone.depth': 152}),
}
# Table 4: the offset-guided Mask R-CNN (MMDet two-stage detector with a keypoint RoI head)
KPT = 'model.roi_head.keypoint_head.'
RC = ('keypoint_roi_size', 'model.roi_head.ratio_consistent',
      'model.roi_head.keypoint_roi_extractor.roi_layer.output_size', KPT + 'roi_feat_size',
      KPT + 'radius')
T4_ROWS = {
    't4a': ('t4fair', (KPT + 'use_offset', ), {KPT + 'use_offset': True}),
    't4b': ('t4a', RC, {'model.roi_head.ratio_consistent': True}),
    't4c': ('t4b', (KPT + 'loss_heatmap.', ), {KPT + 'loss_heatmap.type': 'mmpose.SmoothL1Loss'}),
}


def test_base_config():
    cfg = _load(BASE)
    assert cfg['model']['head']['type'] == 'OGNHead'
    assert cfg['codec'] == cfg['model']['head']['decoder']
    assert cfg['codec']['type'] == 'OffsetHeatmap' and 'sigma' not in cfg['codec']
    assert cfg['train_dataloader']['dataset']['pipeline'][-2]['encoder'] == cfg['codec']
    assert cfg['val_cfg']['nms'] == [dict(type='iou', thr=0.6), dict(type='oks', thr=0.75)]
    assert cfg['test_cfg']['nms'] == cfg['val_cfg']['nms']


@pytest.mark.parametrize('key', sorted(ROWS))
def test_table_rows_differ_in_intended_fields_only(key):
    parent, allowed, must = ROWS[key]
    parent = parent if parent.endswith('.py') else _row(parent)
    a, b = _load(parent), _load(_row(key))
    changed = _diff(a, b)
    bad = sorted(k for k in changed if not k.startswith(allowed))
    assert not bad, f'{key}: unexpected changes {bad}'
    fb = _flat(b)
    for k, v in must.items():
        assert fb.get(k) == v, (key, k, fb.get(k))
    # the codec seen by the head, the target generator and the crop are the same
    if fb.get('model.head.type') == 'OGNHead':
        assert b['model']['head']['decoder'] == b['codec']
        assert b['train_pipeline'][-2]['encoder'] == b['codec']
        assert b['train_pipeline'][-3]['input_size'] == b['codec']['input_size']
    if key in ('t1e', 't1f', 't1g', 't1i', 't1j', 't1k', 't1l'):
        assert b['val_dataloader']['dataset']['bbox_file'].endswith(
            'posetrack18_val_human_detections_gbg.json')
        assert b['test_dataloader'] == b['val_dataloader']


def test_table4_base_is_fair_mask_rcnn():
    cfg = _load(_row('t4fair'))
    roi = cfg['model']['roi_head']
    assert cfg['model']['type'] == 'FasterRCNN' and roi['type'] == 'OGNKeypointRoIHead'
    assert cfg['model']['backbone']['depth'] == 101  # Table 4: ResNet-101
    assert not roi['ratio_consistent'] and not roi['keypoint_head']['use_offset']
    assert roi['keypoint_head']['loss_heatmap']['type'] == 'mmpose.SpatialSoftmaxLoss'
    assert roi['keypoint_roi_extractor']['roi_layer']['output_size'] == (14, 14)
    assert cfg['test_cfg']['type'] == 'mmpose.PoseTrackTestLoop'
    assert cfg['test_cfg']['nms'] == [dict(type='iou', thr=0.6), dict(type='oks', thr=0.75)]
    assert cfg['test_evaluator']['type'] == 'mmpose.PoseTrackMetric'
    assert cfg['test_dataloader']['dataset']['video_order']
    assert cfg['train_dataloader']['dataset']['with_keypoints']


def _t4_tiny(key):
    return osp.basename(glob.glob(osp.join(OGN, 'tiny', f'ogn-{key}_*.py'))[0])


@pytest.mark.parametrize('key', sorted(T4_ROWS))
def test_table4_rows_differ_in_intended_fields_only(key):
    parent, allowed, must = T4_ROWS[key]
    for folder, name in (('', _row), ('tiny', _t4_tiny)):
        a = _load(osp.join(folder, name(parent)))
        b = _load(osp.join(folder, name(key)))
        changed = _diff(a, b)
        bad = sorted(k for k in changed if not k.startswith(allowed))
        assert not bad, f'{folder} {key}: unexpected changes {bad}'
        fb = _flat(b)
        for k, v in must.items():
            assert fb.get(k) == v, (folder, key, k, fb.get(k))
        h, w = b['model']['roi_head']['keypoint_head']['roi_feat_size']
        assert b['model']['roi_head']['keypoint_roi_extractor']['roi_layer']['output_size'] == (h, w)
        if b['model']['roi_head']['ratio_consistent']:
            assert w / h == pytest.approx(256 / 352)  # the 352x256 aspect (Sec. 4.2.1)


TINY = sorted(p for p in glob.glob(osp.join(OGN, 'tiny', '*.py')) if TRACKING not in p)
TINY_TWO_STAGE = [t for t in TINY if 'mask-rcnn' not in t]


@pytest.mark.parametrize('folder', ['', 'tiny'])
def test_iou_appearance_variant_wraps_the_row(folder):
    """OGN's own tracking (Sec. 4.2): the row's pose model inside the ReID wrapper, the IoU +
    appearance tracker, nothing else changed."""
    from glob import glob
    var = glob(osp.join(OGN, folder, f'ogn-t1d_*{TRACKING}.py'))[0]
    row = var.replace(TRACKING, '')
    a, b = Config.fromfile(row), Config.fromfile(var)
    assert b.model.type == 'TopdownPoseEstimatorWithReID'
    assert b.model.pose_estimator == a.model
    assert b.test_cfg.tracker.endswith('trackers/iou_appearance.py')
    assert b.val_cfg.tracker == b.test_cfg.tracker
    assert osp.exists(b.model.reid)
    assert b.test_dataloader == a.test_dataloader and b.test_evaluator == a.test_evaluator


def test_every_row_has_a_tiny_version():
    assert len(TINY) == len(ROWS) + len(T4_ROWS) + 1
    for key in list(ROWS) + list(T4_ROWS) + ['t4fair']:
        assert any(osp.basename(t).startswith(f'ogn-{key}_') for t in TINY)


@pytest.mark.parametrize('path', TINY_TWO_STAGE, ids=osp.basename)
def test_tiny_configs_build(path):
    import torch
    from mmengine.registry import init_default_scope
    from mmpose.registry import KEYPOINT_CODECS, MODELS

    import mmpose_track.register_all  # noqa: F401
    init_default_scope('mmpose')
    cfg = Config.fromfile(path)
    assert cfg.model.backbone.base_channels == 32 and cfg.model.backbone.init_cfg is None
    assert cfg.train_dataloader.dataset.data_root.startswith('data/synthetic_posetrack18')
    assert cfg.codec == cfg.model.head.decoder
    model = MODELS.build(cfg.model)
    w, h = cfg.codec.input_size
    with torch.no_grad():
        out = model._forward(torch.zeros(1, 3, h, w))
    hm = out[0] if isinstance(out, tuple) else out
    assert tuple(hm.shape[-2:]) == tuple(cfg.codec.heatmap_size[::-1])
    KEYPOINT_CODECS.build(cfg.codec)
