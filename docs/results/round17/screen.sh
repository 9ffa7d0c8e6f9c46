#!/usr/bin/env bash
# usage: S=SEED screen.sh [RUNS_FOLDER] -- round 17's 1000-step screens against the early
# merge (seeds 21 and 1021 merge at step 1000 under the default: merged share 1.00), run from
# the repository root; max_restarts 0 so that no restart happens; two runs side by side
HERE=$(cd "$(dirname "$0")" && pwd)
S=${S:-21}
mkdir -p "${1:-runs}" && cd "${1:-runs}" || exit 1
export OMP_NUM_THREADS=1
econ-pyro train --preset cpu-unique --set train.seed=$S --set train.max_restarts=0 --max-steps 1000 \
  --set train.balance=1 --set train.balance_anneal_steps=1500 --set train.standardise_latents=0 \
  --out scr-bal-s$S > scr-bal-s$S.log 2>&1 &
econ-pyro train --preset cpu-unique --set train.seed=$S --set train.max_restarts=0 --max-steps 1000 \
  --set train.anneal_steps=4000 --set train.standardise_latents=0 \
  --out scr-slow-s$S > scr-slow-s$S.log 2>&1 &
wait
for v in bal slow; do
  python "$HERE/merge_check_ckpt.py" scr-$v-s$S/last.pt $S
done > screen-s$S.txt
