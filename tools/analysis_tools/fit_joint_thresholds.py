#!/usr/bin/env python
"""Fit per-joint score thresholds that maximise MOTA on tracked predictions (clip tracking,
Wang et al. 2020, Sec. 4.1), for any method.

    python tools/analysis_tools/fit_joint_thresholds.py GT_DIR PRED_DIR --out thresholds.json
        [--grid 0 0.05 ... 0.95] [--strict]

    python tools/analysis_tools/fit_joint_thresholds.py CONFIG CHECKPOINT --out thresholds.json
        [--holdout 0.25] [--seed 0] [--bbox-file DETS.json] [--gt-dir DIR] [--work-dir DIR]
        [--cfg-options KEY=VALUE ...] [--grid ...] [--strict]

GT_DIR / PRED_DIR: PoseTrack18 files, one per video, as ``tools/eval_posetrack.py`` reads them;
the predictions must be written without a score threshold (``PoseTrackMetric(score_thr=None,
out_dir=...)``) on videos held out of training.

CONFIG CHECKPOINT (the first argument ends in ``.py``): the thresholds are "learned on a hold out
set of the training set". The tool reads the videos of the config's *training* annotation
(``train_dataloader.dataset``'s ``ann_file``, ``data_root``, ``data_prefix``) that
``video_split=dict(holdout=HOLDOUT, part='holdout', seed=SEED)`` holds out, runs the model of
CHECKPOINT on them with the config's test pipeline and test loop (``PoseTrackTestLoop``: tracking),
writes the tracked predictions unthresholded to ``WORK_DIR/holdout_predictions/`` and the
held-out videos' ground truth to ``WORK_DIR/holdout_gt/`` (both folders are recreated), then fits.
Train the model without these videos: set the same split with ``part='train'`` in the training
config, ``train_dataloader.dataset.video_split=dict(holdout=0.25, part='train', seed=0)``; when the
config sets it, ``--holdout`` and ``--seed`` default to its values. People come from the
ground-truth boxes unless ``--bbox-file`` gives person detections of the training images (the
test configs' detection files cover the validation set only). The held-out ground truth comes from
``--gt-dir`` (per-video files ``<video>.json``), else from the training annotation (its
``<video>.json`` files when it is a folder, else the merged file split by video).

The output JSON holds ``thresholds`` (17, PoseTrack18 COCO order) that
``PoseTrackMetric(score_thr='thresholds.json')`` applies, the MOTA table over the grid and the MOTA
at the fitted thresholds. Bad input ends with a one-line error and exit code 2.
"""
import argparse
import copy
import json
import math
import os
import os.path as osp
import shutil
import sys
from typing import List, Optional, Sequence, Union

from mmpose_track.evaluation.functional import (PoseTrackFormatError, fit_joint_thresholds,
                                                load_gt_pred_dirs)

_ERRORS = (OSError, ValueError, KeyError, TypeError, PoseTrackFormatError)


def _clean(obj):
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return None if isinstance(obj, float) and math.isnan(obj) else obj


def _holdout(text: str) -> Union[int, float]:
    """``--holdout``: an int number of videos (``2``) or a fraction (``0.25``)."""
    try:
        return int(text)
    except ValueError:
        return float(text)


def _add_fit_args(p: argparse.ArgumentParser) -> None:
    p.add_argument('--out', required=True, help='thresholds JSON to write')
    p.add_argument('--grid', type=float, nargs='+', help='thresholds to try (default 0..0.95)')
    p.add_argument('--strict', action='store_true', help='corrected MOTA counting')


def _dirs_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('gt_dir', help='ground-truth PoseTrack18 files of the held-out videos')
    p.add_argument('pred_dir', help='their tracked predictions, written without a threshold')
    _add_fit_args(p)
    return p


