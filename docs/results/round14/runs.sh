#!/usr/bin/env bash
# usage: runs.sh [RUNS_FOLDER] -- round 14 (session 14), one thread per run, two side by side:
#  def-sS  fresh runs of the cpu-unique preset exactly as shipped (max_time 3600 s) on the
#          session-14 code (the U-Net keeps channels_last: more steps in the same wall time),
#          seeds 13 and 14 (seeds never run before)
# then evaluate each on 1000 held-out scenes (as in rounds 9-13).
mkdir -p "${1:-runs}" && cd "${1:-runs}" || exit 1
export OMP_NUM_THREADS=1
for s in 13 14; do
  econ-pyro train --out def-s$s --set train.seed=$s --set train.snapshot_every=0 \
    > def-s$s.log 2>&1 &
done
wait
mkdir -p ev
for s in 13 14; do
  econ-pyro evaluate def-s$s --n 1000 --controlled 100 --out ev/def-s$s.json > ev/def-s$s.txt 2>&1
done
