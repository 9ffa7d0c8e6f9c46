#!/bin/bash
# Round 32 (session 32): round 31's long-s0 (the shipped `cpu-random-curriculum`) continued with
# gamma 2 (`g2-s0`), as its control with the preset's gamma 0.5 (`ctl-s0`), and with the
# attention's logits kept within +-6 (`lb6-s0`, round 29's one_part.py without its push): fresh
# Adam and lr schedule at lr 1e-4, tau 30 constant, no colour curriculum, at most 3600 s each,
# one thread each; gamma 2 again from long-s1 (`g2-s1`, 2700 s) and gamma 1 from long-s0
# (`g1-s0`, 2400 s); which merged pairs touch (`touch_pairs.py`); how saturated the attention
# is (`saturation_random.py`); a supervised probe of the attention U-Net on one unoccluded
# object (`one_object_probe.py`), and ECON's first step on the same question.  The commands
# as run.
# usage: bash runs.sh DIR, where DIR holds round 31's long-s0 and long-s1 run folders
. "$(dirname "$0")/../records.sh"
runs_folder "$1"
H="$(cd "$(dirname "$0")" && pwd)"
R29="$H/../round29"
R31="$H/../round31"
CONT="$CONTINUE_RANDOM"
cont() {  # cont NAME SEED [options]: long-sSEED continued as above
  local name=$1 seed=$2
  shift 2
  econ-pyro train $CONT --set train.init_from="long-s$seed/last.pt" "$@" --out "$name" \
    > "$name.log" 2>&1
}
# part 1, side by side (ctl-s0 was ended by its lr schedule at 3300 steps, g2-s0 by its time)
cont g2-s0 0 --set model.gamma=2 --max-time 3600 &
cont ctl-s0 0 --max-time 3600 &
# beside them: which of long-s0's merged pairs touch; the supervised probe (nice; a first
# version that asked for the front object was stopped after its first net size and dropped)
python "$H/touch_pairs.py" long-s0 > touch_pairs_3_long-s0.txt
nice python "$H/one_object_probe.py" > one_object_probe.txt
python "$H/saturation_random.py" long-s0 lb6-s0 > saturation_random.txt  # after part 2
wait
# part 2, started when ctl-s0 had ended: logits bounded to +-6 (0.1 x (|logit| - 6)^2 beyond),
# stopped by hand (SIGINT) at step 700 as its validation FG-ARI fell (0.58 -> 0.45)
ONE_PART_WEIGHT=0 LOGIT_BOUND=6 LOGIT_BOUND_WEIGHT=0.1 python "$R29/one_part.py" $CONT \
  --set train.init_from=long-s0/last.pt --max-time 3600 --out lb6-s0 > lb6-s0.log 2>&1
# part 3, side by side: gamma 2 from seed 1's long run; gamma 1 from long-s0 (started 25 min
# later, when the CI run beside g2-s1 had ended)
cont g2-s1 1 --set model.gamma=2 --set train.seed=1 --max-time 2700 &
cont g1-s0 0 --set model.gamma=1 --max-time 2400
wait
# evaluation: 1000 held-out scenes (records.sh), colour and touch splits, refinement
evaluate_in_ood ctl-s0 g2-s0 g2-s1 g1-s0
evaluate_in lb6-s0
econ-pyro evaluate long-s0 --n 1000 --controlled 0 --refine 30 \
  --out ev/long-s0-in-refine30.json > ev/long-s0-in-refine30.txt
for r in ctl-s0 g2-s0 g2-s1 g1-s0 lb6-s0; do python "$R31/colour_pairs.py" $r > colour_pairs_3_$r.txt; done
for r in ctl-s0 g2-s0 g2-s1 g1-s0; do python "$H/touch_pairs.py" $r > touch_pairs_3_$r.txt; done
python "$H/one_object_probe.py" --econ long-s0 ctl-s0 g2-s0 --out one_object_econ.json \
  > one_object_econ.txt
