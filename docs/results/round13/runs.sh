#!/usr/bin/env bash
# usage: runs.sh [RUNS_FOLDER] -- round 13 (session 13), one thread per run, two side by side:
#  dpa-sS   fresh runs of the cpu-unique preset (max_time 3600 s) with a deterministic training
#           competition from 300 steps after the background reservation and the lr schedule
#           starting afresh there with patience 20 (seeds 1 and 3); the checkpoint at the
#           switch is kept as dpa-sS/switch.pt (copied when the log announces the switch)
#  ctl-s1   dpa-s1's switch checkpoint (step 1800) resumed as the preset is (tau 300, no
#           deterministic phase) to dpa-s1's last step (4216)
#  ctlp-s1  the same as ctl-s1 with train.patience=20 (lr 3e-4 throughout, as in the
#           deterministic runs: ctl-s1's plateau schedule cut it to 3e-5)
#  det3k-s1 ctl-s1's checkpoint at step 3000 resumed with the deterministic competition from
#           there (patience 20) to step 4216
#  rnd-new-s1 cpu-random started from today's cpu-unique instead of cpu-unique-s4 (seed 1;
#           this session stopped it by SIGINT at step 1211)
# then evaluate each on 1000 held-out scenes.
mkdir -p "${1:-runs}" && cd "${1:-runs}" || exit 1
export OMP_NUM_THREADS=1
dpa() {  # fresh run of the candidate, keeping the checkpoint at the switch
  econ-pyro train --out dpa-s$1 --set train.seed=$1 \
    --set train.reserve_background_deterministic_after=300 \
    --set train.deterministic_patience=20 --set train.snapshot_every=0 > dpa-s$1.log 2>&1 &
  local pid=$!
  while kill -0 $pid 2>/dev/null; do
    if [ ! -e dpa-s$1/switch.pt ] && grep -q "competition is deterministic" dpa-s$1.log; then
      cp dpa-s$1/last.pt dpa-s$1/switch.pt
    fi
    sleep 5
  done
}
dpa 1 & dpa 3 & wait
mkdir -p ctl-s1 && cp dpa-s1/switch.pt ctl-s1/last.pt && cp dpa-s1/config.json ctl-s1/
econ-pyro train --resume ctl-s1 --set train.reserve_background_deterministic_after=null \
  --set train.deterministic_patience=null --set train.max_time=null --max-steps 4216 \
  > ctl-s1.log 2>&1 &
econ-pyro train --preset cpu-random --out rnd-new-s1 --set train.seed=1 \
  --set train.init_from=cpu-unique --max-steps 2500 --set train.snapshot_every=0 \
  > rnd-new-s1.log 2>&1 &
# det3k-s1 forks ctl-s1 at step 3000 (this session: copied while ctl-s1 ran; here: ctl-s1 is
# re-run to 3000 in a copy of its folder)
wait
mkdir -p det3k-s1 && cp dpa-s1/switch.pt det3k-s1/last.pt && cp dpa-s1/config.json det3k-s1/
econ-pyro train --resume det3k-s1 --set train.reserve_background_deterministic_after=null \
  --set train.deterministic_patience=null --set train.max_time=null --max-steps 3000 \
  > det3k-s1-first.log 2>&1
econ-pyro train --resume det3k-s1 --set train.deterministic_from=3000 \
  --set train.deterministic_patience=20 --max-steps 4216 > det3k-s1.log 2>&1
mkdir -p ctlp-s1 && cp dpa-s1/switch.pt ctlp-s1/last.pt && cp dpa-s1/config.json ctlp-s1/
econ-pyro train --resume ctlp-s1 --set train.reserve_background_deterministic_after=null \
  --set train.deterministic_patience=null --set train.patience=20 --set train.max_time=null \
  --max-steps 4216 > ctlp-s1.log 2>&1
mkdir -p ev
for r in dpa-s1 dpa-s3 ctl-s1 ctlp-s1 det3k-s1; do
  econ-pyro evaluate $r --n 1000 --controlled 100 --out ev/$r.json > ev/$r.txt 2>&1
done
econ-pyro evaluate dpa-s1/switch.pt --n 1000 --controlled 100 --out ev/dpa-s1-switch1800.json \
  > ev/dpa-s1-switch1800.txt 2>&1
econ-pyro evaluate rnd-new-s1 --n 1000 --controlled 0 --out ev/rnd-new-s1.json > ev/rnd-new-s1.txt 2>&1
python ../docs/results/round13/table.py ev/*.json > table.md
