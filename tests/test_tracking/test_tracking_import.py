"""The tracking package and tracker building stay light: no torch, scipy.optimize on use."""
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

SCRIPT = r'''
import sys
sys.path.insert(0, {root!r})
import numpy as np
import mmpose_track.tracking as tracking
assert 'scipy.optimize' not in sys.modules
for name in ('oks_hungarian', 'oks_greedy', 'iou_hungarian', 'iou_appearance', 'st_embed',
             'keypoint_matching'):
    tr = tracking.build_tracker({root!r} + '/configs/trackers/' + name + '.py')
    k = np.random.default_rng(0).uniform(0, 100, (3, 17, 3))
    for t in range(3):
        tr.update(k + t, None, t)
tracking.oks_matrix(k, k)
tracking.bbox_iou_matrix(k[:, 0, [0, 1, 0, 1]], k[:, 0, [0, 1, 0, 1]] + 5)
heavy = sorted(m for m in ('torch', 'mmpose', 'mmdet', 'mmcv') if m in sys.modules)
print('heavy:', heavy)
'''


def test_tracking_imports_and_builds_without_torch():
    out = subprocess.run([sys.executable, '-c', SCRIPT.format(root=ROOT)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith('heavy: []'), out.stdout + out.stderr
