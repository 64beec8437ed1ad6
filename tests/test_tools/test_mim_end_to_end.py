"""`mim train` / `mim test` of the installed package on the tiny config, with tracking and the
PoseTrack metric, and a 2-rank `dist_test.sh` that keeps videos whole and scores the same."""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(REPO, 'configs', 'baseline', 'td-hm_res18-tiny_synthetic-128x96.py')


def _run(args, cwd=REPO, **env):
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=900,
                          env=dict(os.environ, **env))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def trained(tmp_path_factory, tiny_synthetic):
    work = tmp_path_factory.mktemp('mim')
    cfg = work / 'tiny_cfg.py'
    cfg.write_text(f"""
_base_ = [{TINY!r}]
data_root = {tiny_synthetic!r}
train_dataloader = dict(batch_size=8, dataset=dict(data_root=data_root))
val_dataloader = dict(batch_size=4, dataset=dict(
    data_root=data_root,
    bbox_file=data_root + 'annotations/posetrack18_val_human_detections.json'))
test_dataloader = val_dataloader
val_evaluator = dict(gt_dir=data_root + 'annotations/val/')
test_evaluator = dict(gt_dir=data_root + 'annotations/val/', score_thr=None, out_dir={str(work / 'preds')!r})
""")
    _run([sys.executable, '-m', 'mim', 'train', 'mmpose_track', str(cfg), '--work-dir',
          str(work), '--cfg-options', 'train_cfg.max_epochs=2', 'train_cfg.val_interval=100'])
    assert osp.isfile(work / 'epoch_2.pth')
    return cfg, work


@pytest.mark.slow
def test_mim_test_prints_ap_mota_hota(trained, tiny_synthetic):
    cfg, work = trained
    log = _run([sys.executable, '-m', 'mim', 'test', 'mmpose_track', str(cfg), '--checkpoint',
                str(work / 'epoch_2.pth'), '--work-dir', str(work), '--out',
                str(work / 'single.json')])
    for name in ('AP', 'MOTA', 'HOTA'):
        assert re.search(rf'posetrack/{name}: -?\d+\.\d+', log), name
    assert 'Average Precision (AP) metric' in log and 'MOTA' in log
    metrics = json.load(open(work / 'single.json'))
    # the metric wrote one submittable PoseTrack18 file per ground-truth video
    gt_dir = osp.join(tiny_synthetic, 'annotations', 'val')
    gt_videos = sorted(os.listdir(gt_dir))
    assert sorted(os.listdir(work / 'preds')) == gt_videos
    pred = json.load(open(work / 'preds' / gt_videos[0]))
    ids = [a['track_id'] for a in pred['annotations']]
    assert ids and all(isinstance(i, int) and 0 <= i < 10000 for i in ids)
    # and the numbers the test loop printed are those of the files it wrote, scored by the
    # stand-alone evaluator (the official numbers, tested against poseval elsewhere)
    _run([sys.executable, 'tools/eval_posetrack.py', gt_dir, str(work / 'preds'), '--out',
          str(work / 'rescored.json'), '--no-hota'])
    rescored = json.load(open(work / 'rescored.json'))
    assert metrics['posetrack/AP'] == pytest.approx(rescored['AP']['Total'], abs=1e-6)
    assert metrics['posetrack/MOTA'] == pytest.approx(rescored['MOTA']['Total'], abs=1e-6)


@pytest.mark.slow
def test_two_rank_dist_test_scores_like_one_rank(trained):
    cfg, work = trained
    # Same numerics in both runs: batch size 1 (batched CPU convolutions differ in the last bits
    # with the batch's content) and one thread (torchrun sets OMP_NUM_THREADS=1), so that only
    # the rank split is under test; a 2-epoch model's flat heatmaps turn last bits into pixels.
    opts = ['--cfg-options', 'test_dataloader.batch_size=1']
    _run([sys.executable, '-m', 'mim', 'test', 'mmpose_track', str(cfg), '--checkpoint',
          str(work / 'epoch_2.pth'), '--work-dir', str(work / 'one'), '--out',
          str(work / 'one.json')] + opts, OMP_NUM_THREADS='1')
    _run(['bash', 'tools/dist_test.sh', str(cfg), str(work / 'epoch_2.pth'), '2', '--work-dir',
          str(work / 'two'), '--out', str(work / 'two.json')] + opts,
         PORT=str(29600 + os.getpid() % 1000))
    one, two = (json.load(open(work / f'{n}.json')) for n in ('one', 'two'))
    assert one.keys() == two.keys()
    for key in one:  # each rank tracked whole videos: identical AP, MOTA and HOTA
        assert two[key] == pytest.approx(one[key], abs=1e-6), key


@pytest.mark.slow
def test_mim_train_finds_config_by_file_name_without_data(tmp_path):
    """`mim train mmpose_track NAME.py` looks the config up inside the installed package, and
    where its data root holds no data the tiny config writes the synthetic set first (a small one
    here: options of ``generate_if_missing``) and says so in the log. (The run starts in the
    repository: mim finds an editable install's configs only from there.)"""
    root = tmp_path / 'fresh' / 'synthetic_posetrack18'
    work = tmp_path / 'work'
    _run([sys.executable, '-m', 'mim', 'train', 'mmpose_track',
          'td-hm_res18-tiny_synthetic-128x96.py', '--work-dir', str(work), '--no-validate',
          '--cfg-options', 'train_cfg.max_epochs=1', 'train_cfg.val_interval=100',
          f'train_dataloader.dataset.data_root={root}/',
          'train_dataloader.dataset.generate_if_missing.num_videos=1',
          'train_dataloader.dataset.generate_if_missing.num_val_videos=1',
          'train_dataloader.dataset.generate_if_missing.num_frames=8'])
    assert osp.isfile(work / 'epoch_1.pth')
    assert osp.isfile(root / 'annotations' / 'posetrack18_train.json')
    log = open(max(work.glob('*/*.log'))).read()
    assert 'not found: generating the synthetic PoseTrack18 set' in log
    assert f'wrote the synthetic PoseTrack18 set in {root}/' in log
    # the config that ran is the packaged copy (mmpose_track/.mim/configs/...)
    dumped = open(work / 'td-hm_res18-tiny_synthetic-128x96.py').read()
    assert "type='PoseTrackTestLoop'" in dumped
    from mmengine.config import Config
    ran = Config.fromfile(str(work / 'td-hm_res18-tiny_synthetic-128x96.py'))
    assert ran.train_dataloader.dataset.generate_if_missing == dict(
        seed=0, num_videos=1, num_val_videos=1, num_frames=8)  # the config's seed, our sizes
