#!/usr/bin/env bash
# usage: runs.sh [RUNS_FOLDER] -- round 19 (session 19), run from the repository root.  One
# thread per process; two trainings side by side on 2 cores (three for about 10 minutes).
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "${1:-runs}/ev" && cd "${1:-runs}" || exit 1
export OMP_NUM_THREADS=1
train() {  # train OUT SEED [--set ...]: the default preset without restarts
  local out=$1 seed=$2; shift 2
  econ-pyro train --preset cpu-unique --set train.seed=$seed --set train.max_restarts=0 "$@" \
    --out $out > $out.log 2>&1
}
check() {  # check CHECKPOINT SEED: the trainer's merge check on a checkpoint
  python "$HERE/../round17/merge_check_ckpt.py" "$@"
}
# 1. the linear anneal (3000 -> 300 over the default's 2000 steps) on the two seeds that merge
#    by step 1000 with the default; lin-s1021 was stopped at step 1514 (merged)
train lin-s21 21 --set train.temperature_schedule=linear &
train lin-s1021 1021 --set train.temperature_schedule=linear &
"$HERE/../round18/watch1000.sh" lin-s21 lin-s1021
{ check lin-s21/step1000.pt 21; check lin-s1021/step1000.pt 1021; } > merge_check_1000.txt
python "$HERE/merged_areas.py" lin-s1021/step1000.pt 1021 > merged_areas.txt
# 2. screens on seed 1021: proposals under 10 px lose from step 0 (stopped at step 555); a hot
#    start, tau 30000 -> 300 over 2000 steps (stopped at step 653)
train scr-mr10-s1021 1021 --max-steps 1000 --set model.min_region=10 \
  --set train.standardise_latents=0 &
train scr-t30k-s1021 1021 --max-steps 700 --set train.temperature_start=30000 \
  --set train.standardise_latents=0 &
# (a linear run of seed 13, lin-s13, was started here and stopped at step 664 for the next runs)
wait
# 3. the hot start to the end on both seeds
train hot-s21 21 --set train.temperature_start=30000 &
train hot-s1021 1021 --set train.temperature_start=30000 &
"$HERE/../round18/watch1000.sh" hot-s21 hot-s1021
{ check hot-s21/step1000.pt 21; check hot-s1021/step1000.pt 1021; } > merge_check_hot_1000.txt
wait
# 4. 1000 held-out scenes for each run to the end
for r in lin-s21 hot-s21 hot-s1021; do
  econ-pyro evaluate $r --n 1000 --controlled 1000 --out ev/$r-r0.json > ev/$r-r0.txt
done
# 5. the hot start screened on a third merged seed (2021) and a seed that specialises with the
#    default (13, round 14), 1000 steps
train scr-hot-s2021 2021 --max-steps 1000 --set train.temperature_start=30000 \
  --set train.standardise_latents=0 &
train scr-hot-s13 13 --max-steps 1000 --set train.temperature_start=30000 \
  --set train.standardise_latents=0 &
wait
{ check scr-hot-s2021/last.pt 2021; check scr-hot-s13/last.pt 13; } > screen-hot.txt
for s in 14 22; do  # two more seeds that do not merge with the default; the trainer's own check
  train scr-hot-s$s $s --max-steps 1000 --set train.temperature_start=30000 \
    --set train.standardise_latents=0 &
done
wait
for s in 14 22; do grep restart_check scr-hot-s$s/metrics.jsonl; done > screen-hot-good.txt
# 6. out of distribution: cutting each proposal to its largest connected part (prototype)
python "$HERE/ood_components.py" cpu-unique 1000 > ood_components.txt
python "$HERE/same_class_contact.py" > same_class_contact.txt
