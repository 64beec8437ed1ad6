"""Packaging: pinned requirements, the wheel carries .mim/{configs,tools}, configs inherit."""
import glob
import os.path as osp
import re
import subprocess
import sys
import zipfile

import pytest
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_requirements_are_pinned():
    for name in ('torch.txt', 'mminstall.txt'):
        lines = [ln.split('#')[0].strip() for ln in open(osp.join(REPO, 'requirements', name))]
        reqs = [ln for ln in lines if ln]
        assert reqs and all(re.search(r'={2,3}\d', r) for r in reqs), reqs
    runtime = open(osp.join(REPO, 'requirements', 'runtime.txt')).read()
    assert 'numpy==1.26.4' in runtime and 'xtcocotools==' in runtime
    assert 'setuptools>=69,<82' in open(osp.join(REPO, 'requirements', 'build.txt')).read()


def test_installed_stack_versions():
    import mmcv
    import mmdet
    import mmengine
    import mmpose
    import numpy
    assert (mmengine.__version__, mmcv.__version__, mmdet.__version__, mmpose.__version__) == (
        '0.10.7', '2.1.0', '3.3.0', '1.3.2')
    assert numpy.__version__ == '1.26.4'
    from mmcv.ops import RoIAlign, nms  # compiled ops present
    assert RoIAlign is not None and nms is not None


@pytest.mark.slow
def test_wheel_ships_mim_configs_and_tools(tmp_path):
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation',
                    '-w', str(tmp_path), REPO], check=True, capture_output=True)
    wheel, = glob.glob(str(tmp_path / 'mmpose_track-*.whl'))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ('mmpose_track/.mim/tools/train.py', 'mmpose_track/.mim/tools/test.py',
                     'mmpose_track/.mim/tools/dist_train.sh',
                     'mmpose_track/.mim/configs/_base_/default_runtime.py',
                     'mmpose_track/.mim/configs/trackers/oks_hungarian.py',
                     'mmpose_track/__init__.py'):
        assert required in names, required
    configs = {n for n in names if n.startswith('mmpose_track/.mim/configs/')}
    on_disk = glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    assert len(configs) == len(on_disk)


def test_mim_finds_the_installed_package():
    from mim.utils import get_installed_path
    root = get_installed_path('mmpose_track')
    assert osp.isfile(osp.join(root, '.mim', 'tools', 'train.py')), root
    assert osp.isdir(osp.join(root, '.mim', 'configs', 'baseline'))


@pytest.mark.parametrize('cfg', sorted(glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                                                 recursive=True)))
def test_every_config_loads(cfg):
    config = Config.fromfile(cfg)
    if '/_base_/' in cfg or '/trackers/' in cfg:
        return
    assert config.custom_imports['imports'] == ['mmpose_track.register_all']
    # person detectors and ReID models are MMDet models; everything else runs in MMPose's scope
    mmdet_model = '/detectors/' in cfg or '/reid/' in cfg or '_mask-rcnn' in cfg
    assert config.default_scope == ('mmdet' if mmdet_model else 'mmpose')


def test_tiny_config_inherits_full_one():
    full = Config.fromfile(osp.join(REPO, 'configs/baseline/td-hm_res50_posetrack18-256x192.py'))
    tiny = Config.fromfile(osp.join(REPO, 'configs/baseline/td-hm_res18-tiny_synthetic-128x96.py'))
    assert full.model.backbone.depth == 50 and tiny.model.backbone.depth == 18
    # inherited untouched from the full config
    assert tiny.model.head.loss == full.model.head.loss
    assert tiny.test_cfg.type == full.test_cfg.type == 'PoseTrackTestLoop'
    assert tiny.test_cfg.tracker == full.test_cfg.tracker


def test_package_import_is_light():
    """``import mmpose_track`` (and its numpy-only parts) loads neither torch nor the OpenMMLab
    model stack; registration is explicit."""
    code = ('import sys, mmpose_track, mmpose_track.utils, mmpose_track.datasets.synthetic, '
            'mmpose_track.tracking.video_stream, mmpose_track.structures.posetrack18_format; '
            "print(sorted(m for m in ('torch', 'mmpose', 'mmdet', 'mmcv', 'mmengine.runner') "
            'if m in sys.modules))')
    out = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == '[]'


def test_register_all_modules_registers_and_sets_scope():
    code = ('from mmpose_track.utils import register_all_modules; register_all_modules(); '
            'from mmengine.registry import DefaultScope; '
            'from mmpose.registry import HOOKS, LOOPS, METRICS, VISUALIZERS; '
            'from mmdet.registry import DATASETS, MODELS, TRANSFORMS; '
            'names = [LOOPS.get("PoseTrackTestLoop"), METRICS.get("PoseTrackMetric"), '
            'HOOKS.get("PoseTrackVisualizationHook"), VISUALIZERS.get("PoseTrackLocalVisualizer"), '
            'DATASETS.get("PoseTrack18DetDataset"), MODELS.get("PersonReID"), '
            'TRANSFORMS.get("CropPersonBox")]; '
            'print(DefaultScope.get_current_instance().scope_name, '
            '[n.__module__.split(".")[1] for n in names])')
    out = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout
    assert out.split('\n')[-2] == ("mmpose ['engine', 'evaluation', 'engine', 'visualization', "
                                   "'datasets', 'models', 'datasets']")
