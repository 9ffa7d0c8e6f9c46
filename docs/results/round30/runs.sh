#!/bin/bash
# Round 30 (session 30): out of distribution in the paper's Fig. 8 setting (random colours), and
# round 29's two untried remedies combined; the commands as run (one thread each, two side by
# side).  usage: bash runs.sh [DIR]   (run from the repository root)
. "$(dirname "$0")/../records.sh"
runs_folder "$1"
H="$(cd "$(dirname "$0")" && pwd)"
R26="$H/../round26"
R28="$H/../round28"
# part 1: random colours.  Round 26's curt (the shipped cpu-unique, its own objective, a colour
# curriculum over 3000 steps, tau 300 -> 30; held-out FG-ARI 0.807 there), and the same from
# round 26's attention transplant (tA.pt: experts 0, 2, 3 get cpu-random's expert 0's attention;
# round 26's rC without the curriculum: 0.782)
PAPER="--set model.score=paper --set model.lam=1.0 --set model.gamma=0.5"
CUR="$PAPER --set train.lr=3e-4 --set data.colour_curriculum={\"steps\":3000} --set train.max_time=2400
 --set train.temperature_end=30 --set train.anneal_steps=3000 --max-steps 3759"
CURT="econ-pyro train --preset cpu-random --set train.init_from=cpu-unique --set model.min_region=10 $CUR"
$CURT --out curt-s0 > curt-s0.log 2>&1 &
python "$R26/transplant.py"   # writes tA.pt
econ-pyro train --preset cpu-random --set train.init_from=tA.pt --set model.min_region=10 \
  $CUR --out tcur-s0 > tcur-s0.log 2>&1 &
wait
# evaluation (as run, beside part 2): in distribution and out of distribution (4-5 objects,
# classes i.i.d., T = 6),
# random colours; T = 5, 7, 8 for curt-s0 and the shipped cpu-random; pairs split
evaluate_in_ood curt-s0 tcur-s0  # (records.sh)
python "$R28/pairs_split.py" cpu-random curt-s0 tcur-s0 --kind random > pairs_random_ood.txt
for T in 5 7 8; do
  for r in curt-s0 cpu-random; do
    econ-pyro evaluate $r --objects 4-5 --repeat-classes --n-steps $T --n 1000 --controlled 0 \
      --out ev/$r-ood-T$T.json > ev/$r-ood-T$T.txt
  done
done
# part 2 (unique colours, beside part 3): round 28's rep continuation with the decoders frozen
# AND the winners' logits kept in [-6, 6] (frozen_bound.py); gamma 0.5 (35 min) and 2 (stopped
# by hand at step 1332 to free the core for part 3)
COMMON="--max-steps 2400 --max-time 2100 --set train.init_from=cpu-unique --set model.min_region=10
 --set train.temperature_start=null --set model.temperature=300 --set train.lr=3e-4
 --set train.patience=20 --set train.snapshot_every=0 --set train.seed=5
 --set train.deterministic_from=0 --set train.restart_merged_at=null --set data.repeat_classes=true"
export ONE_PART_WEIGHT=0 LOGIT_BOUND=6 LOGIT_BOUND_WEIGHT=0.1
python "$H/frozen_bound.py" --out fdlb $COMMON > fdlb.log 2>&1 &
python "$H/frozen_bound.py" --out fdlb-g2 $COMMON --set model.gamma=2 > fdlb-g2.log 2>&1 &
unset ONE_PART_WEIGHT LOGIT_BOUND LOGIT_BOUND_WEIGHT
# part 3: curt on seeds 1 and 2 (started as the fdlb runs ended)
$CURT --set train.seed=1 --out curt-s1 > curt-s1.log 2>&1 &
wait
$CURT --set train.seed=2 --out curt-s2 > curt-s2.log 2>&1 &
evaluate_ood fdlb fdlb-g2  # (records.sh)
(cd "$H/../round29" && python saturation.py "$OLDPWD/fdlb" "$OLDPWD/fdlb-g2") > saturation.txt
wait
evaluate_in_ood curt-s1 curt-s2
python "$R28/pairs_split.py" curt-s1 curt-s2 --kind random > pairs_random_ood_s12.txt
# the starting point of curt: the shipped cpu-unique on random colours
econ-pyro evaluate cpu-unique --kind random --n 1000 --controlled 0 \
  --out ev/cpu-unique-random-in.json > ev/cpu-unique-random-in.txt
# part 4 (the session's last 30 min, alone, two threads): the preset trained with T = 6 on 3-5
# objects whose classes repeat (the curriculum and the anneal shortened to 2000 steps to fit)
OMP_NUM_THREADS=2 econ-pyro train --preset cpu-random-curriculum --set model.n_steps=6 \
  --set data.min_objects=3 --set data.max_objects=5 --set data.repeat_classes=true \
  --set data.colour_curriculum={\"steps\":2000} --set train.anneal_steps=2000 \
  --set train.max_time=1680 --out c6 > c6.log 2>&1
econ-pyro evaluate c6 $OOD --out ev/c6-ood.json > ev/c6-ood.txt  # (OOD: records.sh)
econ-pyro evaluate c6 --objects 3 --n-steps 4 --n 1000 --controlled 0 --out ev/c6-in.json > ev/c6-in.txt
