#!/usr/bin/env bash
# usage: ddp_speed.sh [RUNS_FOLDER] -- round 18: one training run on the machine's 2 cores,
# three ways, 300 steps of the default preset each (nothing else running): one process with
# one thread, one process with two threads, and two data-parallel processes (torchrun, gloo)
# of one thread each with 16 scenes per rank (the same 32 scenes per optimiser step).
# Wall time from start to exit (includes start-up and the evaluations every 100 steps).
mkdir -p "${1:-runs}" && cd "${1:-runs}" || exit 1
lscpu > lscpu.txt
common="--preset cpu-unique --max-steps 300 --set train.standardise_latents=0 --set train.snapshot_every=0"
t() { local log=$1 s=$(date +%s.%N); shift; "$@" > $log 2>&1; echo "$(date +%s.%N) - $s" | bc; }
echo "1 process, 1 thread: $(OMP_NUM_THREADS=1 t ddp-1p1t.log econ-pyro train $common --out ddp-1p1t) s"
echo "1 process, 2 threads: $(OMP_NUM_THREADS=2 t ddp-1p2t.log econ-pyro train $common --out ddp-1p2t) s"
echo "2 processes (torchrun), 1 thread each, batch 16 per rank: $(OMP_NUM_THREADS=1 t ddp-2p1t.log torchrun \
  --standalone --nnodes 1 --nproc_per_node 2 -m econ_pyro.cli train $common \
  --set train.batch_size=16 --out ddp-2p1t) s"
