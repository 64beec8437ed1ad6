"""Run MMPose transforms on every frame of a pair / clip with the same random draws."""
import random
from typing import List, Optional, Union

import numpy as np
import torch
from mmcv.transforms import BaseTransform, Compose
from mmpose.registry import TRANSFORMS


def get_rng_state() -> tuple:
    """States of Python's ``random``, NumPy's global generator and torch's CPU generator."""
    return random.getstate(), np.random.get_state(), torch.get_rng_state()


def set_rng_state(state: tuple):
    random.setstate(state[0])
    np.random.set_state(state[1])
    torch.set_rng_state(state[2])


@TRANSFORMS.register_module()
class ApplyToFrames(BaseTransform):
    """Apply ``transforms`` to each frame dict of ``results['frames']``, replaying the random state.

    The states of ``random``, ``np.random`` and ``torch`` are saved before the first frame and
    restored before every next one, so ``RandomFlip``, ``RandomBBoxTransform``,
    ``BottomupRandomAffine``, ``PhotometricDistortion``, ``Albumentation``... draw identical
    parameters for every frame (SciPy's ``truncnorm`` draws from ``np.random`` too). After the
    last frame the generators are left where the last frame left them.

    Valid when every frame makes the same sequence of draws: transforms whose draws depend on
    the data must see the same sizes in every frame, e.g. ``RandomBBoxTransform`` draws one set
    per box (same box count: true for top-down tubes, which crop every frame by one box), the
    affine centre depends on the image size (frames of one video share it). Transforms that
    use other data (``Mosaic``, ``YOLOXMixUp`` pick other samples) must not be inside.

    Args:
        transforms (list[dict | callable]): the per-frame pipeline.
        share_random_state (bool): replay the random state (default) or draw independently.

    Required keys: ``frames`` (list of dicts). Modified keys: ``frames`` (the transformed dicts).
    A frame whose pipeline returns ``None`` makes the whole sample ``None`` (MMEngine refetches
    another sample in training).
    """

    def __init__(self, transforms: List[Union[dict, callable]], share_random_state: bool = True):
        # build with MMPose's registry (works without a default scope too)
        self.pipeline = Compose(
            [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in transforms])
        self.share_random_state = share_random_state

    def transform(self, results: dict) -> Optional[dict]:
        frames = results.get('frames')
        if not isinstance(frames, (list, tuple)) or not frames:
            raise KeyError(f'{self.__class__.__name__} needs results["frames"], a non-empty list '
                           'of frame dicts (PoseTrack18PairDataset / PoseTrack18ClipDataset)')
        state = get_rng_state() if self.share_random_state else None
        out = []
        for i, frame in enumerate(frames):
            if state is not None and i > 0:
                set_rng_state(state)
            frame = self.pipeline(frame)
            if frame is None:
                return None
            out.append(frame)
        results['frames'] = out
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(transforms={self.pipeline!r}, '
                f'share_random_state={self.share_random_state})')
