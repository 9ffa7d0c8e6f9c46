#!/usr/bin/env bash
# usage: runs.sh [RUNS_FOLDER] -- round 25 (session 25), run from the repository root.  One
# thread per process; two trainings side by side on 2 cores.  Machine: lscpu.txt (the
# AVX-512 AMD EPYC of rounds 20-24, family 25 model 17).
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../records.sh"
runs_folder "$1"
ROOT=..  # the folder holding round 20-24's run folders as r20 ... r24
# 0. Every run of rounds 20-24 at its best checkpoint (1000 held-out scenes, as its last.pt
#    was evaluated then; best_vs_last.py tabulates both)
for r in r24/def-s36 r24/cand-s33 r24/cand-s34 r24/spare-s34 r24/cont10-s35 r24/cont20-s35 \
    r23/all-s31 r23/all-s32 r23/take-s30 r23/taker-s30 r22/both-s27 r22/both-s28 r22/both-s29 \
    r22/both-s30 r22/mg-s14 r22/mg-s2021 r21/def-s25 r21/def-s26 r21/win-s14 r21/win-s2021 \
    r20/hot-s13 r20/hot-s14 r20/hot-s2021 r20/hot-s22 r24/mgspare-s2021 r24/mgtaker-s2021; do
  n=$(echo $r | tr / -)
  econ-pyro evaluate "$ROOT/$r/best.pt" --n 1000 --out "ev/$n-best.json" > "ev/$n-best.txt"
done
(cd "$HERE/.." && python round25/best_vs_last.py "$ROOT") > best_vs_last.txt
# 1. The committed default + train.restore_best_on_decrease on seeds 35 and 36, the two
#    seeds that drifted after their best validation loss in round 24 (def-s35, def-s36;
#    identical to them up to the first lr decrease)
train_seeds rb "35 36" --set train.restore_best_on_decrease=true
evaluate rb-s35 rb-s36
econ-pyro curves rb-s35 rb-s36 --every 5 > curves-rb.txt
# 2. The default as committed after part 1 (restore_best_on_decrease on) on fresh seeds 39, 40
#    (run with --set train.restore_best_on_decrease=true, the same config)
train_seeds rbd "39 40"
evaluate rbd-s39 rbd-s40
econ-pyro curves rbd-s39 rbd-s40 --every 5 > curves-rbd.txt
# 3. The same + train.validation_competition=deterministic on seeds 35, 36 (vd-s35, vd-s36), each
#    started when one of part 2's runs ended; --max-time 2700 (the session's end); .ci/run
#    ran beside them as a third process for their first 32 min
for s in 35 36; do
  econ-pyro train --preset cpu-unique --set train.seed=$s \
    --set train.validation_competition=deterministic --max-time 2700 --out vd-s$s > vd-s$s.log 2>&1 &
done
wait
evaluate vd-s35 vd-s36
econ-pyro curves vd-s35 vd-s36 --every 5 > curves-vd.txt
