"""Every config under configs/ builds its model from a folder with nothing in it: no work_dirs,
no data, no checkpoint is read while building (weights load in ``init_weights`` / ``load_from``).
The ReID wrapper of the ``*_iou-appearance.py`` configs reads ``model.reid_checkpoint`` only when
weights are loaded, and a missing file is then an error naming the option."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmpose_track.register_all  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                                                         recursive=True))
IOU_APPEARANCE = [p for p in CONFIGS if p.endswith('_iou-appearance.py')]


def _model_configs():
    out = []
    for rel in CONFIGS:
        cfg = Config.fromfile(osp.join(REPO, rel))
        if isinstance(cfg.get('model'), dict) and 'type' in cfg.model:
            out.append(rel)
    return out


MODEL_CONFIGS = _model_configs()


def _build(rel):
    cfg = Config.fromfile(osp.join(REPO, rel))
    scope = cfg.get('default_scope', 'mmpose')
    if scope == 'mmdet':
        from mmdet.registry import MODELS
    else:
        from mmpose.registry import MODELS
    with DefaultScope.overwrite_default_scope(scope):
        return cfg, MODELS.build(cfg.model)


def test_every_model_config_is_listed():
    # the four IoU + appearance variants and every pose / detector / ReID config
    assert len(IOU_APPEARANCE) == 4
    assert set(IOU_APPEARANCE) <= set(MODEL_CONFIGS)
    assert len(MODEL_CONFIGS) >= 45


@pytest.mark.parametrize('rel', MODEL_CONFIGS)
def test_config_builds_without_files(rel, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative paths (work_dirs/..., data/...) point nowhere
    torch.manual_seed(0)
    cfg, model = _build(rel)
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params > 0
    assert list(tmp_path.iterdir()) == []  # building wrote nothing either


@pytest.mark.parametrize('rel', IOU_APPEARANCE)
def test_reid_checkpoint_is_read_when_weights_load(rel, tmp_path, monkeypatch):
    """``init_weights`` (training) and loading a bare pose checkpoint (``tools/test.py``,
    ``load_from``) read ``model.reid_checkpoint``: a missing file names the option; a given one
    ends up in the ReID model, whatever the pose checkpoint."""
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(osp.join(REPO, rel))
    cfg.model.pose_estimator.backbone.init_cfg = None  # no ImageNet download here
    from mmpose.registry import MODELS
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    assert not osp.exists(cfg.model.reid_checkpoint)
    with pytest.raises(FileNotFoundError, match='model.reid_checkpoint'):
        model.init_weights()
    pose_ckpt = tmp_path / 'pose.pth'
    torch.save(dict(state_dict=model.pose_estimator.state_dict()), pose_ckpt)
    from mmengine.runner.checkpoint import load_checkpoint
    with pytest.raises(FileNotFoundError, match=cfg.model.reid_checkpoint):
        load_checkpoint(model, str(pose_ckpt), map_location='cpu')
    # a user's own ReID checkpoint (--cfg-options model.reid_checkpoint=PATH)
    reid_sd = {k: torch.full_like(v, 0.5) if v.is_floating_point() else v
               for k, v in model.reid.state_dict().items()}
    torch.save(dict(state_dict=reid_sd), tmp_path / 'my_reid.pth')
    cfg.model.reid_checkpoint = str(tmp_path / 'my_reid.pth')
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    assert not all(torch.equal(v, reid_sd[k]) for k, v in model.reid.state_dict().items()
                   if v.is_floating_point())  # not read at construction
    load_checkpoint(model, str(pose_ckpt), map_location='cpu')
    for k, v in model.reid.state_dict().items():
        assert torch.equal(v, reid_sd[k]), k