def _config_parser() -> argparse.ArgumentParser:
    from mmengine.config import DictAction
    p = argparse.ArgumentParser(
        description='Track the held-out training videos with a config and checkpoint, then fit '
        'per-joint score thresholds for MOTA')
    p.add_argument('config', help='config file (its test pipeline and test loop are used)')
    p.add_argument('checkpoint', help='checkpoint of a model trained without the held-out videos')
    _add_fit_args(p)
    p.add_argument('--holdout', type=_holdout, default=None,
                   help='held-out videos of the training annotation: a fraction in (0, 1) or an '
                   'int number of videos (default: train_dataloader.dataset.video_split\'s, '
                   'else 0.25)')
    p.add_argument('--seed', type=int, default=None,
                   help='seed of the split (default: the config\'s video_split seed, else 0)')
    p.add_argument('--bbox-file', default=None,
                   help='COCO-style person detections covering the training images (top-down); '
                   'default: none, the ground-truth boxes are used')
    p.add_argument('--gt-dir', default=None,
                   help='folder of per-video ground-truth files <video>.json of the training '
                   'set (default: taken from the training annotation)')
    p.add_argument('--work-dir', help='folder of the logs, holdout_gt/ and holdout_predictions/ '
                   '(default: ./work_dirs/<config name>)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override settings in the config, key=value pairs (xxx=yyy)')
    return p


def _posetrack_train_dataset(cfg) -> dict:
    """The PoseTrack18 dataset config of ``train_dataloader`` (through ``dataset`` wrappers)."""
    ds = cfg.get('train_dataloader', {}).get('dataset')
    while isinstance(ds, dict) and 'dataset' in ds and 'ann_file' not in ds:
        ds = ds['dataset']  # RepeatDataset, ClassBalancedDataset...
    if isinstance(ds, dict) and 'datasets' in ds:
        found = [d for d in ds['datasets'] if 'PoseTrack18' in str(d.get('type', ''))]
        if len(found) != 1:
            raise ValueError(f'train_dataloader.dataset combines {len(ds["datasets"])} datasets, '
                             f'{len(found)} of them PoseTrack18: cannot tell which to hold out')
        ds = found[0]
    if not isinstance(ds, dict) or not ds.get('ann_file'):
        raise ValueError('the config has no train_dataloader.dataset with an ann_file to hold '
                         'videos out of')
    return ds


def _holdout_args(args, train_ds: dict) -> dict:
    """``video_split`` of the held-out part: the options, else the training config's split."""
    cfg_split = train_ds.get('video_split') or {}
    holdout = args.holdout if args.holdout is not None else cfg_split.get('holdout', 0.25)
    seed = args.seed if args.seed is not None else cfg_split.get('seed', 0)
    if cfg_split and (holdout, seed) != (cfg_split.get('holdout'), cfg_split.get('seed', 0)):
        print(f'warning: the config trains with video_split={dict(cfg_split)}, the thresholds '
              f'are fitted on holdout={holdout}, seed={seed}', file=sys.stderr)
    return dict(holdout=holdout, part='holdout', seed=seed)


def _configure(cfg, args, work_dir: str, gt_dir: str, pred_dir: str) -> None:
    """Point the test dataloader at the held-out training videos and the evaluator at
    ``gt_dir`` / ``pred_dir`` (no threshold)."""
    train_ds = _posetrack_train_dataset(cfg)
    test_ds = cfg.get('test_dataloader', {}).get('dataset')
    if not isinstance(test_ds, dict) or 'pipeline' not in test_ds:
        raise ValueError('the config has no test_dataloader.dataset with a pipeline')
    ds = copy.deepcopy(test_ds)
    for key in ('ann_file', 'data_root', 'data_prefix', 'generate_if_missing'):
        ds.pop(key, None)
        if key in train_ds:
            ds[key] = copy.deepcopy(train_ds[key])
    ds.pop('indices', None)
    ds.update(bbox_file=args.bbox_file, test_mode=True,
              video_split=_holdout_args(args, train_ds))
    cfg.test_dataloader = copy.deepcopy(cfg.test_dataloader)  # may be val_dataloader's dict
    cfg.test_dataloader.dataset = ds
    prefix = '' if cfg.get('default_scope', 'mmpose') == 'mmpose' else 'mmpose.'
    cfg.test_evaluator = dict(type=prefix + 'PoseTrackMetric', gt_dir=gt_dir, out_dir=pred_dir,
                              score_thr=None, strict=args.strict, hota=False)
    cfg.work_dir = work_dir
    cfg.load_from = args.checkpoint
    cfg.resume = False
    cfg.launcher = 'none'


