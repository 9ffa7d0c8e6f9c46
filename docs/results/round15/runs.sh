#!/usr/bin/env bash
# usage: runs.sh [RUNS_FOLDER] -- round 15 (session 15).  One thread per process; this session
# ran two to seven processes side by side on 2 cores (step counts are fixed, times are not
# comparable).  Paths of earlier rounds' run folders (r13/, r14/) are those of their runs.sh.
#
# 1. The VAE harness: one expert's VAE outside ECON, the ideal triangle specialist
#    (vae_harness.py; logs in harness/, last lines in harness.txt)
# 2. Refinement of the winners' latents at evaluation (econ-pyro evaluate --refine): the
#    steps and step size chosen on 100 validation scenes (seed 777, refine_choice.txt), then
#    every model on the 1000 held-out scenes (seed 12345) with --refine 30
# 3. Continuing the session-12 cpu-unique (cpu-unique-s12, shipped as cpu-unique until this
#    session) with the deterministic competition, lr 3e-4, patience
#    20, seed 3, until 2400 steps or 3600 s (here 3600 s: 2079 / 2075 steps): beta 1 (det-b1)
#    against beta 0.1 (det-b01); det-b1 is shipped as cpu-unique since this session
# (ev/cpu-unique-s12*.json were evaluated while that model was still shipped as cpu-unique:
# their "run" field says so)
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "${1:-runs}/harness" "${1:-runs}/ev" && cd "${1:-runs}" || exit 1
export OMP_NUM_THREADS=1
h() { python "$HERE/vae_harness.py" "$@" > "harness/$2.log" 2>&1; }
h --name base1500 & h --name base_4500 --steps 4500 &
wait
h --name hidden64 --hidden 64 & h --name beta0.1 --beta 0.1 &
wait
h --name latent5 --latent 5 & h --name features32 --features 32 &
wait
for s in 1 2; do
  h --name base_s$s --seed $s & h --name hidden64_s$s --hidden 64 --seed $s &
  wait
  h --name beta0.1_s$s --beta 0.1 --seed $s & h --name h64b0.1_s$s --hidden 64 --beta 0.1 --seed $s &
  wait
done
h --name h64b0.1 --hidden 64 --beta 0.1 & h --name lr3e-4 --lr 3e-4 &
wait
h --name h64b0.1_4500 --hidden 64 --beta 0.1 --steps 4500 &
wait
h --name base_15k --steps 15000 & h --name h64b0.1_15k --hidden 64 --beta 0.1 --steps 15000 &
wait

SEED=777 python "$HERE/refine_choice.py" cpu-unique-s12 100 30:0.1 60:0.1 30:0.05 30:0.2 \
  > refine_choice.txt
for r in cpu-unique-s12 r14/def-s13 r14/def-s14 r13/ctl-s1 r13/dpa-s3 r13/dpa-s1 r13/det3k-s1; do
  n=$(basename $r)
  econ-pyro evaluate $r --n 1000 --controlled 0 --refine 30 --out ev/$n-r30.json > ev/$n-r30.txt
done
econ-pyro evaluate cpu-unique-s12 --n 1000 --controlled 0 --out ev/cpu-unique-s12.json > ev/cpu-unique-s12.txt
for r in monet-k1 cpu-random; do
  econ-pyro evaluate $r --n 1000 --controlled 0 --out ev/$r-r0.json > ev/$r-r0.txt
  econ-pyro evaluate $r --n 1000 --controlled 0 --refine 30 --out ev/$r-r30.json > ev/$r-r30.txt
done
for r in cpu-unique-s12 r14/def-s13; do  # the posterior mean that refinement starts from
  n=$(basename $r)
  econ-pyro evaluate $r --n 1000 --controlled 0 --posterior-mean --out ev/$n-mean.json > ev/$n-mean.txt
done
python "$HERE/refine_cost.py" > refine_cost.txt

COMMON="--max-steps 2400 --max-time 3600 --set train.init_from=cpu-unique-s12 --set model.min_region=10
 --set train.temperature_start=null --set model.temperature=300 --set train.lr=3e-4
 --set train.patience=20 --set train.snapshot_every=0 --set train.seed=3
 --set train.deterministic_from=0"
econ-pyro train --out det-b1 $COMMON > det-b1.log 2>&1 &
econ-pyro train --out det-b01 $COMMON --set model.beta=0.1 > det-b01.log 2>&1 &
wait
for r in det-b1 det-b01; do
  econ-pyro evaluate $r --n 1000 --controlled 100 --out ev/$r-r0.json > ev/$r-r0.txt
  econ-pyro evaluate $r --n 1000 --controlled 0 --refine 30 --out ev/$r-r30.json > ev/$r-r30.txt
done
# the shipped model's controlled generation on 1000 samples
econ-pyro evaluate cpu-unique --n 100 --controlled 1000 --out ev/cpu-unique-ctl1000.json > ev/cpu-unique-ctl1000.txt
# 4. The same finishing phase for round 14's two fresh default seeds (r14/def-s13, def-s14:
#    3600 s of the preset each), 1800 s or 2400 steps, then evaluated with and without --refine
for s in 13 14; do
  econ-pyro train --out fin-s$s --max-steps 2400 --max-time 1800 --set train.init_from=r14/def-s$s \
    --set model.min_region=10 --set train.temperature_start=null --set model.temperature=300 \
    --set train.lr=3e-4 --set train.patience=20 --set train.snapshot_every=0 --set train.seed=3 \
    --set train.deterministic_from=0 > fin-s$s.log 2>&1 &
done
wait
for r in fin-s13 fin-s14; do
  econ-pyro evaluate $r --n 1000 --controlled 100 --out ev/$r-r0.json > ev/$r-r0.txt
  econ-pyro evaluate $r --n 1000 --controlled 0 --refine 30 --out ev/$r-r30.json > ev/$r-r30.txt
done
