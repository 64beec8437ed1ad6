"""Helpers for the PoseTrack evaluation tests: hand-made videos, and the functional package
(``mmpose_track.evaluation.functional``: imports neither torch nor mmpose, as
``tools/eval_posetrack.py`` needs)."""
import os.path as osp

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

COCO_NAMES = ['nose', 'head_bottom', 'head_top', 'left_ear', 'right_ear', 'left_shoulder',
              'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist',
              'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle']
CATS = [dict(supercategory='person', id=1, name='person', keypoints=COCO_NAMES, skeleton=[])]
# a standing person, COCO order; ears (3, 4) are not evaluated
POSE = np.array([[0, -70], [0, -50], [0, -95], [-8, -72], [8, -72], [-25, -40], [25, -40],
                 [-35, -5], [35, -5], [-40, 25], [40, 25], [-15, 30], [15, 30], [-17, 80],
                 [17, 80], [-18, 130], [18, 130]], float)
HEAD_W, HEAD_H = 30.0, 40.0  # diagonal 50 -> head size 0.6 * 50 = 30 px; PCKh@0.5 = 15 px


def load_functional():
    """``mmpose_track.evaluation.functional``, imported as ``tools/eval_posetrack.py`` does."""
    import mmpose_track.evaluation.functional as F
    return F


def load_eval_tool():
    """``tools/eval_posetrack.py`` as a module (its ``main(argv)``)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'eval_posetrack_tool', osp.join(ROOT, 'tools', 'eval_posetrack.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def person_pose(pid, frame=0):
    """Person ``pid`` at frame ``frame``: people 200 px apart, moving 3 px per frame."""
    return POSE + np.array([300.0 + 200 * pid + 3 * frame, 400.0])


def gt_ann(image_id, pid, track_id, frame=0, joints=None):
    kp = person_pose(pid, frame)
    k3 = np.concatenate([kp, np.ones((17, 1))], 1)
    k3[3:5] = 0
    if joints is not None:
        mask = np.zeros(17, bool)
        mask[joints] = True
        k3[~mask] = 0
    hx, hy = kp[2]
    return dict(image_id=image_id, id=image_id * 100 + pid, track_id=track_id, category_id=1,
                bbox_head=[hx - HEAD_W / 2, hy - 5, HEAD_W, HEAD_H],
                keypoints=k3.reshape(-1).tolist(), scores=[])


def pred_ann(image_id, pid, track_id, frame=0, score=1.0, offset=(0.0, 0.0), pose=None):
    kp = (person_pose(pid, frame) if pose is None else pose) + np.asarray(offset)
    k3 = np.concatenate([kp, np.ones((17, 1))], 1)
    return dict(image_id=image_id, id=image_id * 100 + pid, track_id=track_id, category_id=1,
                keypoints=k3.reshape(-1).tolist(), scores=[float(score)] * 17)


def video(name, n_frames, gt_anns, pred_anns, labeled=None, regions=None):
    """Build ``(gt_dict, pred_dict)``; ``gt_anns`` / ``pred_anns``: frame -> list of anns made
    with ``image_id = frame``. ``regions``: frame -> list of (V, 2) polygons."""
    vid = int(name[:6])
    imgs = []
    for f in range(n_frames):
        img = dict(id=vid * 10000 + f, file_name=f'images/val/{name}/{f:06d}.jpg', frame_id=f,
                   vid_id=name[:6], nframes=n_frames,
                   is_labeled=bool(labeled[f]) if labeled is not None else bool(gt_anns.get(f)))
        if regions and f in regions:
            img['ignore_regions_x'] = [list(map(float, r[:, 0])) for r in regions[f]]
            img['ignore_regions_y'] = [list(map(float, r[:, 1])) for r in regions[f]]
        imgs.append(img)

    def fix(anns):
        out = []
        for f, lst in anns.items():
            for a in lst:
                a = dict(a)
                a['image_id'] = vid * 10000 + f
                a['id'] = len(out) + 1
                out.append(a)
        return out
    return (dict(images=imgs, annotations=fix(gt_anns), categories=CATS),
            dict(images=[dict(i) for i in imgs], annotations=fix(pred_anns), categories=CATS))


def evaluate(F, videos, strict=False, hota=True):
    """``videos``: {name: (gt_dict, pred_dict)} evaluated in memory."""
    gts = [F.parse_posetrack18(g, n, True) for n, (g, _) in sorted(videos.items())]
    prs = [F.parse_posetrack18(p, n, False) for n, (_, p) in sorted(videos.items())]
    return F.evaluate_posetrack(gts, prs, strict=strict, hota=hota)
