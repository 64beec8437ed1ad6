#!/usr/bin/env python
"""The step-size trade-off of clip tracking (Wang et al. 2020, Fig. 5b): time per frame and
AP / MOTA when keyframes come every S frames.

    python benchmarks/bench_clip_step_size.py CONFIG CHECKPOINT [--steps 1 2 4 8]
        [--bbox-file DETS.json] [--box-thr 0.5] [--work-dir DIR] [--threads 2]
        [--cfg-options k=v ...]

For every S the config's test loop (``PoseTrackTestLoop`` with ``tubes=``: tubes of the keyframe
detections through the 3D HRNet, then the video pipeline) runs on the test videos with
``test_dataloader.dataset.keyframe_step=S``. Reported per S: the number of tubes, the wall time of
the whole test (data loading, network, sewing and merging, evaluation) divided by the number of
video frames, and ``posetrack/AP``, ``MOTA``, ``BoxRecall``. The person detector is not timed
here (boxes come from ``--bbox-file`` or the config's): it runs on the keyframes only, so its
cost per frame is its cost per image divided by S (``tools/detect_people.py`` prints it).
"""
import argparse
import os
import os.path as osp
import sys
import tempfile
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--steps', type=int, nargs='+', default=[1, 2, 4, 8])
    p.add_argument('--bbox-file', help='person detections of the test frames')
    p.add_argument('--box-thr', type=float, help='detection score a box needs to be a tube')
    p.add_argument('--work-dir', default=None)
    p.add_argument('--threads', type=int, default=2, help='torch threads')
    p.add_argument('--cfg-options', nargs='+', default=[])
    args = p.parse_args(argv)

    import torch
    from mmengine.config import Config, DictAction
    from mmengine.runner import Runner
    from mmpose_track.utils import register_all_modules
    torch.set_num_threads(args.threads)
    register_all_modules(init_default_scope=True)
    work = args.work_dir or tempfile.mkdtemp(prefix='bench_clip_step_')
    opts = {}
    if args.cfg_options:
        ns = argparse.Namespace()
        DictAction(option_strings=[], dest='o')(None, ns, args.cfg_options)
        opts = ns.o
    rows = []
    for step in args.steps:
        cfg = Config.fromfile(args.config)
        cfg.merge_from_dict(opts)
        cfg.load_from = args.checkpoint
        cfg.work_dir = osp.join(work, f's{step}')
        ds_opts = {'test_dataloader.dataset.keyframe_step': step}
        if args.bbox_file:
            ds_opts['test_dataloader.dataset.bbox_file'] = args.bbox_file
        if args.box_thr is not None:
            ds_opts['test_dataloader.dataset.filter_cfg.bbox_score_thr'] = args.box_thr
        cfg.merge_from_dict(ds_opts)
        cfg.default_hooks.logger = dict(type='LoggerHook', interval=10 ** 6)
        runner = Runner.from_cfg(cfg)
        dataset = runner.test_dataloader.dataset
        num_frames = len(dataset.frames)
        t0 = time.perf_counter()
        metrics = runner.test()
        dt = time.perf_counter() - t0
        rows.append((step, len(dataset), num_frames, 1e3 * dt / max(num_frames, 1), metrics))
    print(f'\n{"S":>3s} {"tubes":>6s} {"frames":>6s} {"ms/frame":>9s} {"AP":>6s} {"MOTA":>6s} '
          f'{"BoxRec":>6s}')
    for step, tubes, frames, ms, m in rows:
        vals = ' '.join(f'{m.get(f"posetrack/{k}", float("nan")):6.2f}'
                        for k in ('AP', 'MOTA', 'BoxRecall'))
        print(f'{step:3d} {tubes:6d} {frames:6d} {ms:9.1f} {vals}')
    return rows


if __name__ == '__main__':
    os.environ.setdefault('OMP_NUM_THREADS', '2')
    main()
