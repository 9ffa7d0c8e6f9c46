#!/usr/bin/env bash
# usage: gpu-run.sh SECONDS -- 3 VAE sizes x 3 seeds of cpu-unique side by side on one GPU
# (device tool; carry .whl holding pyro_ppl-1.9.2 and pyro_api-0.1.2 wheels)
set -u
python3 -m pip install -q --no-deps .whl/*.whl > /dev/null 2>&1
export PYTHONPATH=$PWD OMP_NUM_THREADS=1 PYTHONUNBUFFERED=1
secs=$1
S=$OUT/summary.txt
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee $S
python3 -c "import torch,pyro;print(torch.__version__, pyro.__version__)" | tee -a $S
lscpu | grep 'Model name' | tee -a $S
# smoke first: fails fast if anything is wrong on CUDA (all train paths incl. dashboard)
python3 -m econ_pyro.cli train --preset smoke --device cuda --out smoke \
  --set train.snapshot_every=10 > smoke.log 2>&1 || { tail -30 smoke.log | tee -a $S; exit 1; }
tail -2 smoke.log | tee -a $S
declare -A C
C[def]=""
C[v32]="--set model.vae_features=32"
C[v32l4]="--set model.vae_features=32 --set model.vae_layers=4"
mkdir -p runs
for name in "${!C[@]}"; do for s in 0 1 2; do
  python3 -m econ_pyro.cli train --device cuda --max-time "$secs" --out runs/$name-s$s \
    --set train.seed=$s ${C[$name]} > runs/$name-s$s.log 2>&1 &
done; done
sleep 90; nvidia-smi | tee -a $S
wait
for f in runs/*.log; do echo "== $f"; grep -E "^step .*validation" $f | tail -2; tail -1 $f; done | tee -a $S
for f in runs/*.log; do cp $f runs/$(basename $f .log)/train.log; done
tar czf $OUT/runs_a.tgz --exclude='*/snapshots' --exclude='*/best.pt' --exclude='*/tensorboard' runs/def-* runs/v32-*
tar czf $OUT/runs_b.tgz --exclude='*/snapshots' --exclude='*/best.pt' --exclude='*/tensorboard' runs/v32l4-*
ls -la $OUT
