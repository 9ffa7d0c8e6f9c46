#!/bin/bash
# Round 28 (session 28): training on scenes whose classes repeat (data.repeat_classes), for the
# out-of-distribution target; the commands as run (one thread each, two side by side).
# usage: bash runs.sh [DIR]
. "$(dirname "$0")/../records.sh"
runs_folder "$1"
H="$(dirname "$0")"
# part 1: the shipped cpu-unique continued with a deterministic competition at lr 3e-4 (round
# 15's finishing phase), on scenes with classes drawn i.i.d. (rep, 2400 steps) and as trained
# (ctl, the control; stopped by hand at step 807 to free the core for part 2)
COMMON="--max-steps 2400 --max-time 2100 --set train.init_from=cpu-unique --set model.min_region=10
 --set train.temperature_start=null --set model.temperature=300 --set train.lr=3e-4
 --set train.patience=20 --set train.snapshot_every=0 --set train.seed=5
 --set train.deterministic_from=0 --set train.restart_merged_at=null"
econ-pyro train --out rep $COMMON --set data.repeat_classes=true > rep.log 2>&1 &
econ-pyro train --out ctl $COMMON > ctl.log 2>&1 &
wait
# part 2: the cpu-unique preset from scratch on scenes whose classes repeat, seeds 0 and 1
for s in 0 1; do
  econ-pyro train --out srep-s$s --set train.max_time=3300 --set train.seed=$s \
    --set train.snapshot_every=0 --set data.repeat_classes=true > srep-s$s.log 2>&1 &
done
# evaluation: out of distribution (4-5 objects, classes i.i.d., T = 6) and in distribution
for r in rep ctl cpu-unique; do
  econ-pyro evaluate $r $OOD --out ev/$r-ood.json > ev/$r-ood.txt
done
econ-pyro evaluate rep --n 1000 --controlled 0 --out ev/rep-in.json > ev/rep-in.txt
econ-pyro evaluate rep --n 1000 --controlled 0 --repeat-classes --out ev/rep-in-rep.json > ev/rep-in-rep.txt
python "$H/pairs_split.py" cpu-unique ctl rep rep/best.pt > pairs_ood.txt
python "$H/pairs_split.py" cpu-unique rep rep/best.pt --objects 3 --n-steps 4 > pairs_3.txt
python "$H/pair_shapes.py" cpu-unique rep > pair_shapes.txt
# the shipped random-colour model on random-colour OOD scenes (the paper's Fig. 8 setting)
econ-pyro evaluate cpu-random $OOD --out ev/cpu-random-ood.json > ev/cpu-random-ood.txt
python "$H/pairs_split.py" cpu-random --kind random > pairs_random_ood.txt
wait
for r in srep-s0 srep-s1; do
  econ-pyro evaluate $r $OOD --out ev/$r-ood.json > ev/$r-ood.txt
  econ-pyro evaluate $r --n 1000 --controlled 0 --out ev/$r-in.json > ev/$r-in.txt
done
python "$H/pairs_split.py" srep-s0 srep-s1 > pairs_ood_srep.txt
