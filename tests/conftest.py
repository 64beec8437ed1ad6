"""Shared fixtures: paths to the real sample data and a small synthetic PoseTrack18 set."""
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_DATA = os.environ.get(
    'MMPOSE_TRACK_TEST_DATA', osp.join(osp.dirname(REPO_ROOT), 'shared', 'data'))


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO_ROOT


@pytest.fixture(scope='session')
def shared_data() -> str:
    if not osp.isdir(SHARED_DATA):
        pytest.fail(f'real sample data not found at {SHARED_DATA}; set MMPOSE_TRACK_TEST_DATA')
    return SHARED_DATA


@pytest.fixture(scope='session')
def tiny_synthetic(tmp_path_factory) -> str:
    """A tiny synthetic PoseTrack18 set (2 train + 2 val videos of 6 frames), made once."""
    out = str(tmp_path_factory.mktemp('synthetic_posetrack18'))
    cmd = [sys.executable, osp.join(REPO_ROOT, 'tools', 'dataset_converters',
                                    'generate_synthetic_posetrack18.py'), '--out', out,
           '--seed', '1', '--videos', '2', '--val-videos', '2', '--frames', '6']
    subprocess.run(cmd, check=True, cwd=REPO_ROOT)
    return out + '/'
