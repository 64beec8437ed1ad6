"""Test (and track) with a model of mmpose_track (arguments as MMPose's ``tools/test.py``)."""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner


def parse_args():
    parser = argparse.ArgumentParser(description='Test a pose estimation/tracking model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save evaluation results and logs')
    parser.add_argument('--out', help='dump the metrics to this JSON/pickle file')
    parser.add_argument('--dump', help='dump the predictions to this pickle file')
    parser.add_argument(
        '--show-dir', help='draw the tracked frames (people coloured by track id) into '
        'DIR/<video_id>/<frame>.jpg; a relative DIR is under WORK_DIR/<timestamp>/')
    parser.add_argument('--show', action='store_true', help='display predictions')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings in the config, key=value pairs (xxx=yyy)')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
    cfg = Config.fromfile(args.config)
    from mmpose_track.utils import apply_tool_args
    cfg = apply_tool_args(cfg, args)
    cfg.load_from = args.checkpoint
    if args.dump is not None:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise ValueError('--dump must be a .pkl file')
        cfg.test_evaluator = list(cfg.test_evaluator) if isinstance(
            cfg.test_evaluator, (list, tuple)) else [cfg.test_evaluator]
        cfg.test_evaluator.append(dict(type='DumpResults', out_file_path=args.dump))
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    if args.out is not None:
        import mmengine
        mmengine.dump(metrics, args.out)
    return metrics


if __name__ == '__main__':
    main()
