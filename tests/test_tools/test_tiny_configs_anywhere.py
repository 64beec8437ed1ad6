"""The tiny synthetic configs work from any folder: building a tiny config's dataset where the
synthetic set is missing writes it (``generate_if_missing``), says so in the log, and writes the
very set ``tools/quickstart.sh`` generates; two processes racing to write it end with one set."""
import filecmp
import logging
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope

import mmpose_track.register_all  # noqa: F401
from mmpose_track.datasets.datasets import posetrack18_frame_dataset as frame_dataset

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_POSE = osp.join(REPO, 'configs', 'baseline', 'td-hm_res18-tiny_synthetic-128x96.py')
TINY_OGN = osp.join(REPO, 'configs', 'ogn', 'tiny', 'ogn-t1d_res18-tiny_synthetic-128x96.py')
TINY_MASK_RCNN = osp.join(REPO, 'configs', 'ogn', 'tiny', 'ogn-t4fair_mask-rcnn-tiny_synthetic.py')
SET = 'data/synthetic_posetrack18'


class _Records(logging.Handler):

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def log():
    handler = _Records()
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


def _build(cfg_file, which='train_dataloader'):
    cfg = Config.fromfile(cfg_file)
    scope = cfg.default_scope
    if scope == 'mmdet':
        from mmdet.registry import DATASETS
    else:
        from mmpose.registry import DATASETS
    with DefaultScope.overwrite_default_scope(scope):
        return DATASETS.build(cfg[which].dataset)


def _same_tree(a, b):
    cmp = filecmp.dircmp(a, b)
    assert not cmp.left_only and not cmp.right_only, (cmp.left_only, cmp.right_only)
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    assert not mismatch and not errors, (mismatch, errors)
    for sub in cmp.common_dirs:
        _same_tree(osp.join(a, sub), osp.join(b, sub))


def test_tiny_config_generates_the_quickstart_set(tmp_path, monkeypatch, log):
    monkeypatch.chdir(tmp_path)
    ds = _build(TINY_POSE)
    assert len(ds) > 0
    assert osp.isfile(osp.join(SET, 'annotations', 'posetrack18_train.json'))
    assert any('not found: generating the synthetic PoseTrack18 set' in m for m in log)
    assert any(m.startswith(f'wrote the synthetic PoseTrack18 set in {SET}') for m in log)
    assert [f for f in os.listdir('data') if f.startswith('.')] == []  # no temporary left
    # what tools/quickstart.sh runs when the set is absent: the same bytes
    subprocess.run([sys.executable, osp.join(REPO, 'tools', 'dataset_converters',
                                             'generate_synthetic_posetrack18.py'),
                    '--out', str(tmp_path / 'by_tool')], check=True, capture_output=True,
                   cwd=REPO)
    _same_tree(SET, str(tmp_path / 'by_tool'))
    # built again (the val set, the OGN row, the Mask R-CNN row): found, not rewritten
    log.clear()
    stamp = os.stat(osp.join(SET, 'meta.json')).st_mtime_ns
    _build(TINY_POSE, 'val_dataloader')
    _build(TINY_OGN)
    _build(TINY_MASK_RCNN)
    assert not any('synthetic' in m for m in log)
    assert os.stat(osp.join(SET, 'meta.json')).st_mtime_ns == stamp


def test_other_data_in_the_folder_is_never_overwritten(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.makedirs(SET)
    (tmp_path / SET / 'mine.txt').write_text('user data')
    with pytest.raises(FileNotFoundError, match='posetrack18_train.json not found.*not empty'):
        _build(TINY_OGN)
    assert os.listdir(SET) == ['mine.txt']


def test_racing_processes_end_with_one_set(tmp_path, monkeypatch, log):
    """Another rank renames its complete copy into place while this one generates: this one's
    rename fails, it uses the other's set and removes its own copy."""
    from mmpose_track.datasets import synthetic
    real = synthetic.generate_synthetic_posetrack18
    root = tmp_path / 'data' / 'synthetic_posetrack18'

    def generate_while_other_rank_finishes(out_dir, **kwargs):
        os.makedirs(root / 'annotations')
        (root / 'annotations' / 'posetrack18_train.json').write_text('{}')  # the other's set
        (root / 'meta.json').write_text('{}')
        return real(out_dir, num_videos=1, num_val_videos=1, num_frames=4, splits=('train', ))

    monkeypatch.setattr(synthetic, 'generate_synthetic_posetrack18',
                        generate_while_other_rank_finishes)
    wrote = frame_dataset.ensure_synthetic_posetrack18(
        str(root) + '/', 'annotations/posetrack18_train.json', dict(seed=0))
    assert wrote is False
    assert sorted(os.listdir(tmp_path / 'data')) == ['synthetic_posetrack18']
    assert (root / 'annotations' / 'posetrack18_train.json').read_text() == '{}'
    assert any('another process wrote the synthetic set first' in m for m in log)