def write_holdout_gt(videos: Sequence[str], ann_file: str, out_dir: str,
                     gt_dir: Optional[str] = None) -> List[str]:
    """Write the ground truth of ``videos`` as ``<out_dir>/<video>.json``, one file per video.

    Args:
        videos: the held-out video ids (the dataset's ``video_id``).
        ann_file: the training annotation: a merged file (split by video as
            ``PoseTrackMetric(ann_file=...)`` does) or a folder of ``<video>.json`` files.
        out_dir: the folder to fill (created).
        gt_dir: a folder of per-video files ``<video>.json`` to copy from instead.

    Returns:
        The written paths.

    Raises:
        FileNotFoundError / ValueError: a video without ground truth (one line naming it).
    """
    from mmpose_track.evaluation.functional import split_merged_annotations
    from mmpose_track.structures.posetrack18_format import read_json
    os.makedirs(out_dir, exist_ok=True)
    src = gt_dir if gt_dir is not None else ann_file
    paths = []
    if osp.isdir(src):
        for v in videos:
            path = osp.join(src, f'{v}.json')
            if not osp.isfile(path):
                raise FileNotFoundError(f'no ground-truth file {path} for held-out video {v!r} '
                                        f'(give --gt-dir, the folder of per-video files)')
            paths.append(shutil.copyfile(path, osp.join(out_dir, f'{v}.json')))
        return paths
    per_video = split_merged_annotations(read_json(src, 'training annotation file'))
    for v in videos:
        if v not in per_video:
            raise ValueError(f'{src}: no image of held-out video {v!r} (videos are named after '
                             f'the folder of file_name; give --gt-dir)')
        paths.append(osp.join(out_dir, f'{v}.json'))
        with open(paths[-1], 'w') as f:
            json.dump(per_video[v], f)
    return paths


def _fit_and_write(gt_dir: str, pred_dir: str, args) -> dict:
    gts, prs = load_gt_pred_dirs(gt_dir, pred_dir)
    res = fit_joint_thresholds(gts, prs, grid=args.grid, strict=args.strict)
    with open(args.out, 'w') as f:
        json.dump(_clean(res), f, indent=1)
    print('joint           threshold    MOTA')
    for name, thr, mota in zip(res['joints'], res['poseval_thresholds'], res['mota_fitted']):
        print(f'{name:15s} {thr:9.2f} {mota:7.2f}')
    if res.get('search') == 'uniform':
        print('one threshold for all joints beats the per-joint choice (poseval counts a frame '
              'left without people for every joint)')
    print(f'total MOTA at the fitted thresholds: {res["mota_fitted_total"]:.2f}; '
          f'written to {args.out}')
    return res


def _main_config(argv: List[str]) -> int:
    args = _config_parser().parse_args(argv)
    from mmengine.config import Config
    from mmengine.runner import Runner
    try:
        if not osp.isfile(args.checkpoint):
            raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
        cfg = Config.fromfile(args.config)
        if args.cfg_options is not None:
            cfg.merge_from_dict(args.cfg_options)
        work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
            './work_dirs', osp.splitext(osp.basename(args.config))[0])
        gt_dir = osp.abspath(osp.join(work_dir, 'holdout_gt'))
        pred_dir = osp.abspath(osp.join(work_dir, 'holdout_predictions'))
        for d in (gt_dir, pred_dir):
            shutil.rmtree(d, ignore_errors=True)
        _configure(cfg, args, work_dir, gt_dir, pred_dir)
        runner = Runner.from_cfg(cfg)
        dataset = runner.test_loop.dataloader.dataset  # builds the loop: the held-out videos
        videos = sorted({f['video_id'] for f in dataset.frames})
        write_holdout_gt(videos, dataset.ann_file, gt_dir, args.gt_dir)
    except _ERRORS as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    print(f'tracking {len(videos)} held-out training videos: {", ".join(videos)}')
    runner.test()
    try:
        _fit_and_write(gt_dir, pred_dir, args)
    except _ERRORS as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    print(f'held-out ground truth in {gt_dir}, predictions in {pred_dir}')
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0].endswith('.py'):
        return _main_config(argv)
    args = _dirs_parser().parse_args(argv)
    try:
        _fit_and_write(args.gt_dir, args.pred_dir, args)
    except (OSError, ValueError, PoseTrackFormatError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
