"""PersonReID (MMDet ReID design without mmpretrain): trains, embeds, separates identities."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope

import mmpose_track.register_all  # noqa: F401
from mmdet.registry import DATASETS, MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(REPO, 'configs/reid/tiny/reid_res18-tiny_synthetic-64x32.py')
FULL = osp.join(REPO, 'configs/reid/reid_res50_posetrack18-256x128.py')


def _dataset(cfg, root, **kw):
    d = dict(cfg.train_dataloader.dataset)
    d.update(data_root=root, **kw)
    with DefaultScope.overwrite_default_scope('mmdet'):
        return DATASETS.build(d)


def _model(cfg, num_classes):
    m = dict(cfg.model)
    m['head'] = dict(m['head'], num_classes=num_classes)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(m)
    model.init_weights()
    return model


def test_configs_build():
    full = Config.fromfile(FULL)
    assert full.default_scope == 'mmdet' and full.model.type == 'PersonReID'
    assert full.model.head.loss_triplet.type == 'TripletLoss'
    assert full.model.neck.type == 'GlobalAveragePooling'
    tiny = Config.fromfile(TINY)
    model = _model(tiny, 4).eval()
    x = torch.randn(3, 3, 64, 32)
    with torch.no_grad():
        emb = model(x, mode='tensor')
        alone = model(x[1:2], mode='tensor')
        flipped_batch = model(x.flip(0), mode='tensor')
    assert emb.shape == (3, tiny.model.head.out_channels)
    # one embedding per crop, independent of the rest of the batch (eval mode)
    torch.testing.assert_close(alone[0], emb[1], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(flipped_batch, emb.flip(0), rtol=1e-4, atol=1e-5)
    assert not torch.allclose(emb[0], emb[1])


@pytest.fixture
def flush_denormal():
    # tiny randomly initialised nets produce denormal floats: 10x slower CPU steps without this
    torch.set_flush_denormal(True)
    yield
    torch.set_flush_denormal(False)


def test_tiny_reid_trains_and_separates_identities(tiny_synthetic, flush_denormal):
    torch.manual_seed(0)
    np.random.seed(0)
    cfg = Config.fromfile(TINY)
    ds = _dataset(cfg, tiny_synthetic, triplet_sampler=dict(num_ids=4, ins_per_id=4))
    model = _model(cfg, ds.num_identities)
    optim = torch.optim.Adam(model.parameters(), lr=2e-3)
    losses = []
    model.train()
    for it in range(30):
        data = model.data_preprocessor(pseudo_collate([ds[it % len(ds)]]), True)
        loss = model(**data, mode='loss')
        total = loss['triplet_loss'] + loss['ce_loss']
        optim.zero_grad()
        total.backward()
        optim.step()
        losses.append(float(total.detach()))
    assert np.mean(losses[-5:]) < np.mean(losses[:5])

    # crops of the same person are closer than crops of different people
    test_ds = _dataset(cfg, tiny_synthetic, triplet_sampler=None,
                       pipeline=cfg.test_dataloader.dataset.pipeline)
    model.eval()
    idx = np.arange(0, len(test_ds), max(len(test_ds) // 120, 1))
    batch = pseudo_collate([test_ds[int(i)] for i in idx])
    with torch.no_grad():
        data = model.data_preprocessor(batch, False)
        emb = torch.nn.functional.normalize(model(data['inputs'], mode='tensor'), dim=1)
    labels = torch.tensor([int(test_ds.get_data_info(int(i))['gt_label']) for i in idx])
    d = torch.cdist(emb, emb)
    same = labels[:, None] == labels[None]
    off_diag = ~torch.eye(len(idx), dtype=torch.bool)
    assert d[same & off_diag].mean() < d[~same].mean()
