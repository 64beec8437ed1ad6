"""Runner set-up shared by ``tools/train.py`` and ``tools/test.py``, and module registration.

Light at import: MMEngine and torch are imported inside the functions.
"""
import datetime
import os
import os.path as osp
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from mmengine.config import Config


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register every mmpose_track module into the MMPose/MMDet/MMEngine registries.

    As MMPose's ``register_all_modules``: imports :mod:`mmpose_track.register_all` (codecs,
    datasets, transforms, models, metrics, hooks, loops, visualizers, trackers; checkpoint
    allow-list) and MMPose's own modules, then, with ``init_default_scope``, makes ``'mmpose'``
    the default scope (a new ``DefaultScope`` instance when another scope is current).

    Args:
        init_default_scope (bool): set the default scope to ``'mmpose'`` (default True).
    """
    from mmpose.utils import register_all_modules as register_mmpose
    register_mmpose(init_default_scope=False)
    import mmpose_track.register_all  # noqa: F401
    if not init_default_scope:
        return
    from mmengine.registry import DefaultScope
    never_created = (DefaultScope.get_current_instance() is None
                     or not DefaultScope.check_instance_created('mmpose'))
    if never_created:
        DefaultScope.get_instance('mmpose', scope_name='mmpose')
        return
    current_scope = DefaultScope.get_current_instance()
    if current_scope.scope_name != 'mmpose':
        warnings.warn('The current default scope '
                      f'"{current_scope.scope_name}" is not "mmpose", '
                      '`register_all_modules` will force the current '
                      'default scope to be "mmpose". If this is not '
                      'expected, please set `init_default_scope=False`.')
        new_instance_name = f'mmpose-{datetime.datetime.now()}'
        DefaultScope.get_instance(new_instance_name, scope_name='mmpose')


def apply_tool_args(cfg: 'Config', args) -> 'Config':
    """Merge the command-line arguments common to train and test into ``cfg`` (as MMPose does)."""
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if getattr(args, 'show_dir', None) is not None or getattr(args, 'show', False):
        use_tracking_visualization(cfg)
        hooks = cfg.get('default_hooks', {})
        if 'visualization' not in hooks:
            raise ValueError('--show/--show-dir need a `visualization` hook in default_hooks')
        vis = hooks.visualization
        mmdet_hook = str(vis.get('type', '')).endswith('DetVisualizationHook')
        vis['draw' if mmdet_hook else 'enable'] = True
        vis.show = getattr(args, 'show', False)
        if getattr(args, 'show_dir', None) is not None:
            vis['test_out_dir' if mmdet_hook else 'out_dir'] = args.show_dir
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    use_cpu_distributed(cfg)
    return cfg


def use_tracking_visualization(cfg: 'Config') -> None:
    """Draw tracked frames when ``cfg`` tests with a tracking loop.

    With ``PoseTrackTestLoop`` / ``PoseTrackValLoop`` the visualization hook receives tracked
    frames; make it :class:`~mmpose_track.engine.hooks.PoseTrackVisualizationHook` (one image per
    frame, ``<out_dir>/<video_id>/<frame>``) and the visualizer
    :class:`~mmpose_track.visualization.PoseTrackLocalVisualizer` (people coloured by track id),
    also in configs that run in MMDet's scope (the hook's ``interval`` and the visualizer's
    ``vis_backends`` and ``name`` are kept). Configs with other loops are left as they are.
    """
    loops = [str((cfg.get(k) or {}).get('type', '')) for k in ('test_cfg', 'val_cfg')]
    if not any(t.split('.')[-1] in ('PoseTrackTestLoop', 'PoseTrackValLoop') for t in loops):
        return
    prefix = '' if cfg.get('default_scope', 'mmpose') == 'mmpose' else 'mmpose.'
    hooks = cfg.setdefault('default_hooks', {})
    old = hooks.get('visualization') or {}
    hook = dict(type=prefix + 'PoseTrackVisualizationHook', enable=False,
                interval=old.get('interval', 50))
    if str(old.get('type', '')).split('.')[-1] in ('PoseVisualizationHook',
                                                    'PoseTrackVisualizationHook'):
        hook.update({k: v for k, v in old.items() if k != 'type'})
    hooks['visualization'] = hook
    vis = cfg.get('visualizer') or {}
    cfg.visualizer = dict(type=prefix + 'PoseTrackLocalVisualizer',
                          vis_backends=vis.get('vis_backends', [dict(type='LocalVisBackend')]),
                          name=vis.get('name', 'visualizer'))


def use_cpu_distributed(cfg: 'Config') -> None:
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
