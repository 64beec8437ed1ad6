"""Let the tracking tests run before the OpenMMLab stack (mmpose, mmdet, mmcv, torch) is
installed: ``mmpose_track.tracking`` only needs numpy, scipy and mmengine, but the package's
``__init__`` imports every subpackage. If importing the package fails, the subpackage is loaded
on its own (the tests still use the normal ``from mmpose_track.tracking import ...``)."""
import os.path as osp
import sys
import types

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
try:
    import mmpose_track  # noqa: F401
except ImportError:
    for _name in [n for n in sys.modules if n == 'mmpose_track' or n.startswith('mmpose_track.')]:
        del sys.modules[_name]
    _pkg = types.ModuleType('mmpose_track')
    _pkg.__path__ = [osp.join(ROOT, 'mmpose_track')]
    sys.modules['mmpose_track'] = _pkg
