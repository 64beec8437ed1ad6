"""Tiny OGN overfitting a handful of synthetic frames (GT boxes), shared by the test and by
``python tests/test_ogn/_overfit.py`` (prints the numbers of the report)."""
import os.path as osp
import time

import sys

import numpy as np
import torch

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
if ROOT not in sys.path:  # the working tree's package, not an installed copy
    sys.path.insert(0, ROOT)
CFG = osp.join(ROOT, 'configs/ogn/tiny/ogn-t1d_res18-tiny_synthetic-128x96.py')
COCO_SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87,
                        .87, .89, .89]) / 10.0


def oks(pred, gt, vis, area):
    d2 = ((pred - gt)**2).sum(-1)
    e = d2 / (2 * area[:, None] * (2 * COCO_SIGMAS)**2 + np.spacing(1))
    return (np.exp(-e) * vis).sum(1) / np.maximum(vis.sum(1), 1)


def oks_ap(o):
    """Mean over OKS thresholds .50:.05:.95 of the fraction of people above it (one prediction
    per ground-truth box, as with GT boxes: COCO's AP of perfectly ranked predictions)."""
    return float(np.mean([(o > t).mean() for t in np.arange(0.5, 0.951, 0.05)]))


def run_overfit(num_frames=4, iters=100, seed=0, cfg_path=CFG, lr=3e-3, data_root=None):
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS, MODELS

    import mmpose_track.register_all  # noqa: F401
    torch.manual_seed(seed)
    np.random.seed(seed)
    init_default_scope('mmpose')
    cfg = Config.fromfile(cfg_path)
    codec = cfg.model.head.decoder
    plain = [dict(type='LoadImage'), dict(type='GetBBoxCenterScale'),
             dict(type='TopdownAffine', input_size=codec['input_size'])]
    train_pipe = plain + [dict(type='GenerateTarget', encoder=codec),
                          dict(type='PackPoseTrackInputs', pack_transformed=True)]
    ds_cfg = dict(cfg.train_dataloader.dataset, data_root=data_root or osp.join(ROOT, cfg.data_root),
                  pipeline=train_pipe)
    ds = DATASETS.build(ds_cfg)
    img_ids = []
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        if info['img_id'] not in img_ids:
            if len(img_ids) == num_frames:
                break
            img_ids.append(info['img_id'])
    idx = [i for i in range(len(ds)) if ds.get_data_info(i)['img_id'] in img_ids]
    samples = [ds[i] for i in idx]
    batch = pseudo_collate(samples)

    model = MODELS.build(cfg.model)
    model.train()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny convs: one thread is several times faster on a shared CPU
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    t0 = time.time()
    losses = []
    for it in range(iters):
        data = model.data_preprocessor(batch, training=True)
        loss = model(**data, mode='loss')
        total = sum(v for k, v in loss.items() if k.startswith('loss'))
        opt.zero_grad()
        total.backward()
        opt.step()
        losses.append(float(total.detach()))
    train_time = time.time() - t0
    torch.set_num_threads(threads)

    model.eval()
    gt = np.stack([s['data_samples'].gt_instances.transformed_keypoints[0] for s in samples])
    vis = np.stack([s['data_samples'].gt_instances.keypoints_visible[0] for s in samples])
    vis = (vis > 0) & (gt[..., 0] >= 0) & (gt[..., 0] < codec['input_size'][0]) & \
        (gt[..., 1] >= 0) & (gt[..., 1] < codec['input_size'][1])
    with torch.no_grad():
        data = model.data_preprocessor(batch, training=False)
        feats = model.extract_feat(data['inputs'])
        out = model.head.forward(feats)
    hm, off = (out if isinstance(out, tuple) else (out, None))
    res = {}
    w, h = codec['input_size']
    area = np.full(len(gt), w * h * 0.53 / 1.25**2)  # the person's box inside the padded crop
    for name, use_off in (('offset', True), ('argmax', False)):
        model.head.decoder.use_offset = use_off
        pred = np.concatenate([p.keypoints for p in model.head.decode(
            (hm, off) if off is not None else hm)])
        err = np.linalg.norm(pred - gt, axis=-1)[vis]
        o = oks(pred, gt, vis.astype(float), area)
        res[name] = dict(mean_err_px=float(err.mean()), pck05=float((err < 0.05 * h).mean()),
                         ap=oks_ap(o))
    model.head.decoder.use_offset = True
    res.update(num_people=len(samples), num_frames=num_frames, iters=iters,
               train_time_s=train_time, loss_first=losses[0], loss_last=losses[-1])
    return res


if __name__ == '__main__':
    import json
    print(json.dumps(run_overfit(), indent=1))
