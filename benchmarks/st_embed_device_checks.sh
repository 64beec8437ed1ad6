#!/usr/bin/env bash
# ST-Embed's GPU checks (issue 10), one script for a lent device: training step time and peak
# memory of the full-size configs (4-stage hourglass, 512x512) at batch 16, without and with PGG
# (stage 1 / stage 2) and TemporalNet (stage 3, pairs), in fp32 and bf16 autocast.
#   bash benchmarks/st_embed_device_checks.sh [OUT_DIR]   (after .device_kit/setup_device.sh)
# Each run prints a JSON line (bench_train_step.py); a run that does not fit at batch 16 is
# retried at 8. Figures go to OUT_DIR (default ${OUT:-work_dirs}/st_embed_device).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_DIR=${1:-${OUT:-work_dirs}/st_embed_device}
mkdir -p "$OUT_DIR"
DATA=${DATA:-data/synthetic_posetrack18}
[ -f "$DATA/annotations/posetrack18_train.json" ] || \
  python tools/dataset_converters/generate_synthetic_posetrack18.py --out "$DATA"
C=configs/st_embed
for cfg in st-embed-s1_spatialnet-hg4_coco-512x512 st-embed-s2_spatialnet-hg4-pgg_coco-posetrack18-512x512 \
           st-embed-s3_temporalnet-hg4_posetrack18-512x512; do
  for amp in "" "--amp"; do
    name=${cfg%%_*}${amp:+_bf16}
    for bs in 16 8; do
      if python benchmarks/bench_train_step.py "$C/$cfg.py" --data-root "$DATA/" --iters 10 \
          --warmup 3 --batch-size "$bs" --workers 8 $amp --out "$OUT_DIR/${name}_bs$bs.json" \
          --work-dir "$OUT_DIR/work_$name" > "$OUT_DIR/${name}_bs$bs.log" 2>&1; then
        tail -n 12 "$OUT_DIR/${name}_bs$bs.log"; break
      fi
      echo "$name at batch $bs failed: $(grep -m1 -E 'Error|error' "$OUT_DIR/${name}_bs$bs.log")"
    done
  done
done
