"""Runner set-up shared by ``tools/train.py`` and ``tools/test.py``."""
import os
import os.path as osp

from mmengine.config import Config


def apply_tool_args(cfg: Config, args) -> Config:
    """Merge the command-line arguments common to train and test into ``cfg`` (as MMPose does)."""
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if getattr(args, 'show_dir', None) is not None or getattr(args, 'show', False):
        hooks = cfg.get('default_hooks', {})
        if 'visualization' not in hooks:
            raise ValueError('--show/--show-dir need a `visualization` hook in default_hooks')
        hooks.visualization.enable = True
        hooks.visualization.show = getattr(args, 'show', False)
        if getattr(args, 'show_dir', None) is not None:
            hooks.visualization.out_dir = args.show_dir
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    use_cpu_distributed(cfg)
    return cfg


def use_cpu_distributed(cfg: Config) -> None:
    """Make a distributed launch work without GPUs.

    MMEngine defaults to the NCCL backend and wraps the model in DDP with ``device_ids=[LOCAL_RANK]``;
    neither works on CPU. Without CUDA we switch to ``gloo`` and ``device_ids=None``, and initialise
    the process group ourselves because MMEngine's ``init_dist`` calls ``torch.cuda.set_device``.
    """
    import torch
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return
    cfg.setdefault('env_cfg', {})
    cfg.env_cfg.setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    import torch.distributed as dist
    if cfg.launcher == 'pytorch' and not dist.is_initialized():
        # torchrun / torch.distributed.launch set RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT.
        dist.init_process_group(backend='gloo')
    elif cfg.launcher == 'slurm' and not dist.is_initialized():
        from mmengine.dist.utils import _init_dist_slurm  # sets the env vars, then inits
        os.environ.setdefault('MASTER_PORT', '29500')
        _init_dist_slurm('gloo')
