#!/usr/bin/env python
"""Frames per second of ``tools/track_video.py`` (``PoseTrackInferencer.track_video``), split
into decode / detect / pose / track / render.

    python benchmarks/bench_track_video.py [--frames 300] [--size 1280 720] [--people 6] \\
        [--config CFG] [--det-config DCFG] [--device cpu] [--batch-size 4] [--threads N]

Inputs:

* the real clip ``../shared/data/posetrack18/videos/000001_mpiinew_test/*.mp4`` (5 frames,
  1280x720);
* a synthetic video of ``--frames`` frames at ``--size`` with up to ``--people`` people, made
  by the synthetic PoseTrack18 generator (``--write-video``), whose noisy person boxes serve as
  the detections file.

Each input runs twice: with the detections file (no detector: ``detect`` is 0) and with the
detector ``--det-config`` (default the tiny synthetic Faster R-CNN, random weights: its boxes
are random, capped at ``--people`` per frame, so the pose and tracking load matches). The pose
model is ``--config`` (default the tiny top-down baseline, random weights: the speed of a
trained one). Weights never matter for speed, so nothing is downloaded. Reported: frames,
people, end-to-end frames per second (after the models are built, including writing the
JSON and the mp4) and milliseconds per frame of each stage.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)


def synthetic_video(out: str, frames: int, size, people: int):
    """(mp4 path, detections file) of one generated val video."""
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'dataset_converters',
                                    'generate_synthetic_posetrack18.py'), '--out', out,
           '--videos', '1', '--val-videos', '1', '--splits', 'val', '--frames', str(frames),
           '--length-jitter', '0', '--people', str(people), '--width', str(size[0]),
           '--height', str(size[1]), '--write-video']
    subprocess.run(cmd, check=True, capture_output=True)
    videos = [osp.join(dp, f) for dp, _, fs in os.walk(out) for f in fs if f.endswith('.mp4')]
    dets_dir = osp.join(out, 'detections', 'val')
    dets = osp.join(dets_dir, sorted(os.listdir(dets_dir))[0])
    return sorted(videos)[0], dets


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--frames', type=int, default=300)
    p.add_argument('--size', type=int, nargs=2, default=[1280, 720])
    p.add_argument('--people', type=int, default=6)
    p.add_argument('--config', default=osp.join(ROOT, 'configs', 'baseline',
                                                'td-hm_res18-tiny_synthetic-128x96.py'))
    p.add_argument('--det-config', default=osp.join(ROOT, 'configs', 'detectors', 'tiny',
                                                    'faster-rcnn_tiny_person_synthetic.py'))
    p.add_argument('--device', default='cpu', help='cpu (default), cuda...')
    p.add_argument('--batch-size', type=int, default=4)
    p.add_argument('--threads', type=int, help='torch threads (default: torch\'s)')
    p.add_argument('--checkpoint', help='pose checkpoint (default: random weights)')
    p.add_argument('--det-checkpoint', help='detector checkpoint (default: random weights)')
    p.add_argument('--amp', action='store_true', help='bf16 autocast (CUDA)')
    p.add_argument('--sources', nargs='+', default=['file', 'detector'],
                   choices=['file', 'detector'])
    p.add_argument('--inputs', nargs='+', default=['clip', 'synthetic'],
                   choices=['clip', 'synthetic'])
    p.add_argument('--shared-data', default=osp.join(osp.dirname(ROOT), 'shared', 'data'))
    args = p.parse_args()
    import torch
    if args.threads:
        torch.set_num_threads(args.threads)
    from mmpose_track.apis import PoseTrackInferencer
    work = tempfile.mkdtemp(prefix='bench_track_video_')
    t0 = time.perf_counter()
    synth, synth_dets = synthetic_video(osp.join(work, 'synthetic'), args.frames, args.size,
                                        args.people)
    print(f'synthetic video ({args.frames} frames, {args.size[0]}x{args.size[1]}, <= '
          f'{args.people} people) made in {time.perf_counter() - t0:.1f} s')
    clip = osp.join(args.shared_data, 'posetrack18', 'videos', '000001_mpiinew_test',
                    '000001_mpiinew_test.mp4')
    clip_dets = osp.join(work, 'clip_dets.json')
    with open(clip_dets, 'w') as f:  # two people, as the tests
        json.dump([dict(image_id=i, bbox=b, score=0.9) for i in range(5)
                   for b in ([500 + 3 * i, 200, 180, 420], [900 - 2 * i, 250, 160, 380])], f)
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, device '
          f'{args.device}{" bf16" if args.amp else ""}, batch {args.batch_size} frames, pose '
          f'{osp.basename(args.config)} ({"trained" if args.checkpoint else "random"} '
          f'weights)')
    print('| input | boxes from | frames | people | fps | decode | detect | pose | track | '
          'render (ms / frame) |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    inputs = dict(clip=('real clip 1280x720', clip, clip_dets),
                  synthetic=(f'synthetic {args.size[0]}x{args.size[1]}', synth, synth_dets))
    for name, video, dets in (inputs[i] for i in args.inputs):
        for source in args.sources:
            kw = dict(dets=dets) if source == 'file' else dict(
                det_config=args.det_config, det_checkpoint=args.det_checkpoint,
                det_score_thr=0.5 if args.det_checkpoint else 0.0, max_people=args.people)
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                inf = PoseTrackInferencer(args.config, args.checkpoint, device=args.device,
                                          batch_size=args.batch_size, amp=args.amp, **kw)
                list(inf(video, max_frames=2))  # warm-up
                s = inf.track_video(video, osp.join(work, 'out', f'{name}_{source}'.replace(
                    ' ', '_')), progress=False)
            ms = s['ms_per_frame']
            print(f"| {name} | {source} | {s['frames']} | {s['people']} | {s['fps']:.1f} | "
                  + ' | '.join(f'{ms[k]:.1f}' for k in ('decode', 'detect', 'pose', 'track',
                                                        'render')) + ' |', flush=True)


if __name__ == '__main__':
    main()
