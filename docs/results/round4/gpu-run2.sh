#!/usr/bin/env bash
# usage: run2.sh MAX_ELAPSED ; resume the 9 runs in .gpu/r2 side by side on one GPU
set -u
python3 -m pip install -q --no-deps .whl/*.whl > /dev/null 2>&1
export PYTHONPATH=$PWD OMP_NUM_THREADS=1 PYTHONUNBUFFERED=1
cp -r .gpu/r2 runs
for r in runs/*/; do r=${r%/}; n=$(basename $r); extra=""
  case $n in a1kr-*) extra="--set train.revive=split --set train.revive_below=0.1 --set train.revive_window=200";; esac
  python3 -m econ_pyro.cli train --resume $r --device cuda --max-time "$1" $extra > runs/$n.log 2>&1 &
done
sleep 45; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv | tee $OUT/summary2.txt
wait
for f in runs/*.log; do echo "== $f"; grep -E "re-initialised" $f; grep -E "^step .*validation" $f | tail -1; tail -1 $f; done | tee -a $OUT/summary2.txt
tar czf $OUT/runs2_a.tgz --exclude='*/snapshots' --exclude='*/best.pt' runs/def-* runs/a1k-s*
tar czf $OUT/runs2_b.tgz --exclude='*/snapshots' --exclude='*/best.pt' runs/a1kr-*
ls -la $OUT
