#!/usr/bin/env bash
# tools/track_video.py's GPU check (issue 14), one script for a lent device: the full-size OGN
# pipeline (person-only Faster R-CNN R50-FPN + OGN R50 256x192, random weights: the speed of
# trained ones) on a generated 1080p video of 300 frames with 6 people, end to end (decode,
# detect, pose, track, render: the target is >= 25 frames/s with tracking under 1 ms), batches
# of 8 and 16 frames, fp32 and bf16 autocast; the same with the boxes from a file (no detector).
#   bash benchmarks/track_video_device_checks.sh [OUT_DIR]   (after .device_kit/setup_device.sh)
# Tables go to OUT_DIR (default ${OUT:-work_dirs}/track_video_device).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_DIR=${1:-${OUT:-work_dirs}/track_video_device}
mkdir -p "$OUT_DIR"
POSE=configs/ogn/ogn_res50_posetrack18-256x192.py
DET=configs/detectors/faster-rcnn_r50_fpn_person_posetrack18.py
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$OUT_DIR/gpu.txt"
for bs in 8 16; do
  for amp in "" "--amp"; do
    name=bs${bs}${amp:+_bf16}
    python benchmarks/bench_track_video.py --config "$POSE" --det-config "$DET" --device cuda \
      --size 1920 1080 --frames 300 --people 6 --batch-size "$bs" $amp \
      --inputs synthetic > "$OUT_DIR/$name.log" 2>&1 \
      || echo "$name failed: $(grep -m1 -E 'Error|error' "$OUT_DIR/$name.log")"
    grep -E '^\||^torch|^synthetic' "$OUT_DIR/$name.log"
  done
done
