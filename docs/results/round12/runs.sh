#!/usr/bin/env bash
# usage: runs.sh [RUNS_FOLDER] -- round 12: continue the session-4 model (cpu-unique-s4; a well-
# specialised one: purity 0.961, distinct experts) for 2400 steps, fresh Adam at lr 3e-4 with
# the default plateau schedule, proposals under 10 px barred (the default's state after its
# reservation), seed 1, four ways:
#   ctl-a    tau 300 (the default's end state)
#   det-a    deterministic training competition (train.deterministic_from=0)
#   ctlc-a   tau 300 + completion loss (train.completion_loss=1)
#   detc-a   deterministic + completion loss
# then seed 2 two ways, stopped by --max-time 2900 (det-s2: 2400 steps, detc-s2: 2193):
#   det-s2   deterministic                (shipped as cpu-unique since session 12)
#   detc-s2  deterministic + completion loss
# (det-b: deterministic at lr 1e-4, stopped at step 1395; its log only.)  Then evaluate each,
# and the start, on 1000 held-out scenes.  This session ran them two to four at a time.
mkdir -p "${1:-runs}" && cd "${1:-runs}" || exit 1
export OMP_NUM_THREADS=1
COMMON="--max-steps 2400 --set train.init_from=cpu-unique-s4 --set model.min_region=10
 --set train.temperature_start=null --set model.temperature=300 --set train.lr=3e-4
 --set train.snapshot_every=0 --set train.seed=1"
econ-pyro train --out ctl-a $COMMON > ctl-a.log 2>&1 &
econ-pyro train --out det-a $COMMON --set train.deterministic_from=0 > det-a.log 2>&1 &
wait
econ-pyro train --out ctlc-a $COMMON --set train.completion_loss=1.0 > ctlc-a.log 2>&1 &
econ-pyro train --out detc-a $COMMON --set train.deterministic_from=0 \
  --set train.completion_loss=1.0 > detc-a.log 2>&1 &
wait
S2="${COMMON/train.seed=1/train.seed=2} --max-time 2900 --set train.deterministic_from=0"
econ-pyro train --out det-s2 $S2 > det-s2.log 2>&1 &
econ-pyro train --out detc-s2 $S2 --set train.completion_loss=1.0 > detc-s2.log 2>&1 &
wait
mkdir -p ev
for r in cpu-unique-s4 ctl-a det-a ctlc-a detc-a det-s2 detc-s2; do
  n=$r; [ $r = cpu-unique-s4 ] && n=start
  econ-pyro evaluate $r --min-region 10 --n 1000 --controlled 100 --out ev/$n.json > ev/$n.txt 2>&1
done
python ../docs/results/round12/per_class.py cpu-unique-s4 ctl-a det-a ctlc-a detc-a det-s2 detc-s2 > per_class.txt
