#!/usr/bin/env bash
# The README's main job on the embedded default: synthetic PoseTrack18 data, a tiny top-down
# baseline trained on CPU with `mim train`, then `mim test` with tracking and the PoseTrack metric.
# Options through the environment: WORK_DIR, EPOCHS (default: the config's 40, ~4 min).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=data/synthetic_posetrack18
CFG=configs/baseline/td-hm_res18-tiny_synthetic-128x96.py
WORK_DIR=${WORK_DIR:-work_dirs/quickstart}
EPOCHS=${EPOCHS:-40}

if [ ! -f "$DATA/annotations/posetrack18_val.json" ]; then
  python tools/dataset_converters/generate_synthetic_posetrack18.py --out "$DATA"
fi
mim train mmpose_track "$CFG" --work-dir "$WORK_DIR" \
  --cfg-options train_cfg.max_epochs="$EPOCHS" train_cfg.val_interval="$EPOCHS"
mim test mmpose_track "$CFG" --checkpoint "$WORK_DIR/epoch_${EPOCHS}.pth" \
  --work-dir "$WORK_DIR" --out "$WORK_DIR/test_metrics.json"
python - "$WORK_DIR/test_metrics.json" <<'PY'
import json, sys
metrics = json.load(open(sys.argv[1]))
print('\nSynthetic PoseTrack18 val, tiny top-down baseline + OKS-Hungarian tracker:')
for key in sorted(metrics):
    if key.split('/')[-1] in ('AP', 'MOTA', 'MOTP', 'HOTA', 'DetA', 'AssA'):
        print(f'  {key:24s} {metrics[key]:6.2f}')
PY
