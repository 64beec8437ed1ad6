#!/usr/bin/env bash
# The README's main job on the embedded default (synthetic PoseTrack18, CPU; ~8 min on 2 idle cores):
#   1. generate the synthetic set (if absent)
#   2. `mim train` the tiny person detector (Faster R-CNN R18, from scratch)
#   3. tools/detect_people.py on the val frames: NMS boxes and GBG boxes (OGN 3.1.1)
#   4. `mim train` tiny OGN (Table 1 row d: heatmap + offsets, stride 16) on GT boxes (+ the set's
#      noisy detections mixed in, OGN 3.1.3), and the tiny person ReID model (OGN 4.2's appearance)
#   5. `mim test` OGN on the detector's boxes with the tracking loop and PoseTrackMetric writing
#      PoseTrack18 prediction files (WORK_DIR/preds_<variant>/), variants:
#        nms             NMS boxes, the configs' default tracker (OKS-Hungarian + Kalman + camera motion)
#        gbg             GBG boxes, the same tracker
#        oks-greedy      NMS boxes, OKS-greedy tracker (the usual baseline)
#        iou-appearance  NMS boxes, IoU + ReID appearance (OGN's tracking, Sec. 4.2)
#   6. tools/render_tracks.py: WORK_DIR/tracked_<video>.mp4, skeletons coloured by track id
#   7. a table of AP / MOTA / HOTA per variant
#
# Options through the environment:
#   WORK_DIR      output folder (default work_dirs/quickstart)
#   MAIN_JOB      pipeline (default) | st-embed: ST-Embed's bottom-up tiny chain (SpatialNet,
#                 PGG fine-tune, TemporalNet; S1_ITERS overrides stage 1's iterations) tested
#                 with Table 4's trackers, printed next to the pipeline's rows when they are in
#                 WORK_DIR | tkmrnet: TKMRNet's tiny two-stage chain on the tiny detector's
#                 boxes (the pipeline job's when WORK_DIR has them, else trained here), tested as
#                 Table 3's rows TK_ROWS (default "m1 m2 m3 m5 m7": cNMS/pNMS, IoU/OKS/TKM, TKM
#                 with refinement in temporal context; m4 TBM and m6 self-refinement train a
#                 stage 2 of their own each; TK_S1_EPOCHS, TK_S2_EPOCHS override the schedules)
#                 | clip: clip tracking's tiny chain (2D HRNet, then the 3D HRNet on tubes of 3
#                 frames) on the tiny detector's boxes (reused when WORK_DIR has them), tested
#                 as Table 7's six rows with the person-box recall of Table 9 (CLIP_S1_EPOCHS,
#                 CLIP_S2_EPOCHS override the schedules)
#                 | baseline: the earlier job, a tiny top-down heatmap baseline on the
#                 set's shipped detections (EPOCHS, default 40, ~4 min)
#   DET_EPOCHS    detector epochs (default 12)         OGN_EPOCHS  OGN epochs (default 40)
#   OGN_CFG       pose config (default configs/ogn/tiny/ogn-t1d_res18-tiny_synthetic-128x96.py;
#                 ogn-t1a_... is the heatmap-only row (a) at the same stride)
#   GBG=0         skip the GBG variant (default GBG=1: also detect with GBG, the _gbg detector
#                 config with the same checkpoint, and test the same OGN checkpoint on those boxes)
#   REID_ITERS    ReID training iterations (default: the config's 250, ~2 min)
#   REID=0        skip the ReID model and the iou-appearance variant (it needs
#                 OGN_CFG's *_iou-appearance.py twin, which row d has)
#   BOX_THR       detection score a box needs to be posed at test time (default 0.5)
#   RENDER_VIDEO  val video to render (default: the first one)
#   DATA          data root (default data/synthetic_posetrack18; generated if absent)
#   MAX_FRAMES    (tests) frames per generated video; set with a small DATA to smoke-test
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-data/synthetic_posetrack18}
WORK_DIR=${WORK_DIR:-work_dirs/quickstart}
MAIN_JOB=${MAIN_JOB:-pipeline}
MIM=${MIM:-mim}  # MIM="python -m mim" where the mim script is not on PATH
mkdir -p "$WORK_DIR"
WORK_ABS=$(cd "$WORK_DIR" && pwd)
TIMES="$WORK_ABS/stage_times.txt"
: > "$TIMES"
stage() {  # stage NAME CMD...: run, record the wall time
  local name=$1 t0=$SECONDS
  shift
  echo -e "\n=== [$name] $*"
  "$@"
  echo "$name $((SECONDS - t0))" >> "$TIMES"
}

