"""Test helper hook: each rank writes a checksum of its model parameters at the end of training."""
import json
import os.path as osp

import torch
from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpose.registry import HOOKS


@HOOKS.register_module()
class ParamChecksumHook(Hook):

    def after_run(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        with torch.no_grad():
            total = sum(float(p.double().sum()) for p in model.state_dict().values()
                        if p.dtype.is_floating_point)
        with open(osp.join(runner.work_dir, f'checksum_rank{get_rank()}.json'), 'w') as f:
            json.dump(dict(rank=get_rank(), world_size=get_world_size(), checksum=total,
                           epoch=runner.epoch), f)
