#!/usr/bin/env bash
# usage: phaseb.sh [RUNS_FOLDER]  (default: runs) -- round 11: wait for the fresh runs
# RUNS/def-s20, def-s21 (2800 steps), fork each into ctl (tau 300, as before round 11) and
# det (deterministic from 2800) up to 3600 steps (the preset's max_time 3600 s stopped them
# at ~3380 here), and evaluate all six on 1000 held-out scenes into RUNS/ev
cd "${1:-runs}" || exit 1
mkdir -p ev
E=econ-pyro
export OMP_NUM_THREADS=1
while pgrep -f "econ-pyro train --out def-s" > /dev/null; do sleep 10; done
for s in 20 21; do
  cp -r def-s$s ctl-s$s; cp -r def-s$s det-s$s
done
for s in 20 21; do
  $E train --resume ctl-s$s --set train.deterministic_from=null --max-steps 3600 > ctl-s$s.log 2>&1 &
  $E train --resume det-s$s --set train.deterministic_from=2800 --max-steps 3600 > det-s$s.log 2>&1 &
done
for s in 20 21; do $E evaluate def-s$s --n 1000 --controlled 100 --out ev/def-s$s.json > ev/def-s$s.txt 2>&1; done
wait
for r in ctl-s20 det-s20 ctl-s21 det-s21; do
  $E evaluate $r --n 1000 --controlled 100 --out ev/$r.json > ev/$r.txt 2>&1 &
done
wait
echo PHASEB DONE
