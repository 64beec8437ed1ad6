"""Person detector configs: they load, NMS <-> GBG differ exactly in the model's test_cfg, and
the tiny detector builds, computes losses and predicts (NMS and GBG) on CPU."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DET = osp.join(REPO, 'configs', 'detectors')
PAIRS = [('faster-rcnn_r50_fpn_person_posetrack18.py', 'faster-rcnn_r50_fpn_person_posetrack18_gbg.py'),
         ('faster-rcnn_r101_fpn_person_posetrack18.py', 'faster-rcnn_r101_fpn_person_posetrack18_gbg.py'),
         ('tiny/faster-rcnn_tiny_person_synthetic.py', 'tiny/faster-rcnn_tiny_person_synthetic_gbg.py')]


def _diff(a, b, prefix=''):
    """Dotted keys where two nested dicts differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += _diff(a.get(k), b.get(k), f'{prefix}{k}.')
        return out
    return [] if a == b else [prefix.rstrip('.')]


@pytest.mark.parametrize('nms_cfg,gbg_cfg', PAIRS)
def test_configs_load_and_gbg_is_one_test_cfg_switch(nms_cfg, gbg_cfg):
    nms = Config.fromfile(osp.join(DET, nms_cfg))
    gbg = Config.fromfile(osp.join(DET, gbg_cfg))
    assert nms.default_scope == 'mmdet' and 'mmpose_track.register_all' in nms.custom_imports.imports
    assert nms.model.roi_head.bbox_head.type == 'GBGShared2FCBBoxHead'
    assert nms.model.roi_head.bbox_head.num_classes == 1
    assert nms.train_dataloader.dataset.metainfo.classes == ('person', )
    diff = _diff(nms.to_dict(), gbg.to_dict())
    assert diff and all(k.startswith('model.test_cfg.') for k in diff), diff
    assert gbg.model.test_cfg.rpn.nms is None and gbg.model.test_cfg.rcnn.nms is None
    assert dict(gbg.model.test_cfg.rcnn.gbg, min_size=0) == dict(
        score_thr=0.8, egt_iou_thr=0.5, group_iou_thr=0.7, top_n=4, min_size=0)
    assert 'gbg' not in nms.model.test_cfg.rcnn


def test_real_and_synthetic_data_differ_in_data_root():
    real = Config.fromfile(osp.join(DET, PAIRS[0][0]))
    assert real.train_dataloader.dataset.data_root == 'data/posetrack18/'
    assert real.train_dataloader.dataset.ann_file == 'annotations/posetrack18_train.json'
    assert real.val_dataloader.dataset.ann_file == 'annotations/posetrack18_val.json'
    assert real.val_evaluator.type == 'CocoMetric' and real.val_evaluator.ann_file is None


def test_tiny_detector_loss_and_predict_on_cpu():
    cfg = Config.fromfile(osp.join(DET, PAIRS[2][0]))
    gbg_cfg = Config.fromfile(osp.join(DET, PAIRS[2][1]))
    with DefaultScope.overwrite_default_scope('mmdet'):  # restored afterwards
        _loss_and_predict(cfg, gbg_cfg)


def _loss_and_predict(cfg, gbg_cfg):
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    img = torch.from_numpy(np.random.default_rng(0).integers(0, 255, (3, 240, 320), np.uint8))
    sample = DetDataSample(metainfo=dict(img_shape=(240, 320), ori_shape=(240, 320),
                                         scale_factor=(1., 1.), pad_shape=(256, 320)))
    sample.gt_instances = InstanceData(bboxes=torch.tensor([[40., 30., 90., 150.]]),
                                       labels=torch.tensor([0]))
    data = model.data_preprocessor(dict(inputs=[img], data_samples=[sample]), True)
    model.train()
    losses = model(**data, mode='loss')
    # MMDet's initialisation: classifier weights N(0, 0.01^2), bias 0, so the logits are ~0 and
    # both classification losses are the cross-entropy of a coin flip, log 2 (the RPN's is
    # normalised over all levels' samples: its per-level terms sum to it)
    assert float(sum(losses['loss_rpn_cls'])) == pytest.approx(np.log(2), abs=0.05)
    assert float(losses['loss_cls']) == pytest.approx(np.log(2), abs=0.05)
    loss, _ = model.parse_losses(losses)
    loss.backward()
    model.eval()
    for test_cfg in (cfg.model.test_cfg, gbg_cfg.model.test_cfg):
        model.test_cfg = test_cfg
        model.rpn_head.test_cfg = test_cfg.rpn
        model.roi_head.test_cfg = test_cfg.rcnn
        with torch.no_grad():
            data = model.data_preprocessor(dict(inputs=[img], data_samples=[sample]), False)
            pred = model(**data, mode='predict')[0].pred_instances
        assert pred.bboxes.shape[1] == 4 and len(pred.bboxes) == len(pred.scores)
        assert (pred.labels == 0).all()
        assert torch.all(pred.scores[:-1] >= pred.scores[1:])
