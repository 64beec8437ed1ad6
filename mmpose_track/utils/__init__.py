"""Runner set-up helpers. Light at import (no torch): ``register_checkpoint_safe_globals`` loads
on first access."""
from .setup_env import apply_tool_args, register_all_modules, use_cpu_distributed

__all__ = ['apply_tool_args', 'use_cpu_distributed', 'register_all_modules',
           'register_checkpoint_safe_globals']


def __getattr__(name: str):
    if name == 'register_checkpoint_safe_globals':
        from .checkpoint import register_checkpoint_safe_globals
        return register_checkpoint_safe_globals
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
