"""On the synthetic set's noisy detected poses, OKS-Hungarian tracking beats the MMPose 0.x
OKS-greedy baseline on MOTA (and on ID switches), through the public commands."""
import json
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def synthetic_val(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('synthetic_val'))
    subprocess.run([sys.executable, 'tools/dataset_converters/generate_synthetic_posetrack18.py',
                    '--out', out, '--seed', '0', '--splits', 'val'], cwd=REPO, check=True,
                   capture_output=True)
    return out


def _track_and_score(data, tracker, tmp_path):
    pred = str(tmp_path / tracker) + '/'
    subprocess.run([sys.executable, 'tools/track.py', osp.join(data, 'detections', 'val'),
                    '--tracker', f'configs/trackers/{tracker}.py', '--out', pred], cwd=REPO,
                   check=True, capture_output=True)
    metrics = str(tmp_path / f'{tracker}.json')
    subprocess.run([sys.executable, 'tools/eval_posetrack.py', osp.join(data, 'annotations', 'val'),
                    pred, '--out', metrics], cwd=REPO, check=True, capture_output=True)
    return json.load(open(metrics))


def test_hungarian_beats_greedy_on_mota(synthetic_val, tmp_path):
    greedy = _track_and_score(synthetic_val, 'oks_greedy', tmp_path)
    hungarian = _track_and_score(synthetic_val, 'oks_hungarian', tmp_path)
    # same detections: identical AP, tracking decides MOTA
    assert greedy['AP']['Total'] == pytest.approx(hungarian['AP']['Total'])
    assert hungarian['MOTA']['Total'] > greedy['MOTA']['Total'] + 1.0
    switches = [sum(m['counts']['num_switches']) for m in (greedy, hungarian)]
    assert switches[1] < switches[0]
