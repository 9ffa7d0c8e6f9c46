#!/usr/bin/env bash
# usage: gpu-order.sh SECONDS -- does the training competition's layer order limit amodal
# completion?  From the shipped cpu-unique model (fresh Adam, lr 3e-4, min_region 10, i.e.
# the default's state after its reservation), continue side by side on one GPU:
#   ctl    temperature 300 (the default's end state)      seeds 1 2 3
#   det    deterministic competition (argmax)              seeds 1 2 3
#   t30    temperature 30                                 seeds 1 2
#   oracle ground-truth visible masks in true depth order (train.supervise_regions), T 300
#                                                         seeds 1 2
# then evaluate every run on 500 held-out scenes (seed 12345), the oracle runs both with
# ground-truth regions and with their own attention (config patched), and the start.
# Also a short GPU bench first (#8: step time, cuda max memory vs K).
# Device tool; carry .whl holding pyro_ppl-1.9.2 and pyro_api-0.1.2 wheels.
set -u
python3 -m pip install -q --no-deps .whl/*.whl > /dev/null 2>&1
export PYTHONPATH=$PWD OMP_NUM_THREADS=1 PYTHONUNBUFFERED=1
secs=$1
S=$OUT/summary.txt
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee $S
python3 -c "import torch,pyro;print(torch.__version__, pyro.__version__)" | tee -a $S
lscpu | grep 'Model name' | tee -a $S
E="python3 -m econ_pyro.cli"
$E train --preset smoke --device ${DEV:-cuda} --out smoke > smoke.log 2>&1 \
  || { tail -30 smoke.log | tee -a $S; exit 1; }
tail -1 smoke.log | tee -a $S
timeout 75 python3 docs/results/round11/gpu_bench.py $OUT/gpu-bench.json 2>&1 | tee -a $S
COMMON="--device ${DEV:-cuda} --max-time $secs --set train.init_from=cpu-unique --set model.min_region=10
 --set train.temperature_start=null --set train.lr=3e-4 --set train.standardise_latents=0
 --set train.snapshot_every=0"
declare -A C
C[ctl]="--set model.temperature=300"
C[det]="--set model.temperature=300 --set model.competition=deterministic"
C[t30]="--set model.temperature=30"
C[oracle]="--set model.temperature=300 --set train.supervise_regions=true"
mkdir -p runs
for name in ctl det; do for s in 1 2 3; do
  $E train $COMMON --out runs/$name-s$s --set train.seed=$s ${C[$name]} > runs/$name-s$s.log 2>&1 &
done; done
for name in t30 oracle; do for s in 1 2; do
  $E train $COMMON --out runs/$name-s$s --set train.seed=$s ${C[$name]} > runs/$name-s$s.log 2>&1 &
done; done
sleep 60; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv | tee -a $S
wait
for f in runs/*.log; do echo "== $f"; grep -E "validation" $f | tail -1; tail -1 $f; done | tee -a $S
python3 - <<'PY'
import glob, shutil, torch
for d in glob.glob("runs/oracle-s*/"):
    d = d.rstrip("/")
    if d.endswith("-own"):
        continue
    ck = torch.load(f"{d}/last.pt", map_location="cpu", weights_only=False)
    ck["config"]["train"]["supervise_regions"] = False
    shutil.os.makedirs(d + "-own", exist_ok=True)
    torch.save(ck, d + "-own/last.pt")
PY
mkdir -p $OUT/ev
$E evaluate cpu-unique --min-region 10 --n ${N_EVAL:-500} --controlled 0 --out $OUT/ev/start.json > $OUT/ev/start.txt 2>&1 &
for d in runs/*/; do n=$(basename $d); [ $n = smoke ] && continue
  $E evaluate $d --n ${N_EVAL:-500} --controlled 0 --out $OUT/ev/$n.json > $OUT/ev/$n.txt 2>&1 &
done
wait
rm -f $OUT/ev/*.png
python3 docs/results/round11/order_table.py $OUT/ev | tee -a $S
tar czf $OUT/runs.tgz $(ls runs/*.log runs/*/metrics.jsonl runs/*/config.json \
  runs/*/last.pt 2>/dev/null)
tar czf $OUT/ev.tgz -C $OUT ev && rm -rf $OUT/ev
ls -la $OUT
