"""tools/train.py, tools/test.py, resume and 2-process dist_train.sh on the tiny config (CPU)."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

import mmpose_track.register_all  # noqa: F401  (allow-lists our checkpoints' globals)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(REPO, 'configs', 'baseline', 'td-hm_res18-tiny_synthetic-128x96.py')


def _config(tmp_path, data_root: str, extra: str = '') -> str:
    """A child of the tiny config pointing at the test's synthetic data."""
    path = tmp_path / 'tiny_test_cfg.py'
    path.write_text(f"""
_base_ = [{TINY!r}]
data_root = {data_root!r}
train_dataloader = dict(batch_size=8, dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(
    data_root=data_root,
    bbox_file=data_root + 'annotations/posetrack18_val_human_detections.json'))
test_dataloader = val_dataloader
val_evaluator = dict(gt_dir=data_root + 'annotations/val/')
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=-1), logger=dict(interval=1))
{extra}
""")
    return str(path)


def _run(args, **kw):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, **kw)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc


def _train(cfg, work_dir, epochs, resume=None):
    args = [sys.executable, 'tools/train.py', cfg, '--work-dir', str(work_dir), '--cfg-options',
            f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={100}']
    if resume:
        args[3:3] = ['--resume', resume]
    return _run(args)


@pytest.mark.slow
def test_resumed_run_ends_with_same_weights(tmp_path, tiny_synthetic):
    cfg = _config(tmp_path, tiny_synthetic)
    _train(cfg, tmp_path / 'full', 3)
    _train(cfg, tmp_path / 'part', 1)
    assert not osp.exists(tmp_path / 'part' / 'epoch_2.pth')
    _train(cfg, tmp_path / 'part', 3, resume=str(tmp_path / 'part' / 'epoch_1.pth'))
    # the resume loaded with torch.load(weights_only=True) defaults: the checkpoint holds
    # numpy/HistoryBuffer globals only allowed by the plugin's allow-list
    full = torch.load(tmp_path / 'full' / 'epoch_3.pth', map_location='cpu')
    part = torch.load(tmp_path / 'part' / 'epoch_3.pth', map_location='cpu')
    assert full['meta']['epoch'] == part['meta']['epoch'] == 3
    assert full['state_dict'].keys() == part['state_dict'].keys()
    for key, value in full['state_dict'].items():
        assert torch.equal(value, part['state_dict'][key]), key
    # and the optimizer went through the same steps
    assert full['meta']['iter'] == part['meta']['iter']


@pytest.mark.slow
def test_resume_refuses_untrusted_pickles(tmp_path):
    class Evil:

        def __reduce__(self):
            return (os.system, ('echo pwned',))

    path = tmp_path / 'evil.pth'
    torch.save({'meta': {'x': Evil()}, 'state_dict': {}}, path)
    from mmengine.runner.checkpoint import _load_checkpoint
    with pytest.raises(Exception, match='Weights only load failed|Unsupported global'):
        _load_checkpoint(str(path), map_location='cpu')


@pytest.mark.slow
def test_dist_train_two_processes_agree(tmp_path, tiny_synthetic):
    extra = ("custom_imports = dict(imports=['mmpose_track.register_all', 'mmpose_track_test_hooks'],"
             " allow_failed_imports=False)\n"
             "custom_hooks = [dict(type='SyncBuffersHook'), dict(type='RandomStateHook'),"
             " dict(type='ParamChecksumHook')]\n")
    cfg = _config(tmp_path, tiny_synthetic, extra)
    work = tmp_path / 'dist'
    env_port = str(29500 + os.getpid() % 1000)
    env = dict(os.environ, PORT=env_port,
               PYTHONPATH=os.pathsep.join([REPO, osp.join(REPO, 'tests', 'helpers'),
                                           os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.run(['bash', 'tools/dist_train.sh', cfg, '2', '--work-dir', str(work),
                           '--cfg-options', 'train_cfg.max_epochs=1', 'train_cfg.val_interval=100'],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    assert osp.isfile(work / 'epoch_1.pth')
    sums = [json.load(open(work / f'checksum_rank{r}.json')) for r in (0, 1)]
    assert sums[0]['checksum'] == sums[1]['checksum']
    assert sums[0]['epoch'] == sums[1]['epoch'] == 1
    assert sums[0]['world_size'] == sums[1]['world_size'] == 2
    log = open(glob.glob(str(work / '*' / '*.log'))[0]).read()
    assert 'Distributed training: True' in log and 'GPU number: 2' in log  # mmengine's words
    assert "dist_cfg=dict(backend='gloo')" in log  # switched from NCCL by tools/train.py without CUDA
