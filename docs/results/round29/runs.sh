#!/bin/bash
# Round 29 (session 29): out of distribution again -- can the attention learn to take one of
# two same-coloured objects?  The commands as run (one thread each, two side by side).
# usage: bash runs.sh [DIR] [RUNS28]   (run from the repository root; RUNS28: round 28's run
# folder, an absolute path, for its rep run)
. "$(dirname "$0")/../records.sh"
runs_folder "$1"
H="$(cd "$(dirname "$0")" && pwd)"
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
# part 2: the one-part push on the winners' attention (one_part.py), two at a time:
# on the region, 5 and 20 nats per pixel (stopped by hand after 416 / 427 steps: no split)
ONE_PART_ON=region ONE_PART_WEIGHT=5 python "$H/one_part.py" --out op-w5 $COMMON > op-w5.log 2>&1 &
ONE_PART_ON=region ONE_PART_WEIGHT=20 python "$H/one_part.py" --out op-w20 $COMMON > op-w20.log 2>&1 &
wait
# on the logit, every pixel outside the largest part (lg-w20 collapsing: stopped at step 400)
ONE_PART_WEIGHT=5 python "$H/one_part.py" --out lg-w5 $COMMON > lg-w5.log 2>&1 &
ONE_PART_WEIGHT=20 python "$H/one_part.py" --out lg-w20 $COMMON > lg-w20.log 2>&1 &
wait
# on the logit, attended pixels outside the largest part only; beside it, no push but the logits
# kept in [-6, 6] (a third process for ~10 min at the start)
ONE_PART_PIXELS=attended ONE_PART_WEIGHT=20 python "$H/one_part.py" --out la-w20 $COMMON \
  > la-w20.log 2>&1 &
ONE_PART_WEIGHT=0 LOGIT_BOUND=6 LOGIT_BOUND_WEIGHT=0.1 python "$H/one_part.py" --out lb6 \
  $COMMON > lb6.log 2>&1 &
wait
# part 3: omega 60 (30 min), and la-w20 continued to its 2400 steps
ONE_PART_PIXELS=attended ONE_PART_WEIGHT=60 python "$H/one_part.py" --out la-w60 $COMMON \
  --max-time 1800 > la-w60.log 2>&1 &
cp -r la-w20 la-w20-long
ONE_PART_PIXELS=attended ONE_PART_WEIGHT=20 python "$H/one_part.py" --resume la-w20-long \
  --set train.max_time=3900 > la-w20-long.log 2>&1 &
# evaluation: pairs split (4-5 objects, T = 6; 3 objects, T = 4) and 1000 held-out scenes in and
# out of distribution; the attention logits (saturation.py)
# (evaluate_ood: records.sh)
wait
evaluate_ood fdec fdec-g2 lg-w5  # (as run, fdec and fdec-g2 shared pairs_*_fdec.txt)
evaluate_ood la-w20 lb6 la-w60 la-w20-long
python "$H/saturation.py" cpu-unique "$2/rep" fdec > saturation.txt
python "$H/saturation.py" lb6 la-w20 > saturation2.txt
