from .checkpoint import register_checkpoint_safe_globals
from .setup_env import apply_tool_args, use_cpu_distributed

register_checkpoint_safe_globals()

__all__ = ['apply_tool_args', 'use_cpu_distributed', 'register_checkpoint_safe_globals']