t_start=$SECONDS
if [ ! -f "$DATA/annotations/posetrack18_val.json" ]; then
  GEN_ARGS=()
  [ -n "${MAX_FRAMES:-}" ] && GEN_ARGS=(--videos 2 --val-videos 2 --frames "$MAX_FRAMES")
  stage data python tools/dataset_converters/generate_synthetic_posetrack18.py --out "$DATA" \
    "${GEN_ARGS[@]}"
fi
DATA_ABS=$(cd "$DATA" && pwd)

# ---------------------------------------------------------------------------- shared parts
DET_CFG=configs/detectors/tiny/faster-rcnn_tiny_person_synthetic.py
DET_GBG_CFG=configs/detectors/tiny/faster-rcnn_tiny_person_synthetic_gbg.py
DET_EPOCHS=${DET_EPOCHS:-12}
DET_CKPT="$WORK_DIR/detector/epoch_${DET_EPOCHS}.pth"
BOX_THR=${BOX_THR:-0.5}  # person boxes scored below it are not posed (the files keep all > 0.05)
milestone() { echo $(( $1 * 3 / 4 > 0 ? $1 * 3 / 4 : 1 )); }  # lr drop at 3/4 of the schedule
VAL_ANN="$DATA_ABS/annotations/posetrack18_val.json"
# no validation while training (the test stages score the val videos)
NO_VAL=(default_hooks.checkpoint.save_best=None)
DATA_OPTS=()
if [ "$DATA" != data/synthetic_posetrack18 ]; then  # configs point at the default data root
  DATA_OPTS=(train_dataloader.dataset.data_root="$DATA_ABS/"
             val_dataloader.dataset.data_root="$DATA_ABS/"
             test_dataloader.dataset.data_root="$DATA_ABS/")
