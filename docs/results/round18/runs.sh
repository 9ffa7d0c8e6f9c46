#!/usr/bin/env bash
# usage: runs.sh [RUNS_FOLDER] -- round 18 (session 18), run from the repository root.  One
# thread per process; the two trainings side by side on 2 cores.
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "${1:-runs}/ev" && cd "${1:-runs}" || exit 1
export OMP_NUM_THREADS=1
# 1. the default preset with the slower anneal (3000 -> 300 over 4000 steps), no restart, on
#    the two seeds that merge by step 1000 with the default; step 1000's checkpoint kept
for s in 21 1021; do
  econ-pyro train --preset cpu-unique --set train.seed=$s --set train.max_restarts=0 \
    --set train.anneal_steps=4000 --out slow-s$s > slow-s$s.log 2>&1 &
done
"$HERE/watch1000.sh" slow-s21 slow-s1021
wait
for a in "slow-s21 21" "slow-s1021 1021"; do set -- $a
  python "$HERE/../round17/merge_check_ckpt.py" $1/step1000.pt $2
done > merge_check_1000.txt
# 2. at 60 min (3600 s), then the same runs continued to 5400 s; 1000 held-out scenes each time
for s in 21 1021; do cp slow-s$s/last.pt slow-s$s/last60.pt; done
for s in 21 1021; do
  econ-pyro train --resume slow-s$s --max-time 5400 > slow-s$s-resume.log 2>&1 &
done
for s in 21 1021; do
  econ-pyro evaluate slow-s$s/last60.pt --n 1000 --controlled 0 --out ev/slow-s$s-60-r0.json > ev/slow-s$s-60-r0.txt
done
wait
econ-pyro evaluate slow-s21 --n 1000 --controlled 0 --out ev/slow-s21-90-r0.json > ev/slow-s21-90-r0.txt
econ-pyro evaluate slow-s1021 --n 1000 --controlled 1000 --out ev/slow-s1021-90-r0.json > ev/slow-s1021-90-r0.txt
# 3. screen: a middle anneal (3000 steps), 1000 steps, merge check on the last checkpoint
for s in 21 1021; do
  econ-pyro train --preset cpu-unique --set train.seed=$s --set train.max_restarts=0 --max-steps 1000 \
    --set train.anneal_steps=3000 --set train.standardise_latents=0 --out scr-a3000-s$s > scr-a3000-s$s.log 2>&1 &
done
wait
for a in "scr-a3000-s21 21" "scr-a3000-s1021 1021"; do set -- $a
  python "$HERE/../round17/merge_check_ckpt.py" $1/last.pt $2
done > screen-a3000.txt
# 4. one run on the 2 cores three ways (nothing else running)
"$HERE/ddp_speed.sh" ddp > ddp_speed.txt
python "$HERE/ddp_rates.py" ddp > ddp_rates.txt
