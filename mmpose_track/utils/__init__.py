"""Runner set-up helpers. Light at import (no torch): ``register_checkpoint_safe_globals`` loads
on first access."""
from .cli import fail_in_one_line
from .setup_env import apply_tool_args, register_all_modules, use_cpu_distributed

from mmpose_track.lazy import lazy_exports

__getattr__, __dir__, _lazy_all = lazy_exports(
    __name__, names={'register_checkpoint_safe_globals': 'checkpoint'})
__all__ = ['apply_tool_args', 'use_cpu_distributed', 'register_all_modules',
           'fail_in_one_line', *_lazy_all]
