#!/usr/bin/env bash
# usage: run.sh SECONDS ; 4 configs x 3 seeds of cpu-unique side by side on one GPU
set -u
python3 -m pip install -q --no-deps .whl/*.whl > /dev/null 2>&1
export PYTHONPATH=$PWD OMP_NUM_THREADS=1 PYTHONUNBUFFERED=1
secs=$1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee $OUT/summary.txt
python3 -c "import torch,pyro;print(torch.__version__, pyro.__version__)" | tee -a $OUT/summary.txt
lscpu | grep 'Model name' | tee -a $OUT/summary.txt
# smoke first (fails fast if anything is wrong on CUDA): all train paths incl. dashboard + snapshot
python3 -m econ_pyro.cli train --preset smoke --device cuda --out smoke \
  --set train.snapshot_every=10 > smoke.log 2>&1 || { tail -30 smoke.log | tee -a $OUT/summary.txt; exit 1; }
tail -2 smoke.log | tee -a $OUT/summary.txt
declare -A C
C[def]=""
C[g1]="--set model.gamma=1.0"
C[l2]="--set model.latent_dim=2"
C[a1k]="--set train.anneal_steps=1000"
mkdir -p runs
for name in "${!C[@]}"; do for s in 0 1 2; do
  python3 -m econ_pyro.cli train --device cuda --max-time "$secs" --out runs/$name-s$s \
    --set train.seed=$s ${C[$name]} > runs/$name-s$s.log 2>&1 &
done; done
sleep 60; nvidia-smi | tee -a $OUT/summary.txt
wait
for f in runs/*.log; do echo "== $f"; grep -E "^step .*validation" $f | tail -1; tail -1 $f; done | tee -a $OUT/summary.txt
tar czf $OUT/runs_a.tgz --exclude='*/snapshots' --exclude='*/best.pt' runs/def-* runs/g1-*
tar czf $OUT/runs_b.tgz --exclude='*/snapshots' --exclude='*/best.pt' runs/l2-* runs/a1k-*
ls -la $OUT
