#!/bin/bash
# Round 26 (session 26): random colours revisited; the commands as run (one thread each,
# two side by side).  usage: bash runs.sh [DIR]
. "$(dirname "$0")/../records.sh"
runs_folder "$1"
R="econ-pyro train --preset cpu-random --set train.init_from=cpu-unique --set model.min_region=10"
PAPER="--set model.score=paper --set model.lam=1.0 --set model.gamma=0.5"
# part 1: from today's shipped cpu-unique (stopped by hand, dashboard only)
$R --set train.max_time=1800 --out rA-s0 > rA-s0.log 2>&1 &                         # preset score (L_r)
$R $PAPER --set train.temperature_end=300 --set train.max_time=1800 --out rB-s0 > rB-s0.log 2>&1 &
wait
econ-pyro inspect competition cpu-random --n 200          # who attends what in the shipped model
# the attention transplant: cpu-unique with experts 0, 2, 3's attention nets from the
# shipped cpu-random's expert 0 (transplant.py writes tA.pt)
python "$(dirname "$0")/transplant.py"
T="econ-pyro train --preset cpu-random --set train.init_from=tA.pt --set model.min_region=10"
$T $PAPER --set train.temperature_end=300 --set train.max_time=1800 --out rC-s0 > rC-s0.log 2>&1 &
$T $PAPER --set train.temperature_start=30 --set train.temperature_end=30 --set train.max_time=1800 --out rD-s0 > rD-s0.log 2>&1 &
$T --set train.temperature_start=30 --set train.temperature_end=30 --set train.max_time=1800 --out rE-s0 > rE-s0.log 2>&1 &
wait
# part 2: the supervised attention probe
python "$(dirname "$0")/attention_probe.py" --steps 1500 --channels 8,16,16 16,32,32 --out probe-small.json
# part 3: the colour curriculum (data.colour_curriculum), tau 300 constant / 300 -> 30
C="$R $PAPER --set train.lr=3e-4 --set data.colour_curriculum={\"steps\":3000} --set train.max_time=3600"
$C --set train.temperature_end=300 --out cur-s0 > cur-s0.log 2>&1 &
$C --set train.temperature_end=30 --set train.anneal_steps=3000 --out curt-s0 > curt-s0.log 2>&1 &
wait
$C --set model.competition=deterministic --set model.score=paper --set train.max_time=1800 --out curd-s0 > curd-s0.log 2>&1 &
$C --set model.competition=deterministic --set model.score=region --set model.gamma=1.0 --set train.max_time=1800 --out curdr-s0 > curdr-s0.log 2>&1 &
wait
for r in rB-s0 rC-s0 cur-s0 curt-s0 curd-s0 curdr-s0; do
  econ-pyro evaluate $r --n 1000 --controlled 0 --out ev/$r.json > ev/$r.txt
done
python "$(dirname "$0")/table.py" ev/*.json > table.txt
python "$(dirname "$0")/shape_signal.py" cpu-unique cur-s0/last.pt curt-s0/last.pt curd-s0/last.pt \
  curdr-s0/last.pt > shape_signal.txt
python "$(dirname "$0")/colour_swap.py" cpu-unique > colour_swap.txt   # the class signal is the colour
# part 4: one more fresh seed of the default (stopped by hand at lr 9.5e-6)
train_seeds def 41
econ-pyro evaluate def-s41/best.pt --n 1000 --controlled 1000 --out ev/def-s41-best.json > ev/def-s41-best.txt
