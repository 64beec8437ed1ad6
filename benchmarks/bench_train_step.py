#!/usr/bin/env python
"""Training step time and peak memory of any config (MMPose estimator or MMDet detector), on the
embedded synthetic set, without downloads: pretrained weights and ``load_from`` are switched off.

    python tools/dataset_converters/generate_synthetic_posetrack18.py --out data/synthetic_posetrack18
    python benchmarks/bench_train_step.py configs/ogn/ogn-t1l_res152-s8-gbg_posetrack18-512x384.py \\
        --iters 30 --warmup 10 [--batch-size 32] [--amp]
    python benchmarks/bench_train_step.py configs/detectors/faster-rcnn_r101_fpn_person_posetrack18.py
    python benchmarks/bench_train_step.py \\
        configs/st_embed/st-embed-s2_spatialnet-hg4-pgg_coco-posetrack18-512x512.py --amp

ST-Embed's COCO / COCO + PoseTrack18 mixtures are timed on the synthetic PoseTrack18 frames with
the same pipeline (``benchmarks/st_embed_device_checks.sh`` runs every ST-Embed GPU check).

It runs MMEngine's ``Runner`` with an ``IterBasedTrainLoop`` of ``warmup + iters`` iterations and
a constant learning rate, and prints the mean and median step time of the last ``iters`` steps
(data loading included, as MMEngine's ``time``), and the peak CUDA memory (allocated and
reserved) when on a GPU. A figure for the issue notes, not a test.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import time

from mmengine.config import DictAction

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('--data-root', default='data/synthetic_posetrack18/')
    p.add_argument('--iters', type=int, default=20, help='timed iterations')
    p.add_argument('--warmup', type=int, default=5, help='untimed first iterations')
    p.add_argument('--batch-size', type=int, default=None, help='per GPU (default: the config)')
    p.add_argument('--workers', type=int, default=None, help='dataloader workers')
    p.add_argument('--amp', action='store_true', help='automatic mixed precision')
    p.add_argument('--amp-dtype', default='bfloat16', choices=['bfloat16', 'float16'],
                   help='autocast dtype with --amp (default bfloat16)')
    p.add_argument('--work-dir', default='work_dirs/bench_train_step')
    p.add_argument('--out', default=None, help='write the figures as JSON')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                   help='key=value overrides')
    return p.parse_args(argv)


def _no_downloads(cfg) -> None:
    """Pretrained backbones and ``load_from`` would download: switch them off everywhere."""
    cfg.load_from = None

    def strip(node):
        if isinstance(node, dict):
            if node.get('type') == 'Pretrained':
                return None
            return {k: strip(v) for k, v in node.items()}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    cfg.model = strip(cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') else cfg.model)


def _point_at(cfg, data_root: str) -> None:
    root = osp.abspath(data_root).rstrip('/') + '/'
    ds = cfg.train_dataloader.dataset
    if ds.get('type') == 'CombinedDataset':
        # ST-Embed's COCO (+ PoseTrack18) mixtures: time the same pipeline on the synthetic
        # PoseTrack18 frames (PoseTrack18's 17-joint layout, what the converters produce)
        cfg.train_dataloader.dataset = ds = dict(
            type='PoseTrack18FrameDataset', data_mode='bottomup', data_root=root,
            ann_file='annotations/posetrack18_train.json', data_prefix=dict(img=''),
            pipeline=ds.pipeline)
    ds['data_root'] = root
    for t in ds.get('pipeline', []):
        if t.get('type') == 'MixDetectedBoxes':
            t['bbox_file'] = root + 'annotations/posetrack18_train_human_detections.json'


def main(argv=None):
    args = parse_args(argv)
    import torch
    from mmengine.config import Config
    from mmengine.hooks import Hook
    from mmengine.runner import Runner

    import mmpose_track.register_all  # noqa: F401  (registers the plugin)

    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    _no_downloads(cfg)
    _point_at(cfg, args.data_root)
    total = args.warmup + args.iters
    cfg.work_dir = args.work_dir
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=total, val_interval=total + 1)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10**9, save_last=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=max(1, total // 5))
    cfg.log_processor = dict(by_epoch=False)
    cfg.train_dataloader.sampler = dict(type='InfiniteSampler', shuffle=True)
    cfg.train_dataloader.pop('batch_sampler', None)
    if args.batch_size:
        cfg.train_dataloader.batch_size = args.batch_size
    if args.workers is not None:
        cfg.train_dataloader.num_workers = args.workers
        cfg.train_dataloader.persistent_workers = args.workers > 0
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
        cfg.optim_wrapper.dtype = args.amp_dtype

    times = []

    class StepTimer(Hook):
        def before_train_iter(self, runner, batch_idx, data_batch=None):
            self.t0 = time.perf_counter()

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            if runner.iter >= args.warmup:
                times.append(time.perf_counter() - self.t0)

    runner = Runner.from_cfg(cfg)
    runner.register_hook(StepTimer(), priority='LOWEST')
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    runner.train()
    res = dict(config=osp.relpath(args.config, ROOT), batch_size=cfg.train_dataloader.batch_size,
               iters=len(times), amp=args.amp and args.amp_dtype,
               step_s_mean=statistics.mean(times) if times else None,
               step_s_median=statistics.median(times) if times else None,
               device=torch.cuda.get_device_name() if torch.cuda.is_available() else 'cpu')
    if torch.cuda.is_available():
        res['peak_allocated_gib'] = torch.cuda.max_memory_allocated() / 2**30
        res['peak_reserved_gib'] = torch.cuda.max_memory_reserved() / 2**30
    print(json.dumps(res, indent=1))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        json.dump(res, open(args.out, 'w'), indent=1)
    return res


if __name__ == '__main__':
    main()
