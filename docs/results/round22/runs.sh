#!/usr/bin/env bash
# usage: runs.sh [RUNS_FOLDER] -- round 22 (session 22), run from the repository root.  One
# thread per process; two trainings side by side on 2 cores.  Machine: lscpu.txt (the AVX-512
# AMD EPYC of rounds 20-21, family 25 model 17).
. "$(cd "$(dirname "$0")" && pwd)/../records.sh"
runs_folder "$1"
# 1. round 20's hot start on its two late merges (seeds 14, 2021: reserved in a merged run
#    at steps 1600 / 1500), with the reservation also waiting while merged
#    (train.reserve_background_merged_below = 0.7, new): does a merged run left unreserved
#    recover?  (Both were stopped with SIGINT after 2295 s, steps 4763 / 4812: neither
#    had reserved; the question was answered; the cores went to part 2.)
train_seeds mg "14 2021" --set train.temperature_start=30000 \
  --set train.reserve_background_merged_below=0.7
evaluate mg-s14 mg-s2021
econ-pyro curves mg-s14 mg-s2021 --every 5 > curves-mg.txt
BOTH=(--set train.restart_merged_until=3000 --set train.reserve_background_merged_below=0.7)
# 2. the default preset with both the merge check window (train.restart_merged_until = 3000,
#    round 21) and the merged guard (0.7) on fresh seeds: a run merged by 0.9 restarts,
#    one between 0.7 and 0.9 waits; where neither fires the run is the default's own.
#    Seeds 27 and 28, then 29 and 30
#    (.ci/run of 625e6ec beside 27 and 28 under nice 19 from minute 9 to 48)
train_seeds both "27 28" "${BOTH[@]}"
evaluate both-s27 both-s28
train_seeds both "29 30" "${BOTH[@]}"
evaluate both-s29 both-s30
econ-pyro curves both-s27 both-s28 both-s29 both-s30 --every 5 > curves-both.txt
