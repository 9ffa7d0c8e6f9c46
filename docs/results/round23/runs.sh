#!/usr/bin/env bash
# usage: runs.sh [RUNS_FOLDER] -- round 23 (session 23), run from the repository root.  One
# thread per process; two trainings side by side on 2 cores.  Machine: lscpu.txt (the AVX-512
# AMD EPYC of rounds 20-22, family 25 model 17).
. "$(cd "$(dirname "$0")" && pwd)/../records.sh"
runs_folder "$1"
# 1. The default preset with every label-free restart on, fresh seeds 31 and 32:
#  - the merge check window (train.restart_merged_until = 3000, round 21): a run merged by
#    0.9 at any evaluation before its reservation starts again;
#  - the merged guard (train.reserve_background_merged_below = 0.7, round 22): a run merged
#    by 0.7 does not reserve its background expert;
#  - the background-first restart (train.restart_unreserved_at = 3000, round 17, so far only
#    in cpu-unique-finish): a run not reserved by step 3000 -- background first, or held by
#    the guard -- starts again.  Every run on record that met #7 reserved by step 2700.
# At most two restarts (the preset's max_restarts); each attempt has the preset's 3600 s.
ALL=(--set train.restart_merged_until=3000 --set train.reserve_background_merged_below=0.7
     --set train.restart_unreserved_at=3000)
train_seeds all "31 32" "${ALL[@]}"
evaluate all-s31 all-s32
econ-pyro curves all-s31 all-s32 --every 5 > curves-all.txt
# 2. (beside part 1, a third process) round 22's background-first seed 30: what it does at
#    the end (bg_first.py: the background at the third object step, by the expert that
#    also explains the triangles at the last step), and its best checkpoint (step 3900)
#    continued for 1500 steps with that expert -- the one taking the largest region --
#    reserved for the background (lr 3e-4, proposals under 10 px barred and tau 300, as
#    after a reservation in the preset; fresh optimiser)
R22=../round22-runs  # round 22's run folders (both-s30)
OMP_NUM_THREADS=1 python "$(dirname "$0")/bg_first.py" "$R22/both-s30/last.pt" 30 > bg_first-s30.txt
OMP_NUM_THREADS=1 python "$(dirname "$0")/bg_first.py" "$R22/both-s30/best.pt" 30 > bg_first-s30-best.txt
CONTINUE=(--preset cpu-unique --set train.seed=30 --set train.init_from="$R22/both-s30/best.pt"
          --set model.min_region=10 --set train.temperature_start=300
          --set train.temperature_end=300 --set train.lr=3e-4 --set train.restart_merged_at=null
          --set train.max_steps=1500 --set train.standardise_latents=0)
econ-pyro train "${CONTINUE[@]}" --set model.background_expert=1 --out take-s30 > take-s30.log 2>&1
econ-pyro standardise take-s30 > take-s30-standardise.log
evaluate take-s30
# 3. (a third process beside part 1) the same in-run, as the new
#    train.reserve_background_taker_from: seed 30 with round 22's options (it reproduces
#    both-s30 to the digit up to the option's step) and the taker reserved from step 3000;
#    max_time 5400 s because three processes shared the 2 cores
econ-pyro train --preset cpu-unique --set train.seed=30 --set train.restart_merged_until=3000 \
  --set train.reserve_background_merged_below=0.7 --set train.reserve_background_taker_from=3000 \
  --set train.max_time=5400 --out taker-s30 > taker-s30.log 2>&1
evaluate taker-s30
econ-pyro curves taker-s30 --every 5 > curves-taker.txt
# 4. control for part 2 (after parts 1 and 3, alone): the same continuation of seed 30's
#    step-3900 checkpoint with nothing reserved; stopped at the session's end (dashboard only)
econ-pyro train "${CONTINUE[@]}" --out ctl-s30 > ctl-s30.log 2>&1
