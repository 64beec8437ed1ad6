"""The tracking loops in-process: a real MMEngine Runner with a stub model that returns known
per-person poses, checked against ids derived by hand; hooks see the tracked frames; the
visualization hook writes one image per frame under a folder per video."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmengine.structures import BaseDataElement, InstanceData
from mmpose.structures import PoseDataSample
from torch.utils.data import Dataset

from mmpose_track.engine.loops import merge_loss_outputs
from mmpose_track.utils import register_all_modules
from mmpose_track.visualization import track_color

register_all_modules(init_default_scope=False)

K = 5  # not COCO's 17: the number of keypoints must come from the dataset metainfo
H, W = 96, 128


def _person(x: float, y: float = 48.) -> np.ndarray:
    """(K, 3) joints of a 10 x 40 px figure centred at (x, y), scores 1."""
    xy = np.stack([np.full(K, x) + np.linspace(-5, 5, K), np.linspace(y - 20, y + 20, K)], -1)
    return np.concatenate([xy, np.ones((K, 1))], -1)


# Dataloader order, one entry per top-down sample (video, frame, person x or None = empty frame).
# Video a: two people walking right, listed in swapped order at frame 1; a third person at the
# far right appears at frame 2 only. Video b: one person in two frames, then nobody.
SAMPLES = [('a', 0, 20.), ('a', 0, 60.), ('a', 1, 62.), ('a', 1, 22.), ('a', 2, 24.),
           ('a', 2, 64.), ('a', 2, 110.), ('b', 0, 40.), ('b', 1, 41.), ('b', 2, None)]
# By hand (IoU Hungarian tracker, new ids in detection order, ids restart per video):
# a0 [x=20, x=60] -> [0, 1]; a1 [x=62, x=22] -> [1, 0]; a2 [24, 64, 110] -> [0, 1, 2], and
# min_track_length=2 drops id 2 (one frame long) when video a ends: a2 -> [0, 1].
# b0 [40] -> [0]; b1 [41] -> [0]; b2 nobody -> [] with (0, K, 2) keypoints.
EXPECTED = {('a', 0): [0, 1], ('a', 1): [1, 0], ('a', 2): [0, 1], ('b', 0): [0], ('b', 1): [0],
            ('b', 2): []}
TRACKER = dict(type='IoUHungarianTracker', match_thr=0.3, min_track_length=2)


class _Samples(Dataset):
    metainfo = dict(dataset_name='stub', num_keypoints=K)

    def __init__(self, img_dir: str):
        self.img_dir = img_dir

    def __len__(self):
        return len(SAMPLES)

    def __getitem__(self, i):
        video, frame, x = SAMPLES[i]
        path = osp.join(self.img_dir, video, f'{frame:06d}.jpg')
        kpts = np.zeros((0, K, 3)) if x is None else _person(x)[None]
        meta = dict(video_id=video, frame_idx=frame, img_id=i, img_path=path, id=i,
                    ori_shape=(H, W))
        return dict(inputs=torch.as_tensor(kpts, dtype=torch.float32),
                    data_samples=PoseDataSample(metainfo=meta))


class _StubPoseModel(BaseModel):
    """Returns the sample's joints as its prediction (box: their extent), and a loss element
    ``loss = number of people in the batch`` so that the loop's loss merge can be checked."""

    def forward(self, inputs, data_samples=None, mode='tensor'):
        raise NotImplementedError

    def _predict(self, data):
        out = []
        for kpts, ds in zip(data['inputs'], data['data_samples']):
            kpts = kpts.numpy()
            s = PoseDataSample(metainfo=ds.metainfo)
            boxes = np.concatenate([kpts[..., :2].min(1) - 4, kpts[..., :2].max(1) + 4], -1) \
                if len(kpts) else np.zeros((0, 4))
            s.pred_instances = InstanceData(
                keypoints=kpts[..., :2], keypoint_scores=kpts[..., 2], bboxes=boxes,
                bbox_scores=np.ones(len(kpts)))
            out.append(s)
        people = float(sum(len(k) for k in data['inputs']))
        return out + [BaseDataElement(loss=dict(loss=torch.tensor(people)))]

    test_step = val_step = _predict


