"""Hooks of mmpose_track."""
import random

import numpy as np
import torch
from mmengine.hooks import Hook
from mmpose.registry import HOOKS


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save the Python, NumPy and torch random states in checkpoints and restore them on resume.

    MMEngine re-seeds at start-up but does not restore the generators' states, so augmentations
    drawn in the main process (``num_workers=0``) differ after a resume and a resumed run ends
    with other weights than an uninterrupted one. With this hook both end identical.
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        state = dict(python=random.getstate(), numpy=np.random.get_state(),
                     torch=torch.get_rng_state())
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint['random_state'] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('random_state')
        if not state or not getattr(runner, '_resume', False):
            return
        random.setstate(_as_python_state(state['python']))
        np.random.set_state(state['numpy'])
        torch.set_rng_state(state['torch'])
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state['cuda'])


def _as_python_state(state) -> tuple:
    """``random.setstate`` wants nested tuples; checkpoints may give lists back."""
    version, internal, gauss = state
    return version, tuple(internal), gauss
