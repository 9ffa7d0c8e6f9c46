#!/usr/bin/env bash
# usage: runs.sh [RUNS_FOLDER] -- round 20 (session 20), run from the repository root.  One
# thread per process; two trainings side by side on 2 cores.  Machine: lscpu.txt (an AMD EPYC
# with AVX-512 and avx512_bf16, family 25 model 17 -- not the AVX2-only one of rounds 13-19).
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "${1:-runs}/ev" && cd "${1:-runs}" || exit 1
export OMP_NUM_THREADS=1
train() {  # train OUT SEED [--set ...]: the default preset without restarts
  local out=$1 seed=$2; shift 2
  econ-pyro train --preset cpu-unique --set train.seed=$seed --set train.max_restarts=0 "$@" \
    --out $out > $out.log 2>&1
}
hot_pair() {  # hot_pair SEED SEED: the hot start to the end, side by side, then 1000 scenes each
  for s in "$@"; do train hot-s$s $s --set train.temperature_start=30000 & done
  wait
  for s in "$@"; do
    econ-pyro evaluate hot-s$s --n 1000 --controlled 1000 --out ev/hot-s$s-r0.json \
      > ev/hot-s$s-r0.txt
  done
}
merge_checks() {  # merge_checks LABEL RUN...: each run's step-1000 merge check, one line each
  local label=$1; shift
  for r in "$@"; do grep -h restart_check $r/metrics.jsonl | sed "s/^/$r$label /"; done
}
# 0. the benchmark sweep, nothing else running
OMP_NUM_THREADS= econ-pyro bench --sweep --nets cpu --reps 3 --out bench-sweep-s20.json \
  > bench-sweep-s20.txt
# 1. the hot start (tau 30000 -> 300 over the default's 2000 steps) to the end on two seeds
#    that specialise with the default (13: round 14; 22: round 19's screen)
hot_pair 13 22
# 2. the sweep again with both net sizes and the channels_last+bf16 variant; the bf16 matmul
OMP_NUM_THREADS= econ-pyro bench --sweep --nets cpu paper --reps 3 --out bench-sweep2-s20.json \
  > bench-sweep2-s20.txt
OMP_NUM_THREADS= python "$HERE/matmul_bf16.py"
# 3. the hot start on seed 14 (specialised with the default; screen 0.82) and 2021 (merged
#    with the default; screen 0.80); .ci/run from a fresh clone beside them for 30 min
hot_pair 14 2021
merge_checks "" hot-s13 hot-s22 hot-s14 hot-s2021 > merge_check_1000.txt
python "$HERE/time_to_target.py" hot-s13 hot-s22 hot-s14 hot-s2021 > time_to_target.txt
# 4. control: the default (no hot start) on seed 14 on this machine, alone, two threads, to
#    step 1700 (past the hot start's merge at 1000-1600)
OMP_NUM_THREADS=2 econ-pyro train --preset cpu-unique --set train.seed=14 --set train.max_restarts=0 \
  --set train.standardise_latents=0 --max-steps 1700 --out scr-def-s14 > scr-def-s14.log 2>&1
#    (stopped at step 1212, merged); then the default on seeds 13 and 22, side by side, to 1000
for s in 13 22; do
  train scr-def-s$s $s --set train.standardise_latents=0 --max-steps 1000 &
done
wait
merge_checks " (default)" scr-def-s14 scr-def-s13 scr-def-s22 >> merge_check_1000.txt
