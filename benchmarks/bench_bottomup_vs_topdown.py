#!/usr/bin/env python
"""Per-frame time of the tiny bottom-up SpatialNet pipeline against the tiny top-down pipeline
(detector + pose per person) for 1, 6 and 20 people in a frame, and the full-size bottom-up
decoding (+ PGG) of one 128 x 128 frame; one CPU core (ST-Embed, issue 10, "Speed and memory").

    python benchmarks/bench_bottomup_vs_topdown.py [--people 1 6 20] [--reps 30] [--warmup 3] \\
        [--threads 1] [--full-reps 5] [--det-checkpoint PATH] \\
        [--out work_dirs/bench_bottomup_vs_topdown.json]

Bottom-up (the tiny SpatialNet config, built with MMPose's ``MODELS`` without downloads):

- ``prep``: the config's test pipeline (``BottomupResize`` of the 320 x 240 frame, packing),
  collate and the data preprocessor, as ``mmpose.apis.inference_bottomup``;
- ``forward``: backbone + head split on that input;
- ``decode``: ``model.head.decode_maps`` (PGG on the pose mask + AE grouping of
  ``[KE, SIE / sie_scale]``) on maps that hold exactly N people: with random weights the network's
  maps are noise, so the decoded maps are the *ideal* ones of N people at the forward's output
  size, built from the codec's own targets (:func:`spatial_embedding_targets`: Gaussian
  heatmaps, keypoint pixels, person centres): KE = 2 x person index, SVF = p - centre of the
  person whose joint is nearest to pixel p (so SIE = p - SVF is that person's centre, as in
  tests/test_st_embed/test_spatialnet.py). ``found`` counts the decoded people (sanity: = N).
  The tiny config decodes with PGG (``with_pgg=True``); the AE grouping alone
  (``use_pgg=False``) is timed separately and shown in brackets, not added to the total.

Top-down (the tiny Faster R-CNN person detector, MMDet, and the tiny ResNet-18 top-down
heatmap model):

- ``det``: ``mmdet.apis.inference_detector`` on the frame (test pipeline built once; resize,
  forward, RPN + RoI NMS). Its cost does not depend on N (random weights keep every proposal
  above the score threshold: an upper bound on the NMS work; ``--det-checkpoint`` loads trained
  weights, e.g. the tiny detector trained by tools/quickstart.sh);
- ``crop``: MMPose's top-down test pipeline per person box (``GetBBoxCenterScale`` +
  ``TopdownAffine``, a ``cv2.warpAffine`` each), collate and the data preprocessor, as
  ``mmpose.apis.inference_topdown``; the N boxes are the people's ground-truth boxes (what a
  perfect detector would give), so the pose stage sees exactly N people;
- ``forward``: backbone + neck + heatmap head on the batch of N crops;
- ``decode``: the head's ``decode`` (MSRA heatmaps with DARK) of the N heatmaps.

Full-size decoding: the ``SpatialEmbeddingHead`` of the full SpatialNet config (512 input,
128 x 128 maps, K = 17, sigma 2) built alone, ``decode_maps`` with and without PGG on ideal maps of
6 and 20 people.

Each figure: the median and p90 over ``--reps`` timed runs after ``--warmup`` untimed ones, one
torch and one OpenCV thread (``torch.set_num_threads``). Times in ms. A figure for the issue
notes, not a test: on a shared machine the p90 shows the noise.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import time
import warnings
from typing import Callable, Dict, List, Tuple

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

BU_CONFIG = 'configs/st_embed/tiny/st-embed-s2_spatialnet-hg1-tiny-pgg_synthetic-128x128.py'
FULL_CONFIG = 'configs/st_embed/st-embed-s2_spatialnet-hg4-pgg_coco-posetrack18-512x512.py'
DET_CONFIG = 'configs/detectors/tiny/faster-rcnn_tiny_person_synthetic.py'
POSE_CONFIG = 'configs/baseline/td-hm_res18-tiny_synthetic-128x96.py'
FRAME_SIZE = (320, 240)  # (w, h) of the synthetic set

# a standing person of height 1 (x right, y down), PoseTrack18 joint order (slot 1 = neck,
# 2 = head top); ears (3, 4) unlabelled as in PoseTrack18 (tests/test_st_embed/test_spatialnet.py)
TEMPLATE = np.array([[0, -.40], [0, -.32], [0, -.50], [.05, -.42], [-.05, -.42], [.12, -.28],
                     [-.12, -.28], [.18, -.12], [-.18, -.12], [.2, .02], [-.2, .02], [.08, .02],
                     [-.08, .02], [.09, .25], [-.09, .25], [.1, .48], [-.1, .48]])
VISIBLE = np.ones(len(TEMPLATE), np.float32)
VISIBLE[3:5] = 0
PERSON_WIDTH = 0.45  # of the height, with a margin around the template's 0.4


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--people', type=int, nargs='+', default=[1, 6, 20])
    p.add_argument('--reps', type=int, default=30, help='timed runs per figure')
    p.add_argument('--warmup', type=int, default=3, help='untimed first runs')
    p.add_argument('--full-reps', type=int, default=5, help='timed runs of the full-size decode')
    p.add_argument('--threads', type=int, default=1, help='torch / OpenCV threads')
    p.add_argument('--bu-config', default=BU_CONFIG)
    p.add_argument('--full-config', default=FULL_CONFIG)
    p.add_argument('--det-config', default=DET_CONFIG)
    p.add_argument('--pose-config', default=POSE_CONFIG)
    p.add_argument('--det-checkpoint', default=None, help='detector weights (default: random)')
    p.add_argument('--max-instances', type=int, default=30,
                   help='AE decode_topk / decode_max_instances of both bottom-up decoders '
                   '(must be >= the largest --people; the tiny config has 10)')
    p.add_argument('--frame', default=None,
                   help='a 320x240 frame (default: the first image of data/synthetic_posetrack18)')
    p.add_argument('--out', default=None, help='write the figures as JSON')
    return p.parse_args(argv)


# ---------------------------------------------------------------------------- people and maps
def grid_people(n: int, width: float, height: float, nominal_height: float) -> np.ndarray:
    """``(n, K, 2)`` keypoints of ``n`` template people on a grid filling a ``width x height``
    canvas, each ``nominal_height`` tall or smaller so that the grid cells do not overlap."""
    cols = max(1, int(np.ceil(np.sqrt(n * width / height * PERSON_WIDTH))))
    rows = int(np.ceil(n / cols))
    cell_w, cell_h = width / cols, height / rows
    h = min(nominal_height, 0.9 * cell_h, 0.9 * cell_w / PERSON_WIDTH)
    k = np.arange(n)
    centres = np.stack([(k % cols + 0.5) * cell_w, (k // cols + 0.5) * cell_h], -1)
    return TEMPLATE[None] * h + centres[:, None, :]


def ideal_maps(people_hm: np.ndarray, heatmap_size: Tuple[int, int], sigma: float):
    """The maps a perfect SpatialNet outputs for these people (KE dim L = 1).

    Args:
        people_hm: ``(N, K, 2)`` keypoints in heatmap px; heatmap_size: ``(W, H)``;
        sigma: heatmap Gaussian sigma (the codec's).
    Returns:
        ``(heatmaps (1, K, H, W), tags (1, K, H, W), svf (1, 2K, H, W))`` float32 tensors:
        the codec's Gaussian heatmaps; at each pixel and joint j the person ``k*`` whose joint j
        pixel is nearest owns the pixel: KE = ``2 k*``, SVF = ``p - c_k*`` (SIE = its centre).
    """
    import torch

    from mmpose_track.codecs.spatial_embedding import spatial_embedding_targets
    W, H = heatmap_size
    N, K = people_hm.shape[:2]
    enc = spatial_embedding_targets(people_hm, np.tile(VISIBLE, (N, 1)), (W, H), sigma)
    idx, valid = enc['keypoint_indices'][..., 0], enc['keypoint_indices'][..., 1] > 0
    qx, qy = (idx % W).astype(np.float32), (idx // W).astype(np.float32)  # (N, K)
    ys, xs = np.mgrid[:H, :W].astype(np.float32)
    d2 = (xs - qx[..., None, None])**2 + (ys - qy[..., None, None])**2  # (N, K, H, W)
    owner = np.where(valid[..., None, None], d2, np.inf).argmin(0)  # (K, H, W)
    centres = enc['instance_centres']  # (N, 2)
    tags = 2.0 * owner.astype(np.float32)
    svf = np.stack([xs - centres[owner, 0], ys - centres[owner, 1]], 1)  # (K, 2, H, W)

    def t(a):
        return torch.as_tensor(np.ascontiguousarray(a, dtype=np.float32))[None]

    return t(enc['heatmaps']), t(tags), t(svf.reshape(2 * K, H, W))


# --------------------------------------------------------------------------------- timing
def time_runs(fns: Dict[str, Callable[[], None]], reps: int, warmup: int) -> Dict[str, dict]:
    """Run the named stages in order ``warmup + reps`` times; per stage and for their sum
    (``total``) the median and p90 of the timed runs, in ms."""
    times: Dict[str, List[float]] = {k: [] for k in list(fns) + ['total']}
    for r in range(warmup + reps):
        tot = 0.0
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            dt = (time.perf_counter() - t0) * 1e3
            tot += dt
            if r >= warmup:
                times[name].append(dt)
        if r >= warmup:
            times['total'].append(tot)
    return {k: dict(median=statistics.median(v), p90=float(np.percentile(v, 90)))
            for k, v in times.items()}


def _frame(path, rng) -> np.ndarray:
    import cv2
    if path is None:
        root = osp.join(ROOT, 'data/synthetic_posetrack18/images')
        for dirpath, _, files in sorted(os.walk(root)):
            jpgs = sorted(f for f in files if f.endswith('.jpg'))
            if jpgs:
                path = osp.join(dirpath, jpgs[0])
                break
    img = cv2.imread(path) if path else None
    if img is None:  # no synthetic set: a textured frame (the cost does not depend on it)
        img = rng.integers(0, 255, (FRAME_SIZE[1], FRAME_SIZE[0], 3), dtype=np.uint8)
    return cv2.resize(img, FRAME_SIZE)


def _config(path: str):
    from mmengine.config import Config

    from benchmarks.bench_train_step import _no_downloads
    cfg = Config.fromfile(osp.join(ROOT, path))
    _no_downloads(cfg)
    return cfg


# ------------------------------------------------------------------------------- pipelines
def build_bottomup(args):
    import torch
    from mmengine.dataset import Compose, pseudo_collate
    from mmpose.apis import init_model

    cfg = _config(args.bu_config)
    dec = cfg.model.head.decoder
    dec.decode_topk = max(dec.get('decode_topk', 20), args.max_instances)
    dec.decode_max_instances = args.max_instances
    model = init_model(cfg, checkpoint=None, device='cpu')
    pipeline = Compose(cfg.test_dataloader.dataset.pipeline)

    def prep(frame):
        data = pipeline(dict(img=frame, **model.dataset_meta))
        return model.data_preprocessor(pseudo_collate([data]), False)

    @torch.no_grad()
    def forward(inputs):
        return model.head.forward(model.extract_feat(inputs))

    return model, prep, forward


def build_topdown(args):
    import torch
    from mmdet.apis import inference_detector, init_detector
    from mmengine.dataset import Compose, pseudo_collate
    from mmengine.registry import DefaultScope
    from mmpose.apis import init_model

    det_cfg = _config(args.det_config)
    det = init_detector(det_cfg, checkpoint=args.det_checkpoint, device='cpu')
    steps = [t for t in det_cfg.test_dataloader.dataset.pipeline
             if t['type'] not in ('LoadAnnotations', 'mmdet.LoadAnnotations')]
    steps[0] = dict(type='mmdet.LoadImageFromNDArray')
    with DefaultScope.overwrite_default_scope('mmdet'):
        det_pipeline = Compose(steps)

    pose = init_model(_config(args.pose_config), checkpoint=None, device='cpu')
    with DefaultScope.overwrite_default_scope('mmpose'):
        pose_pipeline = Compose(pose.cfg.test_dataloader.dataset.pipeline)

    def detect(frame):
        with DefaultScope.overwrite_default_scope('mmdet'):
            return inference_detector(det, frame, test_pipeline=det_pipeline)

    def crop(frame, boxes):
        data = [pose_pipeline(dict(img=frame, bbox=b[None], bbox_score=np.ones(1, np.float32),
                                   **pose.dataset_meta)) for b in boxes]
        return pose.data_preprocessor(pseudo_collate(data), False)

    @torch.no_grad()
    def forward(inputs):
        return pose.head.forward(pose.extract_feat(inputs))

    def decode(heatmaps):
        return pose.head.decode(heatmaps)

    return detect, crop, forward, decode


# ------------------------------------------------------------------------------------ main
def bench_tiny(args, frame) -> List[dict]:
    bu_model, bu_prep, bu_forward = build_bottomup(args)
    detect, crop, td_forward, td_decode = build_topdown(args)
    out = bu_forward(bu_prep(frame)['inputs'])
    H, W = out[0].shape[-2:]
    sigma = bu_model.head.decoder.sigma
    rows = []
    for n in args.people:
        # bottom-up: people ~11 of the 32 heatmap rows tall (the tiny set's ~80 px of 240)
        hm, tags, svf = ideal_maps(grid_people(n, W, H, nominal_height=0.35 * H), (W, H), sigma)
        found = len(bu_model.head.decode_maps(hm, tags, svf)[0].keypoints)
        state = {}
        bu = time_runs(dict(
            prep=lambda: state.update(x=bu_prep(frame)['inputs']),
            forward=lambda: bu_forward(state['x']),
            decode=lambda: bu_model.head.decode_maps(hm, tags, svf)), args.reps, args.warmup)
        # the decode's AE part alone (the config decodes with PGG: with_pgg=True)
        bu_ae = time_runs(dict(decode=lambda: bu_model.head.decode_maps(hm, tags, svf,
                                                                        use_pgg=False)),
                          args.reps, args.warmup)['decode']
        # top-down: the people's ground-truth boxes in the 320 x 240 frame (~80 px tall)
        kp = grid_people(n, *FRAME_SIZE, nominal_height=80.0)
        boxes = np.concatenate([kp.min(1), kp.max(1)], 1).astype(np.float32)
        td = time_runs(dict(
            det=lambda: detect(frame),
            crop=lambda: state.update(c=crop(frame, boxes)['inputs']),
            forward=lambda: state.update(h=td_forward(state['c'])),
            decode=lambda: td_decode(state['h'])), args.reps, args.warmup)
        rows.append(dict(people=n, bottomup=bu, bottomup_found=found, bottomup_maps=[H, W],
                         bottomup_input=list(state['x'].shape[-2:]),
                         bottomup_decode_without_pgg=bu_ae, topdown=td,
                         topdown_detections=len(detect(frame).pred_instances),
                         topdown_crops=int(state['c'].shape[0])))
        print(f'  N={n}: bottom-up {bu["total"]["median"]:.1f} ms (found {found}), '
              f'top-down {td["total"]["median"]:.1f} ms', flush=True)
    return rows


def bench_full_decode(args) -> List[dict]:
    from mmpose.registry import MODELS
    cfg = _config(args.full_config)
    head_cfg = cfg.model.head
    head_cfg.decoder.decode_topk = max(head_cfg.decoder.get('decode_topk', 20),
                                       args.max_instances)
    head_cfg.decoder.decode_max_instances = args.max_instances
    head = MODELS.build(head_cfg)
    W, H = head.decoder.heatmap_size
    rows = []
    for n in [p for p in args.people if p > 1] or args.people:
        hm, tags, svf = ideal_maps(grid_people(n, W, H, nominal_height=0.35 * H), (W, H),
                                   head.decoder.sigma)
        from mmpose_track.models.utils import pose_mask
        mask_px = int(pose_mask(hm, thr=head.pgg_mask_thr).sum())
        row = dict(people=n, maps=[H, W], pgg_mask_pixels=mask_px)
        for use_pgg in (False, True):
            found = len(head.decode_maps(hm, tags, svf, use_pgg=use_pgg)[0].keypoints)
            t = time_runs(dict(decode=lambda: head.decode_maps(hm, tags, svf, use_pgg=use_pgg)),
                          args.full_reps, 1)['decode']
            row['pgg' if use_pgg else 'no_pgg'] = dict(t, found=found)
        rows.append(row)
        print(f'  full N={n}: {row["no_pgg"]["median"]:.1f} ms without PGG, '
              f'{row["pgg"]["median"]:.1f} ms with PGG ({mask_px} mask px)', flush=True)
    return rows


def _fmt(d: dict) -> str:
    return f'{d["median"]:7.1f} / {d["p90"]:<7.1f}'


def print_tables(tiny: List[dict], full: List[dict]) -> None:
    r0 = tiny[0]
    print(f'\nTiny pipelines, per frame (320x240), ms median / p90, one core; bottom-up input '
          f'{r0["bottomup_input"]} (h, w), maps {r0["bottomup_maps"]}, decode with PGG '
          f'(AE alone in brackets); top-down: {r0["topdown_detections"]} detections, N crops')
    print(f'{"N":>3} | {"BU prep":>15} {"BU forward":>15} {"BU decode":>15} {"BU total":>15} '
          f'{"found (AE)":>13} | {"TD det":>15} {"TD crop":>15} {"TD forward":>15} '
          f'{"TD decode":>15} {"TD total":>15}')
    for r in tiny:
        bu, td = r['bottomup'], r['topdown']
        print(f'{r["people"]:>3} | ' + ' '.join(_fmt(bu[k]) for k in
                                              ('prep', 'forward', 'decode', 'total'))
              + f' {r["bottomup_found"]:>5} ({r["bottomup_decode_without_pgg"]["median"]:5.1f})'
              + ' | '
              + ' '.join(_fmt(td[k]) for k in ('det', 'crop', 'forward', 'decode', 'total')))
    print('\nFull-size SpatialEmbeddingHead.decode_maps, 128x128 maps, K=17, ms median / p90')
    print(f'{"N":>3} | {"mask px":>7} | {"AE only":>15} {"found":>5} | {"PGG + AE":>15} '
          f'{"found":>5}')
    for r in full:
        print(f'{r["people"]:>3} | {r["pgg_mask_pixels"]:>7} | {_fmt(r["no_pgg"])} '
              f'{r["no_pgg"]["found"]:>5} | {_fmt(r["pgg"])} {r["pgg"]["found"]:>5}')


def main(argv=None):
    args = parse_args(argv)
    warnings.filterwarnings('ignore')
    import cv2
    import torch

    import mmpose_track.register_all  # noqa: F401  (registers the plugin)
    if max(args.people) > args.max_instances:
        sys.exit(f'error: --max-instances {args.max_instances} < the largest --people '
                 f'{max(args.people)}')
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    frame = _frame(args.frame, np.random.default_rng(0))
    t0 = time.perf_counter()
    print('tiny pipelines...', flush=True)
    tiny = bench_tiny(args, frame)
    print('full-size decoding...', flush=True)
    full = bench_full_decode(args)
    print_tables(tiny, full)
    res = dict(threads=args.threads, reps=args.reps, warmup=args.warmup,
               full_reps=args.full_reps, max_instances=args.max_instances,
               bottomup_config=args.bu_config, full_config=args.full_config,
               detector_config=args.det_config, detector_checkpoint=args.det_checkpoint,
               pose_config=args.pose_config, frame_size=list(FRAME_SIZE),
               torch=torch.__version__, tiny=tiny, full_decode=full,
               seconds=time.perf_counter() - t0)
    print(f'\n({res["seconds"]:.0f} s)')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(res, f, indent=1)
    return res


if __name__ == '__main__':
    main()