fi
last_ckpt() { ls "$1"/*.pth | grep -v best | sort -V | tail -n 1; }
# the tiny person detector (Faster R-CNN R18, from scratch) and its NMS boxes of the val frames
person_detector() {
  stage det_train $MIM train mmpose_track "$DET_CFG" --work-dir "$WORK_DIR/detector" --no-validate \
    --cfg-options train_cfg.max_epochs="$DET_EPOCHS" "${NO_VAL[@]}" \
    param_scheduler.1.end="$DET_EPOCHS" "param_scheduler.1.milestones=[$(milestone "$DET_EPOCHS")]" \
    default_hooks.checkpoint.interval="$DET_EPOCHS" \
    "${DATA_OPTS[@]}"
  stage detect_nms python tools/detect_people.py "$DET_CFG" "$DET_CKPT" --ann-file "$VAL_ANN" \
    --out "$WORK_ABS/dets_val_nms.json"
}

# the detector's boxes of an earlier job in this WORK_DIR, else a fresh detector's
person_detector_boxes() {
  if [ -f "$WORK_ABS/dets_val_nms.json" ]; then
    echo "=== reusing the tiny detector's boxes $WORK_ABS/dets_val_nms.json"
  else
    person_detector
  fi
}

# ---------------------------------------------------------------------------- earlier main job
if [ "$MAIN_JOB" = baseline ]; then
  CFG=configs/baseline/td-hm_res18-tiny_synthetic-128x96.py
  EPOCHS=${EPOCHS:-40}
  stage pose_train $MIM train mmpose_track "$CFG" --work-dir "$WORK_DIR" \
    --cfg-options train_cfg.max_epochs="$EPOCHS" train_cfg.val_interval="$EPOCHS"
  stage pose_test $MIM test mmpose_track "$CFG" --checkpoint "$WORK_DIR/epoch_${EPOCHS}.pth" \
    --work-dir "$WORK_DIR" --out "$WORK_DIR/test_metrics.json"
  python - "$WORK_DIR/test_metrics.json" <<'PY'
import json, sys
metrics = json.load(open(sys.argv[1]))
print('\nSynthetic PoseTrack18 val, tiny top-down baseline + the default tracker (OKS-Kalman-CMC):')
for key in sorted(metrics):
    if key.split('/')[-1] in ('AP', 'MOTA', 'MOTP', 'HOTA', 'DetA', 'AssA'):
        print(f'  {key:24s} {metrics[key]:6.2f}')
PY
  exit 0
fi
# ---------------------------------------------------------------------------- ST-Embed (bottom-up)
if [ "$MAIN_JOB" = st-embed ]; then
  # the tiny chain of configs/st_embed/tiny: SpatialNet (stage 1), PGG fine-tune (stage 2),
  # TemporalNet (stage 3; SpatialNet frozen), then the tracking loop with Table 4's trackers
  ST=configs/st_embed/tiny
  S1_CFG=$ST/st-embed-s1_spatialnet-hg1-tiny_synthetic-128x128.py
  S2_CFG=$ST/st-embed-s2_spatialnet-hg1-tiny-pgg_synthetic-128x128.py
  S3_CFG=$ST/st-embed-s3_temporalnet-hg1-tiny_synthetic-128x128.py
  STW="$WORK_ABS/st_embed"
  ST_DATA_OPTS=()
  [ "$DATA" != data/synthetic_posetrack18 ] && ST_DATA_OPTS=(
    train_dataloader.dataset.data_root="$DATA_ABS/" val_dataloader.dataset.data_root="$DATA_ABS/"
    test_dataloader.dataset.data_root="$DATA_ABS/" val_evaluator.gt_dir="$DATA_ABS/annotations/val/"
    test_evaluator.gt_dir="$DATA_ABS/annotations/val/")
  ST_OPTS=(default_hooks.checkpoint.save_best=None "${ST_DATA_OPTS[@]}")
  stage st_embed_s1 $MIM train mmpose_track "$S1_CFG" --work-dir "$STW/s1" --no-validate \
    --cfg-options "${ST_OPTS[@]}" ${S1_ITERS:+train_cfg.max_iters=$S1_ITERS}
  stage st_embed_s2 $MIM train mmpose_track "$S2_CFG" --work-dir "$STW/s2" --no-validate \
    --cfg-options load_from="$(last_ckpt "$STW/s1")" "${ST_OPTS[@]}"
  stage st_embed_s3 $MIM train mmpose_track "$S3_CFG" --work-dir "$STW/s3" --no-validate \
    --cfg-options load_from="$(last_ckpt "$STW/s2")" "${ST_OPTS[@]}"
  S3_CKPT=$(last_ckpt "$STW/s3")
  ROWS=(full he-tie he tie ke-sie oks)
  for row in "${ROWS[@]}"; do
    cfg=$ST/st-embed-t4-${row}_temporalnet-hg1-tiny_synthetic-128x128.py
    [ "$row" = full ] && cfg=$S3_CFG
    stage "st_embed_test_$row" $MIM test mmpose_track "$cfg" --checkpoint "$S3_CKPT" \
      --work-dir "$STW/test" --out "$WORK_ABS/metrics_st-embed-$row.json" \
      --cfg-options test_evaluator.out_dir="$WORK_ABS/preds_st-embed-$row" "${ST_DATA_OPTS[@]}"
  done
  python - "$WORK_ABS" "$TIMES" "$((SECONDS - t_start))" "${ROWS[@]}" <<'PY'
import json, os, os.path as osp, sys
work, times, total, rows = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
def row(m):
    return ' '.join(f'{m.get(f"posetrack/{k}", float("nan")):6.2f}' for k in ('AP', 'MOTA', 'MOTP',
                                                                               'HOTA'))
print('\nSynthetic PoseTrack18 val:')
print(f'  {"method":12s} {"boxes / tracker":26s} {"AP":>6s} {"MOTA":>6s} {"MOTP":>6s} {"HOTA":>6s}')
names = {'full': 'HE+TIE+PGG (ours)', 'he-tie': 'HE+TIE, TIE without PGG', 'he': 'HE',
         'tie': 'TIE', 'ke-sie': 'KE+SIE', 'oks': 'OKS'}
for r in rows:
    m = json.load(open(osp.join(work, f'metrics_st-embed-{r}.json')))
    print(f'  {"ST-Embed":12s} {names[r]:26s} ' + row(m))
# the other methods' rows, when the pipeline job ran in the same WORK_DIR
other = {'nms': 'NMS / OKS-Kalman-CMC', 'gbg': 'GBG / OKS-Kalman-CMC',
         'oks-greedy': 'NMS / OKS-greedy', 'iou-appearance': 'NMS / IoU + appearance'}
found = [v for v in other if osp.exists(osp.join(work, f'metrics_{v}.json'))]
for v in found:
    print(f'  {"OGN (tiny)":12s} {other[v]:26s} ' + row(json.load(open(osp.join(work,
                                                                          f'metrics_{v}.json')))))
if not found:
    print('  (OGN rows: run `bash tools/quickstart.sh` with the same WORK_DIR to add them)')
print('Stage wall times (s): ' + ', '.join(
    f'{n} {t}' for n, t in (line.split() for line in open(times))) + f'; total {total}')
print(f'Prediction files: {work}/preds_st-embed-full/')
PY
  exit 0
fi
# ---------------------------------------------------------------------------- TKMRNet (top-down)
if [ "$MAIN_JOB" = tkmrnet ]; then
  # the tiny chain of configs/tkmrnet/tiny on the tiny detector's boxes: stage 1 (single frame),
  # stage 2 = M5 (matching + refinement on clips, stage 1 frozen; also the weights of M1-M3, M7)
  # and, for rows M4 (TBM) / M6 (self-refinement), their own stage 2s; then Table 3's rows in the
  # tracking loop, and the identity switches of the crossing pairs
  TK=configs/tkmrnet/tiny
  TKW="$WORK_ABS/tkmrnet"
  read -r -a ROWS <<< "${TK_ROWS:-m1 m2 m3 m5 m7}"
  read -r -a GT_ROWS <<< "${TK_GT_ROWS-m3 m5 m7}"  # also on ground-truth boxes ('': none)
  declare -A TK_CFG=(
    [m1]=tkmrnet-t3m1_res18-tiny-cnms-iou [m2]=tkmrnet-t3m2_res18-tiny-pnms-iou
    [m3]=tkmrnet-t3m3_res18-tiny-pnms-oks [m4]=tkmrnet-t3m4_res18-tiny-pnms-tbm
    [m5]=tkmrnet-s2_res18-tiny [m6]=tkmrnet-t3m6_res18-tiny-pnms-tkm-selfrefine
    [m7]=tkmrnet-t3m7_res18-tiny-pnms-tkm-refine)
  declare -A TK_CKPT_OF=([m1]=m5 [m2]=m5 [m3]=m5 [m4]=m4 [m5]=m5 [m6]=m6 [m7]=m5)
  for row in "${ROWS[@]}" "${GT_ROWS[@]}"; do
    [ -n "${TK_CFG[$row]:-}" ] || {
      echo "TK_ROWS / TK_GT_ROWS: unknown row $row (m1-m7)" >&2; exit 2; }
  done
  person_detector_boxes
  TK_TRAIN=("${NO_VAL[@]}" "${DATA_OPTS[@]}")
  stage tkmrnet_s1 $MIM train mmpose_track "$TK/tkmrnet-s1_res18-tiny_synthetic-128x96.py" \
    --work-dir "$TKW/s1" --no-validate \
    --cfg-options "${TK_TRAIN[@]}" ${TK_S1_EPOCHS:+train_cfg.max_epochs=$TK_S1_EPOCHS}
  S1_CKPT=$(last_ckpt "$TKW/s1")
  for s2 in m5 m4 m6; do  # the stage 2s the rows need
    need=0
    for r in "${ROWS[@]}" "${GT_ROWS[@]}"; do [ "${TK_CKPT_OF[$r]}" = "$s2" ] && need=1; done
    [ "$need" = 1 ] || continue
    stage "tkmrnet_s2_$s2" $MIM train mmpose_track "$TK/${TK_CFG[$s2]}_synthetic-128x96.py" \
      --work-dir "$TKW/s2_$s2" --no-validate --cfg-options load_from="$S1_CKPT" \
      "${TK_TRAIN[@]}" ${TK_S2_EPOCHS:+train_cfg.max_epochs=$TK_S2_EPOCHS}
  done
  # the rows on the detector's boxes (tag "det") and on the ground-truth boxes (tag "gt": the
  # same boxes for every tracker, no detection errors)
  for tag in det gt; do
    if [ "$tag" = det ]; then
      TAG_ROWS=("${ROWS[@]}")
      BOXES=(test_dataloader.dataset.bbox_file="$WORK_ABS/dets_val_nms.json"
             test_dataloader.dataset.filter_cfg.bbox_score_thr="$BOX_THR")
    else
      TAG_ROWS=("${GT_ROWS[@]}")
      BOXES=(test_dataloader.dataset.bbox_file=None)
    fi
    [ "${#TAG_ROWS[@]}" -gt 0 ] || continue
    PRED_DIRS=()
    for row in "${TAG_ROWS[@]}"; do
      stage "tkmrnet_test_${tag}_$row" $MIM test mmpose_track \
        "$TK/${TK_CFG[$row]}_synthetic-128x96.py" \
        --checkpoint "$(last_ckpt "$TKW/s2_${TK_CKPT_OF[$row]}")" --work-dir "$TKW/test" \
        --out "$WORK_ABS/metrics_tkmrnet-$tag-$row.json" \
        --cfg-options "${BOXES[@]}" test_evaluator.gt_dir="$DATA_ABS/annotations/val/" \
        test_evaluator.out_dir="$WORK_ABS/preds_tkmrnet-$tag-$row" "${DATA_OPTS[@]}"
      PRED_DIRS+=("$WORK_ABS/preds_tkmrnet-$tag-$row")
    done
    python tools/analysis_tools/crossing_id_switches.py "$DATA_ABS" "${PRED_DIRS[@]}" \
      --names "${TAG_ROWS[@]}" --out "$WORK_ABS/crossing_switches_tkmrnet-$tag.json" > /dev/null
  done
  python - "$WORK_ABS" "$TIMES" "$((SECONDS - t_start))" "${ROWS[*]}" "${GT_ROWS[*]}" <<'PY'
import json, os.path as osp, sys
work, times, total = sys.argv[1:4]
spec = {'m1': ('cNMS', 'IoU', '', ''), 'm2': ('pNMS', 'IoU', '', ''),
        'm3': ('pNMS', 'OKS', '', ''), 'm4': ('pNMS', 'TBM', '', ''),
        'm5': ('pNMS', 'TKM', '', ''), 'm6': ('pNMS', 'TKM', 'yes', ''),
        'm7': ('pNMS', 'TKM', 'yes', 'yes')}
titles = {'det': "the tiny detector's boxes", 'gt': 'ground-truth boxes (no detection errors)'}
for tag, rows in zip(('det', 'gt'), (sys.argv[4].split(), sys.argv[5].split())):
    if not rows:
        continue
    cross = json.load(open(osp.join(work, f'crossing_switches_tkmrnet-{tag}.json')))
    print(f'\nSynthetic PoseTrack18 val, tiny TKMRNet (Table 3 rows) on {titles[tag]}; IDSW: '
          'identity switches (15 joints summed), all people / the crossing pairs:')
    print(f'  {"row":4s} {"NMS":5s} {"similarity":10s} {"refine":7s} {"context":7s} '
          f'{"AP":>6s} {"MOTA":>6s} {"MOTP":>6s} {"HOTA":>6s} {"IDSW":>6s} {"cross":>6s}')
    for i, r in enumerate(rows):
        m = json.load(open(osp.join(work, f'metrics_tkmrnet-{tag}-{r}.json')))
        vals = ' '.join(f'{m.get(f"posetrack/{k}", float("nan")):6.2f}'
                        for k in ('AP', 'MOTA', 'MOTP', 'HOTA'))
        nms, sim, ref, ctx = spec[r]
        print(f'  {r.upper():4s} {nms:5s} {sim:10s} {ref:7s} {ctx:7s} {vals} '
              f'{m.get("posetrack/IDSW", float("nan")):6.0f} {cross["totals"][i]:6d}')
print('Stage wall times (s): ' + ', '.join(
    f'{n} {t}' for n, t in (line.split() for line in open(times))) + f'; total {total}')
print(f'Prediction files: {work}/preds_tkmrnet-<det|gt>-<row>/')
PY
  exit 0
fi
if [ "$MAIN_JOB" = clip ]; then
  # clip tracking (Wang et al. 2020) on the tiny detector's boxes: the tiny 2D HRNet on single
  # frames (stage 1, also Table 7's "2D + oks-gbm" row), inflated to the tiny 3D HRNet and trained
  # on tubes of 3 frames (stage 2), then Table 7's rows in the tracking loop, with the person-box
  # recall of Table 9
  CT=configs/clip_tracking/tiny
  CTW="$WORK_ABS/clip"
  person_detector_boxes
  CT_TRAIN=("${NO_VAL[@]}" "${DATA_OPTS[@]}")
  stage clip_s1 $MIM train mmpose_track "$CT/clip-s1_hrnet-tiny_synthetic-128x96.py" \
    --work-dir "$CTW/s1" --no-validate \
    --cfg-options "${CT_TRAIN[@]}" ${CLIP_S1_EPOCHS:+train_cfg.max_epochs=$CLIP_S1_EPOCHS}
  stage clip_s2 $MIM train mmpose_track "$CT/clip-s2_hrnet3d-tiny-t3_synthetic-128x96.py" \
    --work-dir "$CTW/s2" --no-validate --cfg-options load_from="$(last_ckpt "$CTW/s1")" \
    "${CT_TRAIN[@]}" ${CLIP_S2_EPOCHS:+train_cfg.max_epochs=$CLIP_S2_EPOCHS}
  CLIP_ROWS=(r1 r2 r3 r4 r5 r6)
  declare -A CT_CFG=(
    [r1]=clip-s1_hrnet-tiny [r2]=clip-t7r2_hrnet3d-tiny-t3-nolink
    [r3]=clip-t7r3_hrnet3d-tiny-t3-basemerge [r4]=clip-t7r4_hrnet3d-tiny-t3-spatialmerge
    [r5]=clip-t7r5_hrnet3d-tiny-t3-temporalmerge [r6]=clip-s2_hrnet3d-tiny-t3)
  # Sec. 4.1: per-joint score thresholds that maximise MOTA on the training videos both stages
  # left out (a quarter: the tiny configs' video_split), on the detector's boxes there, per row
  if [ ! -f "$WORK_ABS/dets_train_nms.json" ]; then
    stage detect_train python tools/detect_people.py "$DET_CFG" "$(last_ckpt "$WORK_DIR/detector")" \
      --ann-file "$DATA_ABS/annotations/posetrack18_train.json" --out "$WORK_ABS/dets_train_nms.json"
  fi
  BOXES=(test_dataloader.dataset.filter_cfg.bbox_score_thr="$BOX_THR")
  for row in "${CLIP_ROWS[@]}"; do
    ckpt=$(last_ckpt "$CTW/s2")
    [ "$row" = r1 ] && ckpt=$(last_ckpt "$CTW/s1")
    cfg="$CT/${CT_CFG[$row]}_synthetic-128x96.py"
    stage "clip_fit_$row" python tools/analysis_tools/fit_joint_thresholds.py "$cfg" "$ckpt" \
      --bbox-file "$WORK_ABS/dets_train_nms.json" --work-dir "$CTW/fit_$row" \
      --out "$WORK_ABS/thresholds_clip-$row.json" --cfg-options "${BOXES[@]}" "${DATA_OPTS[@]}" \
      > "$CTW/fit_$row.log"
    stage "clip_test_$row" $MIM test mmpose_track "$cfg" \
      --checkpoint "$ckpt" --work-dir "$CTW/test" --out "$WORK_ABS/metrics_clip-$row.json" \
      --cfg-options test_dataloader.dataset.bbox_file="$WORK_ABS/dets_val_nms.json" "${BOXES[@]}" \
      test_evaluator.gt_dir="$DATA_ABS/annotations/val/" \
      test_evaluator.score_thr="$WORK_ABS/thresholds_clip-$row.json" \
      test_evaluator.out_dir="$WORK_ABS/preds_clip-$row" "${DATA_OPTS[@]}"
  done
  python - "$WORK_ABS" "$TIMES" "$((SECONDS - t_start))" "$DATA_ABS" "$BOX_THR" <<'PY'
import json, os.path as osp, sys
from mmpose_track.evaluation.functional import recovered_boxes
work, times, total, data, box_thr = sys.argv[1:6]
gt_dir, dets = osp.join(data, 'annotations', 'val'), osp.join(work, 'dets_val_nms.json')
rec = {r: recovered_boxes(gt_dir, dets, osp.join(work, f'preds_clip-{r}'), float(box_thr))
       for r in ('r1', 'r6')}
print(f"\nSynthetic PoseTrack18 val, tiny clip tracking (Table 7 rows) on the tiny detector's boxes "
      f"(score >= {box_thr}), joints thresholded per row with thresholds fitted on 2 held-out "
      'training videos (Sec. 4.1). BoxRec: ground-truth person boxes matched by an output box '
      'at IoU >= 0.5 (Table 9); IDSW: identity switches (15 joints summed):')
rows = [('r1', '2D HRNet', 'oks-gbm', ''), ('r2', '3D HRNet', 'none (OKS-NMS)', ''),
        ('r3', '3D HRNet', 'Sec. 3.2', 'baseline'), ('r4', '3D HRNet', 'Sec. 3.2', 'spatial'),
        ('r5', '3D HRNet', 'Sec. 3.2', 'temporal'), ('r6', '3D HRNet', 'Sec. 3.2', 'spatial+temp')]
print(f'  {"row":4s} {"network":9s} {"linking":15s} {"merge":13s} {"AP":>6s} {"MOTA":>6s} '
      f'{"MOTP":>6s} {"HOTA":>6s} {"BoxRec":>6s} {"IDSW":>6s}')
for r, net, link, merge in rows:
    m = json.load(open(osp.join(work, f'metrics_clip-{r}.json')))
    vals = ' '.join(f'{m.get(f"posetrack/{k}", float("nan")):6.2f}'
                    for k in ('AP', 'MOTA', 'MOTP', 'HOTA', 'BoxRecall'))
    print(f'  {r.upper():4s} {net:9s} {link:15s} {merge:13s} {vals} '
          f'{m.get("posetrack/IDSW", float("nan")):6.0f}')
r1, r6 = rec['r1'], rec['r6']
print(f"Person-box recall (Table 9) of the {r1['num_gt']} ground-truth boxes in the written files "
      "(after the joint thresholds): the detector "
      f"{r1['detector']:.2f}, 2D row {r1['predictions']:.2f}, 3D pipeline {r6['predictions']:.2f}; "
      f"the 3D pipeline recovers {r6['recovered']} boxes the detector missed (and loses "
      f"{r6['lost']}), the 2D row {r1['recovered']} (loses {r1['lost']})")
print('Stage wall times (s): ' + ', '.join(
    f'{n} {t}' for n, t in (line.split() for line in open(times))) + f'; total {total}')
print(f'Prediction files: {work}/preds_clip-<row>/')
PY
  exit 0
fi
[ "$MAIN_JOB" = pipeline ] || {
  echo "MAIN_JOB must be pipeline, st-embed, tkmrnet, clip or baseline, not $MAIN_JOB" >&2; exit 2; }

# ---------------------------------------------------------------------------- whole pipeline
OGN_CFG=${OGN_CFG:-configs/ogn/tiny/ogn-t1d_res18-tiny_synthetic-128x96.py}
OGN_EPOCHS=${OGN_EPOCHS:-40}

# 2-3. person detector, detections of the val frames
person_detector
VARIANTS=(nms)
if [ "${GBG:-1}" = 1 ]; then
  VARIANTS+=(gbg)
  stage detect_gbg python tools/detect_people.py "$DET_GBG_CFG" "$DET_CKPT" --ann-file "$VAL_ANN" \
    --out "$WORK_ABS/dets_val_gbg.json"
fi

# 4. OGN on GT boxes
OGN_MS=$(milestone "$OGN_EPOCHS")
stage ogn_train $MIM train mmpose_track "$OGN_CFG" --work-dir "$WORK_DIR/ogn" --no-validate \
  --cfg-options train_cfg.max_epochs="$OGN_EPOCHS" "${NO_VAL[@]}" \
  param_scheduler.1.end="$OGN_EPOCHS" "param_scheduler.1.milestones=[$OGN_MS]" \
  default_hooks.checkpoint.interval="$OGN_EPOCHS" \
  train_dataloader.dataset.pipeline.1.bbox_file="$DATA_ABS/annotations/posetrack18_train_human_detections.json" \
  "${DATA_OPTS[@]}"

# 4b. person ReID model for IoU + appearance tracking
REID_CFG=configs/reid/tiny/reid_res18-tiny_synthetic-64x32.py
OGN_REID_CFG=${OGN_CFG%.py}_iou-appearance.py
if [ "${REID:-1}" = 1 ] && [ -f "$OGN_REID_CFG" ]; then
  REID_DATA_OPTS=()
  [ "$DATA" != data/synthetic_posetrack18 ] && REID_DATA_OPTS=(
    train_dataloader.dataset.data_root="$DATA_ABS/" val_dataloader.dataset.data_root="$DATA_ABS/")
  [ -n "${REID_ITERS:-}" ] && REID_DATA_OPTS+=(train_cfg.max_iters="$REID_ITERS")
  stage reid_train $MIM train mmpose_track "$REID_CFG" --work-dir "$WORK_DIR/reid" --no-validate \
    --cfg-options "${REID_DATA_OPTS[@]}" default_hooks.checkpoint.save_best=None
  REID_CKPT=$(ls "$WORK_ABS"/reid/iter_*.pth | sort -V | tail -n 1)
  VARIANTS+=(oks-greedy iou-appearance)
else
  VARIANTS+=(oks-greedy)
fi

# 5. test on the detector's boxes: tracking loop + PoseTrackMetric (prediction files)
for v in "${VARIANTS[@]}"; do
  cfg=$OGN_CFG boxes=nms extra=()
  case $v in
    gbg) boxes=gbg ;;
    oks-greedy) extra=(test_cfg.tracker=configs/trackers/oks_greedy.py) ;;
    iou-appearance) cfg=$OGN_REID_CFG extra=(model.reid_checkpoint="$REID_CKPT") ;;
  esac
  stage "ogn_test_$v" $MIM test mmpose_track "$cfg" \
    --checkpoint "$WORK_DIR/ogn/epoch_${OGN_EPOCHS}.pth" \
    --work-dir "$WORK_DIR/ogn" --out "$WORK_ABS/metrics_$v.json" \
    --cfg-options test_dataloader.dataset.bbox_file="$WORK_ABS/dets_val_$boxes.json" \
    test_dataloader.dataset.filter_cfg.bbox_score_thr="$BOX_THR" \
    test_evaluator.gt_dir="$DATA_ABS/annotations/val/" test_evaluator.out_dir="$WORK_ABS/preds_$v" \
    "${extra[@]}" "${DATA_OPTS[@]}"
done

# 6. one tracked val video
VIDEO=${RENDER_VIDEO:-$(ls "$WORK_ABS/preds_nms" | head -n 1)}
VIDEO=${VIDEO%.json}
stage render python tools/render_tracks.py "$WORK_ABS/preds_nms" --images-root "$DATA_ABS" \
  --video "$VIDEO" --out "$WORK_ABS/tracked_${VIDEO}.mp4"

# 7. summary
python - "$WORK_ABS" "$OGN_CFG" "$TIMES" "$((SECONDS - t_start))" "${VARIANTS[@]}" <<'PY'
import json, os.path as osp, sys
work, cfg, times, total, variants = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
print(f'\nSynthetic PoseTrack18 val: tiny detector -> {osp.basename(cfg)[:-3]} -> tracker')
names = {'nms': ('NMS', 'OKS-Kalman-CMC'), 'gbg': ('GBG', 'OKS-Kalman-CMC'),
         'oks-greedy': ('NMS', 'OKS-greedy'), 'iou-appearance': ('NMS', 'IoU + appearance')}
print(f'  {"boxes":6s} {"tracker":17s} {"AP":>6s} {"MOTA":>6s} {"MOTP":>6s} {"HOTA":>6s}')
for v in variants:
    m = json.load(open(osp.join(work, f'metrics_{v}.json')))
    row = [m.get(f'posetrack/{k}', float('nan')) for k in ('AP', 'MOTA', 'MOTP', 'HOTA')]
    print(f'  {names[v][0]:6s} {names[v][1]:17s} ' + ' '.join(f'{x:6.2f}' for x in row))
print('Stage wall times (s): ' + ', '.join(
    f'{n} {t}' for n, t in (line.split() for line in open(times))) + f'; total {total}')
print(f'Prediction files: {work}/preds_{variants[0]}/;  video: ' +
      ', '.join(sorted(p for p in __import__("os").listdir(work) if p.endswith('.mp4'))))
PY
