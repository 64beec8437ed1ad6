"""The clip tracking video pipeline inside the test loop, end to end on the tiny synthetic set:
PoseTrack18ClipDataset tubes of the detections of every S-th frame -> the tiny 3D HRNet ->
ClipTrackingStream -> PoseTrackMetric, with the tiny configs as they are."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.evaluator import BaseMetric
from mmengine.runner import Runner

from mmpose_track.datasets.datasets import PoseTrack18ClipDataset
from mmpose_track.structures.posetrack18_format import read_json
from mmpose_track.utils import register_all_modules

register_all_modules(init_default_scope=False)
TINY = 'configs/clip_tracking/tiny/'
S2 = TINY + 'clip-s2_hrnet3d-tiny-t3_synthetic-128x96.py'


class _Frames(BaseMetric):
    """Records the tracked frames the loop hands to the evaluator."""
    default_prefix = 'frames'

    def process(self, data_batch, data_samples):
        for s in data_samples:
            p = s['pred_instances']
            self.results.append((s['video_id'], int(s['frame_idx']), p['track_ids'].tolist(),
                                 p['keypoints'].shape, p['bboxes'].shape))

    def compute_metrics(self, results):
        self.seen = list(results)
        return dict(count=len(results))


def _cfg(repo_root, root, tmp_path, config=S2, **dataset):
    cfg = Config.fromfile(osp.join(repo_root, config))
    cfg.load_from = None
    cfg.work_dir = str(tmp_path)
    cfg.test_dataloader.dataset.update(
        data_root=root, bbox_file=root + 'annotations/posetrack18_val_human_detections.json',
        **dataset)
    cfg.test_evaluator = dict(type='PoseTrackMetric', gt_dir=root + 'annotations/val/')
    cfg.log_level = 'WARNING'
    return cfg


@pytest.mark.parametrize('step', [1, 2])
def test_loop_tracks_every_covered_frame(repo_root, tiny_synthetic, tmp_path, step):
    root = tiny_synthetic
    cfg = _cfg(repo_root, root, tmp_path, keyframe_step=step)
    frames_metric = _Frames()
    cfg.test_evaluator = [cfg.test_evaluator]
    runner = Runner.from_cfg(cfg)
    runner.test_evaluator.metrics.append(frames_metric)
    metrics = runner.test()
    ds = runner.test_dataloader.dataset
    assert isinstance(ds, PoseTrack18ClipDataset) and ds.keyframe_step == step
    # one tube per detection of a keyframe (every S-th frame)
    dets = read_json(root + 'annotations/posetrack18_val_human_detections.json')
    frame_of = {f['img_id']: f for f in ds.frames}
    thr = cfg.test_dataloader.dataset.get('filter_cfg', {}).get('bbox_score_thr', 0.)
    keyed = [d for d in dets if frame_of[d['image_id']]['frame_idx'] % step == 0
             and d['score'] >= thr]
    assert len(ds) == len(keyed)
    # the frames covered by a tube (the keyframe +-1, T = 3) are emitted, each once, in order
    covered = sorted({(frame_of[d['image_id']]['video_id'], t) for d in keyed
                      for t in range(frame_of[d['image_id']]['frame_idx'] - 1,
                                     frame_of[d['image_id']]['frame_idx'] + 2)
                      if 0 <= t < frame_of[d['image_id']]['num_frames']})
    seen = frames_metric.seen
    assert [(v, f) for v, f, *_ in seen] == covered
    for _, _, ids, kshape, bshape in seen:
        assert len(set(ids)) == len(ids) and kshape == (len(ids), 17, 2)
        assert bshape == (len(ids), 4)
    for key in ('posetrack/AP', 'posetrack/MOTA', 'posetrack/HOTA', 'posetrack/BoxRecall'):
        assert np.isfinite(metrics[key]), key


def test_loop_needs_exactly_one_of_tracker_and_tubes(repo_root, tiny_synthetic, tmp_path):
    cfg = _cfg(repo_root, tiny_synthetic, tmp_path)
    cfg.test_cfg.tracker = dict(type='OKSGreedyTracker')
    with pytest.raises(ValueError, match='exactly one of tracker= .* or tubes='):
        Runner.from_cfg(cfg).test()


@pytest.mark.parametrize('step', [1, 2])
def test_video_command_tracks_as_the_loop(repo_root, tiny_synthetic, tmp_path, step):
    """``PoseTrackInferencer`` (``tools/track_video.py``) on a val video's frame folder and its
    detections gives the test loop's tracked poses: the same tubes (cut from a stream instead of
    the dataset; keyframes every S frames), the same network outputs, the same tracks. Same
    weights (random, saved from the loop's model), tracks of any length kept so that both have
    people to compare."""
    import json

    from loop_helpers import assert_same_tracks, loop_tracks_and_weights

    from mmpose_track.apis import PoseTrackInferencer
    root = tiny_synthetic
    cfg = _cfg(repo_root, root, tmp_path, keyframe_step=step)
    cfg.test_cfg.tubes.min_track_length = 1
    video, loop, ckpt = loop_tracks_and_weights(cfg, tmp_path)
    # the video's detections, as the command reads them (frame = the image id's last digits)
    ann = read_json(root + f'annotations/val/{video}.json')
    ids = {im['id'] for im in ann['images']}
    folder = osp.dirname(osp.join(root, ann['images'][0]['file_name']))
    dets = [d for d in read_json(root + 'annotations/posetrack18_val_human_detections.json')
            if d['image_id'] in ids]
    dets_file = tmp_path / 'dets.json'
    dets_file.write_text(json.dumps(dets))
    inf = PoseTrackInferencer(cfg, ckpt, dets=str(dets_file), device='cpu',
                              det_score_thr=-1.0)  # the loop keeps every detection
    got = {r['frame_idx']: r['predictions'] for r in inf(folder)}
    assert len(got) == len(ann['images']) and set(loop) <= set(got)
    people = assert_same_tracks(got, loop, [
        ('keypoints', 'keypoints', dict(atol=1e-3)),
        # (the loop's batches hold other tubes: float sums differ in the last digits)
        ('keypoint_scores', 'keypoint_scores', dict(rtol=1e-2, atol=1e-4))])
    assert people >= len(ann['images'])  # tracks to compare, not an empty video
