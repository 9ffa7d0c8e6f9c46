#!/usr/bin/env bash
# usage: runs.sh [RUNS_FOLDER] -- round 17 (session 17), run from the repository root.  One
# thread per process; two trainings side by side on 2 cores (times are not comparable).
# R16: round 16's run folder, an absolute path (its fin-s13.pt, fin-s14.pt with fitted priors:
# docs/results/round16/runs.sh).
HERE=$(cd "$(dirname "$0")" && pwd)
R16=${R16:-runs16}
mkdir -p "${1:-runs}/ev" && cd "${1:-runs}" || exit 1
export OMP_NUM_THREADS=1
# 1. Refinement (--refine 30) under the model's fitted prior (the default since this round)
#    and under N(0, I) (--standard-prior: what refinement charged before), 1000 held-out scenes
for m in cpu-unique $R16/fin-s13.pt $R16/fin-s14.pt cpu-random monet-k1; do
  n=$(basename $m .pt)
  econ-pyro evaluate $m --n 1000 --controlled 0 --refine 30 --out ev/$n-r30-fitted.json > ev/$n-r30-fitted.txt
  econ-pyro evaluate $m --n 1000 --controlled 0 --refine 30 --standard-prior --out ev/$n-r30-std.json > ev/$n-r30-std.txt
done
python "$HERE/refine_trainprior.py" cpu-unique ev/cpu-unique-r30-train.json > ev/cpu-unique-r30-train.txt
python "$HERE/paired_refine.py" > paired_refine.txt  # reads ev/*-r30-{std,fitted}.json
# 2. cpu-unique-finish with the merged-run restart (session 17 code before the preset had it;
#    the attempt of seed 2021 was stopped by SIGINT at step 967 to free the core)
for s in 21 23; do
  econ-pyro train --preset cpu-unique-finish --set train.seed=$s --set train.restart_merged_at=1000 \
    --max-time 9000 --out rs-s$s > rs-s$s.log 2>&1 &
done
wait
python "$HERE/merge_check_ckpt.py" rs-s21/last.pt 2021 > merge_check_s2021.txt
for a in "1-seed21 21" "2-seed1021 1021"; do set -- $a
  python "$HERE/merge_check_ckpt.py" rs-s21/attempts/$1/last.pt $2 >> merge_check_s2021.txt
done
# 3. the default preset as committed this round (restart_merged_at 1000), seed 24
econ-pyro train --preset cpu-unique --set train.seed=24 --out def-s24 > def-s24.log 2>&1
# 4. evaluations, 1000 held-out scenes (+ --refine 30)
for r in rs-s23 def-s24; do
  econ-pyro evaluate $r --n 1000 --controlled 1000 --out ev/$r-r0.json > ev/$r-r0.txt
  econ-pyro evaluate $r --n 1000 --controlled 0 --refine 30 --out ev/$r-r30.json > ev/$r-r30.txt
done
# records of earlier runs (from docs/results): when did the guarded runs reserve?
(cd "$HERE/.." && python round17/reservation_steps.py) > reservation_steps.txt
