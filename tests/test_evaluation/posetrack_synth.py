"""Deterministic synthetic PoseTrack18 ground truth / predictions for cross-checks.

``make_case(seed, ...)`` returns ``{video_name: (gt_dict, pred_dict)}`` with the edge cases the
official evaluator treats specially: unlabeled frames, frames whose predictions are empty, ignore
regions, joints absent on either side, people without points, missing or tied scores, identity
switches, false positives, and (optionally) videos with a single labeled frame.
"""
import json
import os
import os.path as osp

import numpy as np

COCO_NAMES = ['nose', 'head_bottom', 'head_top', 'left_ear', 'right_ear', 'left_shoulder',
              'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist',
              'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle']
CATEGORIES = [dict(supercategory='person', id=1, name='person', keypoints=COCO_NAMES,
                   skeleton=[])]
# a rough standing person (COCO order), head box ~ 40 x 50 pixels
TEMPLATE = np.array([[0, -70], [0, -50], [0, -95], [-8, -72], [8, -72], [-25, -40], [25, -40],
                     [-35, -5], [35, -5], [-40, 25], [40, 25], [-15, 30], [15, 30], [-17, 80],
                     [17, 80], [-18, 130], [18, 130]], float)


def _image(vid_name, f, nframes, labeled, regions=None):
    img = dict(id=10000 * int(vid_name[:6]) + f, file_name=f'images/val/{vid_name}/{f:06d}.jpg',
               frame_id=f, vid_id=vid_name[:6], nframes=nframes, is_labeled=bool(labeled),
               has_no_densepose=True)
    if regions is not None:
        img['ignore_regions_x'] = [list(map(float, r[:, 0])) for r in regions]
        img['ignore_regions_y'] = [list(map(float, r[:, 1])) for r in regions]
    return img


def make_video(rng, vid_name, n_frames=8, n_people=4, p_unlabeled=0.15, p_empty_pred=0.1,
               p_region=0.2, p_gt_missing=0.15, p_pr_missing=0.15, noise=6.0, p_switch=0.05,
               p_fp=0.3, p_ties=0.3, p_noscore=0.05, single_labeled=False, int_scores=False):
    centers = rng.uniform(100, 1700, size=(n_people, 2)) + [0, 300]
    vel = rng.normal(0, 8, size=(n_people, 2))
    scale = rng.uniform(0.6, 1.6, size=n_people)
    gt_ids = rng.permutation(50)[:n_people]
    pr_ids = rng.permutation(9000)[:n_people] + 100
    gt_imgs, pr_imgs, gt_anns, pr_anns = [], [], [], []
    labeled_idx = [int(rng.integers(n_frames))] if single_labeled else None
    for f in range(n_frames):
        labeled = (f in labeled_idx) if single_labeled else rng.random() > p_unlabeled
        regions = None
        if labeled and rng.random() < p_region:
            c = centers[rng.integers(n_people)] + vel[0] * f
            w = rng.uniform(30, 200)
            regions = [np.array([[c[0] - w, c[1] - w], [c[0] + w, c[1] - w * 0.3],
                                 [c[0] + w * 0.8, c[1] + w], [c[0] - w * 0.6, c[1] + w]])]
            if rng.random() < 0.3:
                regions.append(np.array([[0, 0], [60, 0], [60, 60], [0, 60]]))
        gimg = _image(vid_name, f, n_frames, labeled, regions)
        pimg = {k: gimg[k] for k in ('id', 'file_name', 'frame_id', 'vid_id', 'nframes')}
        gt_imgs.append(gimg)
        pr_imgs.append(pimg)
        if rng.random() < p_switch:  # identity switch between two predicted tracks
            a, b = rng.choice(n_people, 2, replace=False)
            pr_ids[[a, b]] = pr_ids[[b, a]]
        empty_pred = rng.random() < p_empty_pred
        for p in range(n_people):
            kp = centers[p] + vel[p] * f + TEMPLATE * scale[p] + rng.normal(0, 2, (17, 2))
            hx, hy = kp[2]
            head = [float(hx - 20 * scale[p]), float(hy - 5 * scale[p]), float(40 * scale[p]),
                    float(50 * scale[p])]
            if labeled:
                vis = rng.random(17) > p_gt_missing
                if rng.random() < 0.05:
                    vis[:] = False  # a person without points
                k3 = np.zeros((17, 3))
                k3[vis, :2] = np.round(kp[vis], 2)
                k3[vis, 2] = 1
                k3[3:5] = 0
                gt_anns.append(dict(image_id=gimg['id'], id=len(gt_anns), track_id=int(gt_ids[p]),
                                    bbox_head=head, bbox=[0, 0, 1, 1], category_id=1,
                                    keypoints=k3.reshape(-1).tolist(), scores=[]))
            if empty_pred or rng.random() < 0.08:
                continue
            pk = kp + rng.normal(0, noise * scale[p], (17, 2))
            if rng.random() < 0.1:
                pk += rng.normal(0, 40, 2)  # off target
            pvis = rng.random(17) > p_pr_missing
            k3 = np.zeros((17, 3))
            k3[pvis, :2] = np.round(pk[pvis], 3)
            k3[pvis, 2] = rng.choice([0, 1], pvis.sum(), p=[0.2, 0.8])
            sc = np.round(rng.random(17), 2 if rng.random() < p_ties else 6)
            if int_scores:
                sc = np.round(sc)
            ann = dict(image_id=pimg['id'], id=len(pr_anns), track_id=int(pr_ids[p]),
                       category_id=1, keypoints=k3.reshape(-1).tolist(),
                       scores=[] if rng.random() < p_noscore else sc.tolist())
            pr_anns.append(ann)
        if not empty_pred:
            n_fp = rng.poisson(p_fp)
            for q in range(n_fp):
                pk = rng.uniform(0, 1900, 2) + TEMPLATE
                k3 = np.concatenate([pk, np.ones((17, 1))], 1)
                pr_anns.append(dict(image_id=pimg['id'], id=len(pr_anns),
                                    track_id=int(9500 + f * 10 + q), category_id=1,
                                    keypoints=k3.reshape(-1).tolist(),
                                    scores=np.round(rng.random(17), 3).tolist()))
    return (dict(images=gt_imgs, annotations=gt_anns, categories=CATEGORIES),
            dict(images=pr_imgs, annotations=pr_anns, categories=CATEGORIES))


def make_case(seed, n_videos=4, single_labeled=False, **kw):
    rng = np.random.default_rng(seed)
    out = {}
    for v in range(n_videos):
        name = f'{v + 1:06d}_mpii_test'
        n_frames = int(rng.integers(2, kw.pop('max_frames', 9) + 1)) if 'n_frames' not in kw \
            else kw['n_frames']
        kw2 = {k: val for k, val in kw.items() if k != 'n_frames'}
        out[name] = make_video(rng, name, n_frames=n_frames,
                               single_labeled=single_labeled and v == 0, **kw2)
    return out


def write_case(case, root):
    gt_dir, pr_dir = osp.join(root, 'gt'), osp.join(root, 'pred')
    os.makedirs(gt_dir, exist_ok=True)
    os.makedirs(pr_dir, exist_ok=True)
    for name, (g, p) in case.items():
        with open(osp.join(gt_dir, name + '.json'), 'w') as f:
            json.dump(g, f)
        with open(osp.join(pr_dir, name + '.json'), 'w') as f:
            json.dump(p, f)
    return gt_dir, pr_dir
