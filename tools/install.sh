#!/usr/bin/env bash
# One-command install of mmpose_track and its pinned OpenMMLab stack on a fresh Python 3.11 machine.
# Versions live in requirements/*.txt; this script only encodes the order the stack needs
# (see README.md, "Install"): build tools and numpy first, torch before mmcv, mmcv built with its ops
# without build isolation, mmpose without its broken chumpy dependency, then this package.
# Re-running is cheap: pip's wheel cache keeps the built mmcv wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
PIP="$PY -m pip install --no-input"

$PIP -r requirements/build.txt
$PIP -r requirements/torch.txt
$PY - <<'PY'
import torch, torchvision
print('torch', torch.__version__, 'torchvision', torchvision.__version__, 'cuda', torch.cuda.is_available())
PY

if ! $PY -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '2.1.0'" 2>/dev/null; then
  # Builds the C++ ops (and the CUDA ops where nvcc and a GPU are present); ~17 min on 2 cores.
  if command -v nvcc >/dev/null 2>&1 && $PY -c "import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    export FORCE_CUDA=1
  fi
  MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} $PIP --no-build-isolation "$(grep '^mmcv==' requirements/mminstall.txt)"
fi
$PIP -r requirements/runtime.txt "$(grep '^mmengine==' requirements/mminstall.txt)" \
  "$(grep '^mmdet==' requirements/mminstall.txt)"
$PIP --no-deps "$(grep '^mmpose==' requirements/mminstall.txt)" \
  "$(grep '^openmim==' requirements/mminstall.txt)"
# the top-level requirements.txt (build, torch, runtime, tests: the same files as above) checks
# every pin it lists and adds the test dependencies
$PIP -r requirements.txt
# A normal (non-editable) install: setup.py copies configs/ and tools/ into mmpose_track/.mim so
# that `mim train mmpose_track CONFIG` works. Developers may use `pip install --no-use-pep517 -e .`.
$PIP --no-build-isolation --no-deps .
$PY - <<'PY'
import numpy, mmcv, mmcv.ops, mmdet, mmengine, mmpose, xtcocotools.coco, mmpose_track
print('numpy', numpy.__version__, 'mmengine', mmengine.__version__, 'mmcv', mmcv.__version__,
      'mmdet', mmdet.__version__, 'mmpose', mmpose.__version__, 'mmpose_track', mmpose_track.__version__)
PY
