#!/usr/bin/env python
"""Render one tracked video: skeletons coloured by track id, the id above the head, as an mp4.

    python tools/render_tracks.py PRED_DIR_OR_FILE --images-root ROOT --video VIDEO_ID \\
        --out OUT.mp4 [--fps 10] [--score-thr 0.2]

``PRED_DIR_OR_FILE``: a folder of PoseTrack18 files, one per video (as written by
``PoseTrackMetric(out_dir=...)`` or ``tools/track.py``; ground-truth ``annotations/val`` works
too), from which ``VIDEO_ID.json`` is taken (``VIDEO_ID`` is the file stem such as
``000009_mpii_test``; a unique prefix such as ``000009`` is accepted), or one such file
(``--video`` then optional). ``--images-root``: the folder the files' ``file_name`` is relative
to (the data root, e.g. ``data/synthetic_posetrack18``). Every frame listed in the file becomes a
video frame, in frame order. Frames are drawn by
:class:`~mmpose_track.visualization.PoseTrackLocalVisualizer` and written with
``cv2.VideoWriter`` (``mp4v``) (:mod:`mmpose_track.apis.render`).
"""
import argparse
import os
import os.path as osp


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('pred', help='folder of PoseTrack18 prediction files, or one file')
    p.add_argument('--images-root', required=True, help='data root the file_name fields are under')
    p.add_argument('--video', help='video id (file stem in PRED_DIR, e.g. 000009_mpii_test)')
    p.add_argument('--out', required=True, help='output .mp4')
    p.add_argument('--fps', type=float, default=10.0)
    p.add_argument('--score-thr', type=float, default=0.2,
                   help='draw joints with score > this (default 0.2)')
    return p.parse_args(argv)


def find_video_file(pred: str, video: str = None) -> str:
    """The prediction file of ``video`` in folder ``pred`` (or ``pred`` itself if a file)."""
    if osp.isfile(pred):
        stem = osp.splitext(osp.basename(pred))[0]
        if video and not stem.startswith(video):
            raise FileNotFoundError(f'{pred} is the file of video {stem!r}, not {video!r}')
        return pred
    if not osp.isdir(pred):
        raise FileNotFoundError(f'prediction folder or file not found: {pred}')
    names = sorted(f[:-5] for f in os.listdir(pred) if f.endswith('.json'))
    if not names:
        raise FileNotFoundError(f'no PoseTrack18 files (*.json) in {pred}')
    if not video:
        raise ValueError(f'--video is needed with a folder; videos in {pred}: '
                         f'{", ".join(names[:10])}{" ..." if len(names) > 10 else ""}')
    if video.endswith('.json'):
        video = video[:-5]
    if video in names:
        return osp.join(pred, video + '.json')
    matches = [n for n in names if n.startswith(video)]
    if len(matches) == 1:
        return osp.join(pred, matches[0] + '.json')
    raise FileNotFoundError(
        f'video {video!r} not found in {pred}' + (f' (ambiguous: {matches})' if matches else '')
        + f'; videos there: {", ".join(names[:10])}{" ..." if len(names) > 10 else ""}')


def main(argv=None):
    args = parse_args(argv)
    if not osp.isdir(args.images_root):
        raise FileNotFoundError(f'--images-root: {args.images_root} is not a folder')
    from mmpose_track.apis.render import load_tracked_video, render_tracked_video
    pred_file = find_video_file(args.pred, args.video)
    frames = load_tracked_video(pred_file, args.images_root)  # checks every image first
    if not frames:
        raise ValueError(f'{pred_file}: no images listed')
    n = render_tracked_video(frames, args.out, fps=args.fps, kpt_thr=args.score_thr)
    people = sum(len(f.pred_instances) for f in frames)
    tracks = len({int(t) for f in frames for t in f.pred_instances.track_ids})
    print(f'{n} frames, {people} poses, {tracks} track ids -> {args.out}')
    return n


if __name__ == '__main__':
    main()
