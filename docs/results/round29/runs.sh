#!/bin/bash
# Round 29 (session 29): out of distribution again -- can the attention learn to take one of
# two same-coloured objects?  The commands as run (one thread each, two side by side).
# usage: bash runs.sh [DIR]   (run from the repository root)
. "$(dirname "$0")/../records.sh"
runs_folder "$1"
H="$(cd "$(dirname "$0")" && pwd)"
R28="$H/../round28"
# round 28's rep continuation (shipped cpu-unique, deterministic, lr 3e-4, min_region 10, on
# scenes whose classes repeat), with a change each
COMMON="--max-steps 2400 --max-time 2100 --set train.init_from=cpu-unique --set model.min_region=10
 --set train.temperature_start=null --set model.temperature=300 --set train.lr=3e-4
 --set train.patience=20 --set train.snapshot_every=0 --set train.seed=5
 --set train.deterministic_from=0 --set train.restart_merged_at=null --set data.repeat_classes=true"
# part 1: every decoder frozen (gamma 0.5 as the preset; and gamma 2)
python "$H/freeze_decoders.py" --out fdec $COMMON > fdec.log 2>&1 &
python "$H/freeze_decoders.py" --out fdec-g2 $COMMON --set model.gamma=2 > fdec-g2.log 2>&1 &
# beside them: the supervised capacity probe (a third process)
python "$H/instance_probe.py" --steps 1500 --channels 8,16,16 16,32,32 \
  --out instance_probe.json > instance_probe.txt
wait
# part 2: the one-part push on the winners' attention, 5 and 20 nats per pixel
ONE_PART_WEIGHT=5 python "$H/one_part.py" --out op-w5 $COMMON > op-w5.log 2>&1 &
ONE_PART_WEIGHT=20 python "$H/one_part.py" --out op-w20 $COMMON > op-w20.log 2>&1 &
# evaluation of part 1 beside part 2
OOD="--objects 4-5 --repeat-classes --n-steps 6 --n 1000 --controlled 0"
python "$R28/pairs_split.py" fdec fdec-g2 > pairs_ood_fdec.txt
python "$R28/pairs_split.py" fdec fdec-g2 --objects 3 --n-steps 4 > pairs_3_fdec.txt
for r in fdec fdec-g2; do
  econ-pyro evaluate $r $OOD --out ev/$r-ood.json > ev/$r-ood.txt
  econ-pyro evaluate $r --n 1000 --controlled 0 --out ev/$r-in.json > ev/$r-in.txt
done
wait
