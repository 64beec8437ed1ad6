"""Fixture ``F``: ``mmpose_track.evaluation.functional`` (no torch/mmpose)."""
import pytest

from .pt_helpers import load_functional


@pytest.fixture(scope='session')
def F():
    return load_functional()
