#!/bin/bash
# Round 31 (session 31): round 30's colour-curriculum runs (curt-s0..s2, `cpu-random-curriculum`)
# continued to the end of their lr schedule, and why random-colour objects are merged; the
# commands as run (one thread each, two side by side).  usage: bash runs.sh DIR, where DIR holds
# round 30's curt-s0, curt-s1, curt-s2 run folders (docs/results/round30/runs.sh, parts 1 and 3)
. "$(dirname "$0")/../records.sh"
runs_folder "$1"
H="$(cd "$(dirname "$0")" && pwd)"
# which pairs do round 30's models merge?  Split share by the pair's RGB colour distance
python "$H/colour_pairs.py" curt-s0 cpu-random > colour_pairs_3.txt
python "$H/colour_pairs.py" curt-s0 cpu-random --objects 4-5 --n-steps 6 > colour_pairs_ood.txt
# part 1: continue curt (stopped at 3759 / 3584 / 3759 steps, lr 3e-4, no lr decrease yet)
# exactly (resume: the same loss sequence as one longer run) until the plateau schedule's 5th
# lr decrease ends it, at most 7200 s in all.  As run, the continuations were stopped and
# resumed on the way (long-s0 at a first max_time of 6000 s; long-s1 by SIGINT at 3761 steps,
# to free a core for sx05, and at 5800 steps, to lift a max_steps of 8700), and long-s2 started
# when long-s0 was 7 minutes from its end (three processes for those minutes): resuming is exact,
# so the commands below give the same runs.  The logs hold the parts one after the other.
for s in 0 1 2; do cp -r "curt-s$s" "long-s$s"; done
econ-pyro train --resume long-s0 --max-steps 100000 --max-time 7200 > long-s0.log 2>&1 &
# beside it, until stopped by hand at step 1869 (to give its core to long-s1): curt-s0 continued
# with sigma_x 0.05 (fresh Adam and schedule, tau 30, no colour curriculum)
econ-pyro train --preset cpu-random-curriculum --set train.init_from=curt-s0/last.pt \
  --set data.colour_curriculum=null --set train.temperature_schedule=constant \
  --set train.temperature_start=30 --set model.sigma_x=0.05 --max-steps 20000 --max-time 3600 \
  --out sx05-s0 > sx05-s0.log 2>&1
econ-pyro train --resume long-s1 --max-steps 100000 --max-time 7200 > long-s1.log 2>&1 &
wait
econ-pyro train --resume long-s2 --max-steps 100000 --max-time 7200 > long-s2.log 2>&1
# evaluation: in distribution and out of distribution (records.sh), the colour-distance split
evaluate_in sx05-s0
evaluate_in_ood long-s0 long-s1 long-s2
for r in long-s0 long-s1 long-s2; do python "$H/colour_pairs.py" $r > colour_pairs_3_$r.txt; done
python "$H/colour_pairs.py" long-s0 --objects 4-5 --n-steps 6 > colour_pairs_ood_long-s0.txt
python "$H/colour_pairs.py" sx05-s0 > colour_pairs_3_sx05.txt
python "$H/table.py" ev/long-s0-in.json,ev/long-s1-in.json,ev/long-s2-in.json \
  ev/long-s0-ood.json,ev/long-s1-ood.json,ev/long-s2-ood.json ev/long-s2-in.json \
  ev/long-s2-ood.json > table.txt
# the shipped model and its figures (from the repository root: RUNS = this folder)
# econ-pyro export RUNS/long-s0 econ_pyro/pretrained/cpu-random-curriculum.pt --note "..."
# econ-pyro figures cpu-random-curriculum --out docs/figures/cpu-random-curriculum