class _RecordMetric(BaseMetric):
    default_prefix = 'rec'

    def process(self, data_batch, data_samples):  # MMEngine's Evaluator passes dicts
        for s in data_samples:
            pred = s['pred_instances']
            self.results.append((s['video_id'], s['frame_idx'], pred['track_ids'].tolist(),
                                 tuple(pred['keypoints'].shape)))

    def compute_metrics(self, results):
        self.seen = list(results)
        return dict(frames=len(results))


class _RecordHook(Hook):
    def __init__(self):
        self.seen = []

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.seen.append((batch_idx, [(s.video_id, s.frame_idx, s.pred_instances.track_ids.tolist())
                                      for s in outputs]))

    after_val_iter = after_test_iter


def _images(root: str) -> None:
    for video, frame, _ in SAMPLES:
        path = osp.join(root, video, f'{frame:06d}.jpg')
        os.makedirs(osp.dirname(path), exist_ok=True)
        cv2.imwrite(path, np.full((H, W, 3), 30, np.uint8))


def _runner(tmp_path, hooks=(), vis_hook=None, name='loop'):
    img_dir = str(tmp_path / 'images')
    _images(img_dir)
    metric = _RecordMetric()
    loader = dict(dataset=_Samples(img_dir), batch_size=2, num_workers=0,
                  sampler=dict(type='DefaultSampler', shuffle=False),
                  collate_fn=dict(type='pseudo_collate'))
    runner = Runner(
        model=_StubPoseModel(), work_dir=str(tmp_path / 'work'), experiment_name=name,
        test_dataloader=loader, test_evaluator=[metric],
        test_cfg=dict(type='PoseTrackTestLoop', tracker=TRACKER),
        default_scope='mmpose', custom_hooks=list(hooks),
        default_hooks=dict(visualization=vis_hook) if vis_hook else None,
        visualizer=dict(type='PoseTrackLocalVisualizer', name=f'vis_{name}'),
        log_level='WARNING')
    return runner, metric


def test_loop_tracks_frames_hooks_see_them_and_losses_merge(tmp_path):
    hook = _RecordHook()
    runner, metric = _runner(tmp_path, hooks=[hook], name='loop_ids')
    metrics = runner.test()
    got = {(v, f): ids for v, f, ids, _ in metric.seen}
    assert got == EXPECTED
    # frames reach the evaluator in order, and empty frames get K from the dataset metainfo
    assert [(v, f) for v, f, _, _ in metric.seen] == list(EXPECTED)
    assert dict(((v, f), shape) for v, f, _, shape in metric.seen)[('b', 2)] == (0, K, 2)
    assert metrics['rec/frames'] == 6
    # batches of 2: video a ends when b's first sample arrives (batch 3); the last batch
    # flushes video b; hooks get those tracked frames, [] elsewhere
    assert hook.seen == [(0, []), (1, []), (2, []),
                         (3, [('a', 0, [0, 1]), ('a', 1, [1, 0]), ('a', 2, [0, 1])]),
                         (4, [('b', 0, [0]), ('b', 1, [0]), ('b', 2, [])])]
    # MMEngine's loss merge: people per batch 2, 2, 2, 2, 1 (b2 is empty) averaged
    assert metrics['test_loss'] == pytest.approx((2 + 2 + 2 + 2 + 1) / 5)


def test_merge_loss_outputs_records_trailing_loss_only():
    s = PoseDataSample()
    buffers = {}
    outs, buffers = merge_loss_outputs(
        [s, BaseDataElement(loss=dict(a=torch.tensor(2.), b=[torch.tensor(1.), torch.tensor(3.)]))],
        buffers)
    assert outs == [s]
    outs, buffers = merge_loss_outputs([s], buffers)  # no loss element: outputs untouched
    assert outs == [s]
    assert buffers['a'].data[0].tolist() == [2.0] and buffers['b'].data[0].tolist() == [1., 3.]


