#!/usr/bin/env bash
# usage: runs.sh [RUNS_FOLDER] -- round 24 (session 24), run from the repository root.  One
# thread per process; two trainings side by side on 2 cores, a third process beside them
# where noted.  Machine: lscpu.txt (the AVX-512 AMD EPYC of rounds 20-23, family 25 model 17).
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../records.sh"
runs_folder "$1"
R22=../round22-runs  # round 22's run folders (both-s30, mg-s2021)
# 0. Where the late reservations would have acted in the guarded runs on record (logs only)
(cd "$HERE/.." && python round24/late_reservations.py) > late_reservations.txt
# 1. A candidate default on fresh seeds 33, 34: cpu-unique + the merge check window (round 21)
#    + the taker reservation from step 3000 (round 23).  3600 s each.
CAND=(--set train.restart_merged_until=3000 --set train.reserve_background_taker_from=3000)
train_seeds cand "33 34" "${CAND[@]}" &
# 2. (a third process beside part 1) round 22's mg-s2021 -- the hot start with the merged
#    guard, merged by step 1500, then the background taken in pieces at the object steps;
#    stopped unreserved at step 4812 -- resumed to step 6400 (a) with the taker reservation
#    (it acts at the first check, step 4900) and (b) with the guards off, so that the spare
#    (expert 2, which also wins most last steps) is reserved at once
MORE=(--max-steps 6400 --max-time 7200)
cp -r "$R22/mg-s2021" mgtaker-s2021
econ-pyro train --resume mgtaker-s2021 --set train.reserve_background_taker_from=3000 \
  "${MORE[@]}" > mgtaker-s2021.log 2>&1
cp -r "$R22/mg-s2021" mgspare-s2021
econ-pyro train --resume mgspare-s2021 --set train.reserve_background_last_largest=null \
  --set train.reserve_background_spare_below=null \
  --set train.reserve_background_merged_below=null "${MORE[@]}" > mgspare-s2021.log 2>&1
# 3. (a third process beside part 1, from seed 34's minute 36) seed 34's step-3000 checkpoint,
#    where the spare guard alone held the reservation back, resumed with that guard off (from
#    step 3000 what train.reserve_background_spare_until=3000 does); copied from cand-s34
#    while that run went on, so the two share everything to step 3000
until [ -f cand-s34/last.pt ] && python -c "import sys, torch; sys.exit(torch.load(
  'cand-s34/last.pt', weights_only=False)['state']['step'] < 3000)"; do sleep 20; done
cp -r cand-s34 spare-s34  # (the copy taken in the session held step 3000 exactly)
econ-pyro inspect competition spare-s34 --n 200 > competition-cand-s34-step3000.txt
econ-pyro train --resume spare-s34 --set train.reserve_background_spare_below=null \
  > spare-s34.log 2>&1
wait
evaluate cand-s33 cand-s34 spare-s34 mgtaker-s2021 mgspare-s2021
econ-pyro curves cand-s33 cand-s34 spare-s34 --every 5 > curves-cand.txt
# 4. The competition step by step (econ-pyro inspect competition, 200 held-out scenes)
for r in "$R22/both-s30" "$R22/mg-s2021" cand-s34 spare-s34; do
  econ-pyro inspect competition "$r" --n 200 > "competition-$(basename "$r").txt"
done
# 5. The default as committed after parts 1-3 (both late reservations from step 3000), fresh
#    seeds 35 and 36
train_seeds def "35 36"
evaluate def-s35 def-s36
econ-pyro curves def-s35 def-s36 --every 5 > curves-def.txt
econ-pyro evaluate def-s35/best.pt --n 1000 --controlled 1000 --out ev/def-s35-best-r0.json \
  > ev/def-s35-best-r0.txt
for r in def-s35 def-s35/best.pt; do
  econ-pyro inspect competition "$r" --n 200 > "competition-$(echo "$r" | tr / - | sed 's/.pt$//').txt"
done
# 6. The late drift of seed 35: its best checkpoint (step 2000) continued for 800 steps (fresh
#    Adam, lr 3e-4, tau 300, background expert 0 kept) with the preset's bar on small proposals
#    (model.min_region 10) and with 20, side by side (.ci/run beside them).  (A --resume cannot
#    change model.min_region: the checkpoint's model config must match.)
for m in 10 20; do
  econ-pyro train --preset cpu-unique --set train.seed=35 --set train.init_from=def-s35/best.pt \
    --set model.background_expert=0 --set model.min_region=$m --set train.temperature_start=300 \
    --set train.temperature_end=300 --set train.lr=3e-4 --set train.restart_merged_at=null \
    --set train.max_steps=800 --set train.standardise_latents=0 --out cont$m-s35 \
    > cont$m-s35.log 2>&1 &
done
wait
evaluate cont10-s35 cont20-s35
for r in cont10-s35 cont20-s35; do econ-pyro inspect competition $r --n 200 > competition-$r.txt; done
