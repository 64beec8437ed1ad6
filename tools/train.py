"""Train a model of mmpose_track (arguments as MMPose's ``tools/train.py``)."""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner


def parse_args():
    parser = argparse.ArgumentParser(description='Train a pose estimation/tracking model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or from the latest one in the work dir '
        'when no checkpoint is given')
    parser.add_argument('--amp', action='store_true', help='enable automatic mixed precision')
    parser.add_argument('--no-validate', action='store_true', help='skip validation during training')
    parser.add_argument('--auto-scale-lr', action='store_true', help='scale lr with the batch size')
    parser.add_argument('--show-dir', help='directory for visualised validation predictions')
    parser.add_argument('--show', action='store_true', help='display validation predictions')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings in the config, key=value pairs (xxx=yyy)')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
        help='job launcher')
    # torch.distributed.launch (used by mim) passes --local-rank; older versions --local_rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)  # imports mmpose_track through custom_imports
    from mmpose_track.utils import apply_tool_args
    cfg = apply_tool_args(cfg, args)
    if args.amp:
        from mmengine.optim import AmpOptimWrapper, OptimWrapper
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper not in (OptimWrapper, AmpOptimWrapper, 'OptimWrapper', 'AmpOptimWrapper'):
            raise ValueError(f'--amp needs OptimWrapper or AmpOptimWrapper, got {wrapper}')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise FileNotFoundError(f'--resume: checkpoint {args.resume} does not exist')
        cfg.resume = True
        cfg.load_from = args.resume
    if args.auto_scale_lr:
        cfg.setdefault('auto_scale_lr', {})['enable'] = True
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
