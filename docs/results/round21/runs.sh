#!/usr/bin/env bash
# usage: runs.sh [RUNS_FOLDER] -- round 21 (session 21), run from the repository root.  One
# thread per process; two trainings side by side on 2 cores.  Machine: lscpu.txt (the AVX-512
# AMD EPYC of round 20, family 25 model 17).
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "${1:-runs}/ev" && cd "${1:-runs}" || exit 1
export OMP_NUM_THREADS=1
evaluate() {  # evaluate RUN...: 1000 held-out scenes each
  for r in "$@"; do
    econ-pyro evaluate $r --n 1000 --controlled 1000 --out ev/$r-r0.json > ev/$r-r0.txt
  done
}
# 1. the hot start (round 20) with the merge check at every evaluation from step 1000 to
#    3000 until the reservation (train.restart_merged_until, new), default max_restarts 2,
#    on the two seeds whose hot-start runs merged after step 1000 in round 20
for s in 14 2021; do
  econ-pyro train --preset cpu-unique --set train.seed=$s --set train.temperature_start=30000 \
    --set train.restart_merged_until=3000 --out win-s$s > win-s$s.log 2>&1 &
done
wait
evaluate win-s14 win-s2021
# 2. the default preset with the same window (restart_merged_until 3000) on two fresh seeds,
#    side by side, .ci/run from a fresh clone beside them for its first ~25 min
for s in 25 26; do
  econ-pyro train --preset cpu-unique --set train.seed=$s --set train.restart_merged_until=3000 \
    --out def-s$s > def-s$s.log 2>&1 &
done
wait
evaluate def-s25 def-s26
# the first evaluation with #7's numbers, in minutes since the run began (restarts included)
econ-pyro curves win-s14 win-s2021 def-s25 def-s26 --every 10 > curves.txt
python "$HERE/merge_checks.py" win-s14 win-s2021 def-s25 def-s26 > merge_checks.txt
