"""``tools/analysis_tools/fit_joint_thresholds.py CONFIG CHECKPOINT``: the tiny top-down baseline
tracks the held-out training videos of a synthetic set, and the thresholds it writes are those
that ``fit_joint_thresholds`` finds on the prediction folder it leaves."""
import importlib.util
import json
import os
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmpose_track.register_all  # noqa: F401
from mmpose_track.datasets.datasets.posetrack18_frame_dataset import split_holdout_videos
from mmpose_track.datasets.synthetic import generate_synthetic_posetrack18
from mmpose_track.evaluation.functional import (evaluate_posetrack_dirs, fit_joint_thresholds,
                                                load_gt_pred_dirs, load_joint_thresholds)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(REPO, 'configs', 'baseline', 'td-hm_res18-tiny_synthetic-128x96.py')
TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'fit_joint_thresholds.py')


def _tool():
    spec = importlib.util.spec_from_file_location('fit_tool_config', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    """A synthetic set of 4 training videos and a freshly initialised tiny model's checkpoint."""
    tmp = tmp_path_factory.mktemp('fit_cfg')
    root = str(tmp / 'set') + '/'
    generate_synthetic_posetrack18(root, seed=0, num_videos=4, num_frames=4, splits='train')
    cfg = Config.fromfile(TINY)
    init_default_scope('mmpose')
    from mmpose.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    ckpt = str(tmp / 'init.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    return tmp, root, ckpt


def test_tool_tracks_the_held_out_videos_and_fits(setup, capsys):
    tmp, root, ckpt = setup
    work, out = str(tmp / 'work'), str(tmp / 'thr.json')
    rc = _tool().main([TINY, ckpt, '--out', out, '--holdout', '2', '--seed', '1',
                       '--work-dir', work, '--cfg-options',
                       f'train_dataloader.dataset.data_root={root}'])
    assert rc == 0
    printed = capsys.readouterr().out
    gt_dir, pred_dir = osp.join(work, 'holdout_gt'), osp.join(work, 'holdout_predictions')
    # the held-out videos: 2 of the 4, by the documented rule
    videos = sorted(osp.splitext(n)[0] for n in os.listdir(osp.join(root, 'annotations', 'train')))
    held = split_holdout_videos(videos, 2, seed=1)[1]
    assert sorted(os.listdir(gt_dir)) == sorted(os.listdir(pred_dir)) == [
        f'{v}.json' for v in held]
    # their ground truth is the synthetic set's per-video file (split from the merged file)
    for v in held:
        mine = json.load(open(osp.join(gt_dir, f'{v}.json')))
        ref = json.load(open(osp.join(root, 'annotations', 'train', f'{v}.json')))
        assert mine['images'] == ref['images'] and mine['annotations'] == ref['annotations']
    # predictions written unthresholded: people of every frame carry their joint scores
    pred = json.load(open(osp.join(pred_dir, f'{held[0]}.json')))
    scores = np.concatenate([np.asarray(a['scores'], float) for a in pred['annotations']])
    assert scores.size and scores.min() < 0.05  # an untrained model: no threshold applied
    # the written thresholds are fit_joint_thresholds' on the prediction folder
    res = json.load(open(out))
    gts, prs = load_gt_pred_dirs(gt_dir, pred_dir)
    ref = fit_joint_thresholds(gts, prs)
    assert len(res['thresholds']) == 17 and load_joint_thresholds(out) == ref['thresholds']
    assert res['mota_fitted_total'] == pytest.approx(ref['mota_fitted_total'], abs=1e-9)
    reported = float(re.search(r'total MOTA at the fitted thresholds: (-?[\d.]+)', printed)[1])
    assert reported == pytest.approx(ref['mota_fitted_total'], abs=0.005)
    # independently: the written thresholds (COCO order) cut by hand in the prediction files
    # give the reported MOTA (what PoseTrackMetric(score_thr='thresholds.json') scores)
    cut = tmp / 'cut'
    cut.mkdir()
    thr = np.asarray(res['thresholds'])
    for v in held:
        data = json.load(open(osp.join(pred_dir, f'{v}.json')))
        for a in data['annotations']:
            for k in np.flatnonzero(np.asarray(a['scores']) < thr):
                a['keypoints'][3 * k:3 * k + 3] = [0, 0, 0]
        json.dump(data, open(cut / f'{v}.json', 'w'))
    mota = evaluate_posetrack_dirs(gt_dir, str(cut), hota=False)['MOTA']['Total']
    assert mota == pytest.approx(res['mota_fitted_total'], abs=1e-9)
    # and no single grid threshold does better
    totals = np.nanmean(np.asarray(res['mota'], float), 1)
    assert res['mota_fitted_total'] >= totals.max() - 1e-9

def test_bad_input_is_one_line(setup, capsys):
    tmp, root, ckpt = setup
    tool = _tool()
    common = ['--out', str(tmp / 'x.json'), '--work-dir', str(tmp / 'bad'), '--cfg-options',
              f'train_dataloader.dataset.data_root={root}']
    for argv, words in (([TINY, str(tmp / 'none.pth')] + common, 'none.pth'),
                        ([TINY, ckpt, '--holdout', '4'] + common, '[1, 3]'),
                        ([TINY, ckpt, '--holdout', '1.5'] + common, 'holdout')):
        capsys.readouterr()
        assert tool.main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith('error:') and words in err[0], err