def test_visualization_hook_writes_each_frame_per_video_in_track_colours(tmp_path):
    out_dir = str(tmp_path / 'show')
    runner, _ = _runner(tmp_path, vis_hook=dict(type='PoseTrackVisualizationHook', enable=True,
                                                out_dir=out_dir, kpt_thr=0.3, draw_bbox=False),
                        name='loop_show')
    runner.test()
    # one image per frame, in a folder per video (both videos have a 000000.jpg)
    written = sorted(osp.relpath(osp.join(d, f), out_dir)
                     for d, _, fs in os.walk(out_dir) for f in fs)
    assert written == ['a/000000.jpg', 'a/000001.jpg', 'a/000002.jpg', 'b/000000.jpg',
                       'b/000001.jpg', 'b/000002.jpg']
    # frame a/1: the person at x=22 has id 0, the one at x=62 id 1; their middle joints are
    # drawn in the colours of those ids (JPEG: within a few levels); nobody drawn in b/2
    img = cv2.imread(osp.join(out_dir, 'a', '000001.jpg'))[..., ::-1]
    for x, tid in ((22., 0), (62., 1)):
        cx, cy = np.round(_person(x)[K // 2, :2]).astype(int)
        assert np.abs(img[cy, cx].astype(int) - track_color(tid)).max() <= 12, (x, tid)
    assert track_color(0) != track_color(1)
    empty = cv2.imread(osp.join(out_dir, 'b', '000002.jpg'))
    assert np.abs(empty.astype(int) - 30).max() <= 3


def test_show_dir_wiring_of_tools():
    """``--show-dir`` switches tracking configs (MMPose or MMDet scope) to the tracked-frame hook
    and visualizer; other configs keep their hook, with its own argument names."""
    from argparse import Namespace

    from mmengine.config import Config

    from mmpose_track.utils import apply_tool_args
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    args = Namespace(launcher='none', work_dir='/tmp/w', cfg_options=None, show=False,
                     show_dir='shown', config='x.py')
    for path, prefix in (('baseline/td-hm_res18-tiny_synthetic-128x96.py', ''),
                         ('ogn/tiny/ogn-t4a_mask-rcnn-tiny_synthetic.py', 'mmpose.')):
        cfg = apply_tool_args(Config.fromfile(osp.join(repo, 'configs', path)), args)
        hook = cfg.default_hooks.visualization
        assert (hook.type, hook.enable, hook.out_dir) == (
            prefix + 'PoseTrackVisualizationHook', True, 'shown'), path
        assert cfg.visualizer.type == prefix + 'PoseTrackLocalVisualizer', path
    cfg = apply_tool_args(Config.fromfile(
        osp.join(repo, 'configs', 'detectors', 'tiny', 'faster-rcnn_tiny_person_synthetic.py')),
        args)
    hook = cfg.default_hooks.visualization
    assert (hook.type, hook.draw, hook.test_out_dir) == ('DetVisualizationHook', True, 'shown')


@pytest.mark.slow
def test_tools_test_show_dir_writes_one_image_per_frame_and_video(tmp_path, tiny_synthetic):
    """``tools/test.py CONFIG CKPT --show-dir DIR`` on the tiny tracking config (untrained
    weights): DIR/<video>/<frame>.jpg for every frame of every val video."""
    import json
    import subprocess
    import sys

    from mmengine.config import Config
    from mmpose.registry import MODELS
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    tiny = osp.join(repo, 'configs', 'baseline', 'td-hm_res18-tiny_synthetic-128x96.py')
    cfg_file = tmp_path / 'cfg.py'
    cfg_file.write_text(f"""
_base_ = [{tiny!r}]
data_root = {tiny_synthetic!r}
test_dataloader = dict(batch_size=4, dataset=dict(
    data_root=data_root,
    bbox_file=data_root + 'annotations/posetrack18_val_human_detections.json'))
test_evaluator = dict(gt_dir=data_root + 'annotations/val/')
""")
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpose'):
        model = MODELS.build(Config.fromfile(str(cfg_file)).model)
    torch.save(dict(state_dict=model.state_dict()), tmp_path / 'ckpt.pth')
    show = tmp_path / 'show'
    proc = subprocess.run(
        [sys.executable, osp.join(repo, 'tools', 'test.py'), str(cfg_file),
         str(tmp_path / 'ckpt.pth'), '--work-dir', str(tmp_path / 'work'), '--show-dir',
         str(show)], cwd=repo, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, PYTHONPATH=repo))
    assert proc.returncode == 0, proc.stderr[-4000:]
    gt_dir = osp.join(tiny_synthetic, 'annotations', 'val')
    expected = sorted(osp.join(name[:-5], osp.basename(im['file_name']))
                      for name in os.listdir(gt_dir)
                      for im in json.load(open(osp.join(gt_dir, name)))['images'])
    written = sorted(osp.relpath(osp.join(d, f), show) for d, _, fs in os.walk(show) for f in fs)
    assert written == expected
