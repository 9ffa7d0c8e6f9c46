#!/usr/bin/env bash
# 1000-step screens against the early merge on seed 21 (merges at step 1000 under the default:
# merged share 1.00, deterministic reproduction); max_restarts 0 so no restart happens
cd /work/r17/econ
export OMP_NUM_THREADS=1
S=${S:-21}
econ-pyro train --preset cpu-unique --set train.seed=$S --set train.max_restarts=0 --max-steps 1000 \
  --set train.balance=1 --set train.balance_anneal_steps=1500 --set train.standardise_latents=0 \
  --out scr-bal-s$S > scr-bal-s$S.log 2>&1 &
econ-pyro train --preset cpu-unique --set train.seed=$S --set train.max_restarts=0 --max-steps 1000 \
  --set train.anneal_steps=4000 --set train.standardise_latents=0 \
  --out scr-slow-s$S > scr-slow-s$S.log 2>&1 &
wait
for v in bal slow; do
  python /work/main/docs/results/round17/merge_check_ckpt.py scr-$v-s$S/last.pt $S
done > screen-s$S.txt
