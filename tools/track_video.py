#!/usr/bin/env python
"""Track the people of a video: poses with persistent ids, as PoseTrack18 JSON, per-track JSON and
a rendered mp4.

    python tools/track_video.py INPUT --config CFG [--checkpoint CKPT] \\
        [--det-config DCFG --det-checkpoint DCKPT | --dets DETS.json] [--tracker TCFG] \\
        --out-dir DIR [--device cpu|cuda] [--no-render] [--amp]

``INPUT``: a video file, a folder of frames or a camera index. ``CFG``: any of our pose configs or
MMPose's (e.g.
``mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py``),
top-down (then a person detector: an MMDet config, e.g. ``mmdet::faster_rcnn/...``, and its
checkpoint, or a detections file as ``tools/detect_people.py`` writes), bottom-up, or a clip model
(``configs/clip_tracking/``: person tubes, tracked when the video has ended; not a camera), or
OGN's offset-guided Mask R-CNN (``configs/ogn/ogn-t4*``: boxes and joints in one pass, no
detector). Without
``--checkpoint`` the weights are random (a smoke test). ``--tracker``: a config of
``configs/trackers/``; default the pose config's own tracker, else
``configs/trackers/oks_kalman_cmc.py``.

Writes ``DIR/<name>.json`` (PoseTrack18: one image per frame, every person with ``track_id``,
``bbox``, ``keypoints``, ``scores``; ``tools/eval_posetrack.py`` and ``tools/render_tracks.py``
read it), ``DIR/<name>_tracks.json`` (track id -> frames, boxes, keypoints, scores) and
``DIR/<name>.mp4`` (skeletons and boxes coloured by track id, with id labels), where ``<name>``
is the video's name; prints a progress bar and a summary (frames, people, tracks, frames per
second, time per stage). Ctrl-C stops cleanly: the JSON holds every frame done, marked
``"complete": false``, and the mp4 is closed (trackers with an offline step and clip models
draw the mp4 after the video, so an interrupted run of theirs writes none). Bad input (a
missing or unreadable file, a video that decodes no frame, a folder without images or with
images of different sizes) stops with one line and exit status 2. Also
``mim run mmpose_track track_video ...``.
"""
import argparse
import sys


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('input', help='video file, folder of frames, or camera index')
    p.add_argument('--config', required=True, help='pose config (file or mmpose::... name)')
    p.add_argument('--checkpoint', help='pose checkpoint (default: random weights)')
    det = p.add_mutually_exclusive_group()
    det.add_argument('--det-config', help='MMDet person detector config (top-down models)')
    det.add_argument('--dets', help='detections file instead of a detector')
    p.add_argument('--det-checkpoint', help='detector checkpoint')
    p.add_argument('--tracker', help='tracker config (default: the pose config\'s, else '
                   'configs/trackers/oks_kalman_cmc.py)')
    p.add_argument('--out-dir', required=True, help='output folder')
    p.add_argument('--device', help='cpu, cuda, cuda:0... (default: the first GPU when there is '
                   'one, else the CPU)')
    p.add_argument('--no-render', action='store_true', help='do not write the mp4')
    p.add_argument('--amp', action='store_true',
                   help='backbones in bf16 autocast (for CUDA; heads stay float32)')
    p.add_argument('--show', action='store_true', help='show the tracked frames in a window')
    p.add_argument('--batch-size', type=int, default=4, help='frames per batch')
    p.add_argument('--det-score-thr', type=float, default=0.5, help='person boxes above it')
    p.add_argument('--max-people', type=int, default=100, help='boxes per frame at most')
    p.add_argument('--max-frames', type=int, help='stop after that many frames')
    p.add_argument('--name', help='output file name (default: the video\'s name)')
    p.add_argument('--quiet', action='store_true', help='no progress bar')
    return p.parse_args(argv)


def _fail(err: BaseException) -> int:
    from mmpose_track.utils import fail_in_one_line
    return fail_in_one_line('track_video.py', err)


def main(argv=None) -> int:
    """Run the command; returns the exit status (2 with a one-line message on bad input, 130
    after Ctrl-C)."""
    args = parse_args(argv)
    if args.det_checkpoint and not args.det_config:
        return _fail(ValueError('--det-checkpoint goes with --det-config'))
    from mmpose_track.apis.inferencer import PoseTrackInferencer
    from mmpose_track.apis.video_io import VideoInputError
    user_errors = (OSError, ValueError, KeyError, VideoInputError)
    try:
        inferencer = PoseTrackInferencer(
            args.config, args.checkpoint, det_config=args.det_config,
            det_checkpoint=args.det_checkpoint, dets=args.dets, tracker=args.tracker,
            device=args.device, batch_size=args.batch_size, det_score_thr=args.det_score_thr,
            max_people=args.max_people, amp=args.amp)
    except user_errors as e:
        return _fail(e)
    try:  # a digit string that is not a path is a camera index (open_frames decides)
        summary = inferencer.track_video(args.input, args.out_dir, render=not args.no_render,
                                         max_frames=args.max_frames, progress=not args.quiet,
                                         name=args.name, show=args.show)
    except KeyboardInterrupt:
        summary = getattr(inferencer, 'last_summary', None)
        if summary is not None:
            _print_summary(summary)
        print('track_video.py: interrupted; the files hold the frames done so far '
              '("complete": false)', file=sys.stderr)
        return 130
    except user_errors as e:
        return _fail(e)
    _print_summary(summary)
    return 0


def _print_summary(s: dict) -> None:
    stages = ', '.join(f'{k} {v:.1f}' for k, v in s['ms_per_frame'].items())
    state = 'complete' if s['complete'] else 'INCOMPLETE'
    if s.get('truncated'):
        state += ', video truncated'
    print(f"{s['name']}: {s['frames']} frames, {s['people']} people, {s['tracks']} tracks, "
          f"{s['fps']:.2f} frames/s ({state}); ms per frame: {stages}")
    for path in s['files']:
        print(f'  wrote {path}')


if __name__ == '__main__':
    sys.exit(main())
