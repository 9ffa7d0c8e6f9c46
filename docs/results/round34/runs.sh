#!/bin/bash
# Round 34 (session 34, the AVX-512/AMX Intel Xeon, `lscpu.txt`): #8's step breakdown on this
# machine (quiet, first), then #9's random colours with a wider attention net through the whole
# colour curriculum: the shipped cpu-unique's attention U-Nets widened 8-16-16 -> 16-32-32
# without changing its output (round 33's widen.py), then `cpu-random-curriculum` from it as
# round 31's long-s0 / long-s1 (same seeds: the same scene batches), one thread each, side by
# side, until the preset's lr schedule or its 2 h end them.
# usage: bash runs.sh DIR
. "$(dirname "$0")/../records.sh"
H="$(cd "$(dirname "$0")" && pwd)"
R31="$H/../round31"
R32="$H/../round32"
R33="$H/../round33"
mkdir -p "${1:-runs}" && cd "${1:-runs}" || exit 1
lscpu > lscpu.txt
econ-pyro bench --sizes 32 --nets cpu paper --strategies loop --reps 5 --breakdown \
  --decompose cpu cpu-unique --out bench-breakdown-2threads.json 2>&1 | grep -v USDT \
  > bench-breakdown-2threads.txt
runs_folder .
python "$R33/widen.py" cpu-unique wideu16.pt --channels 16 32 32
for s in 0 1; do
  econ-pyro train --preset cpu-random-curriculum --set train.init_from=wideu16.pt \
    --set "model.attention_channels=[16,32,32]" --set train.seed=$s --out wc16-s$s \
    > wc16-s$s.log 2>&1 &
done
wait
# evaluation (records.sh): 1000 held-out scenes in and out of distribution, which pairs merge
# by colour distance and contact, paired per-scene differences against round 31's long-s0 /
# long-s1 (the same preset at 8-16-16 from the same seeds, on the AVX2 AMD EPYC)
evaluate_in_ood wc16-s0 wc16-s1
for r in wc16-s0 wc16-s1; do
  python "$R31/colour_pairs.py" $r > colour_pairs_3_$r.txt
  python "$R32/touch_pairs.py" $r > touch_pairs_3_$r.txt
done
# wc16-s1's plateau schedule divided its lr at step 1300, inside the colour curriculum's 3000
# steps (round 31's three seeds had no decrease before step 3584): wc16-s1 again with the
# schedule held until the curriculum ends (train.lr_schedule_from, new), one thread, started
# once wc16-s1 had ended (beside wc16-s0's last 22 minutes), capped at 3300 s by the session
econ-pyro train --preset cpu-random-curriculum --set train.init_from=wideu16.pt \
  --set "model.attention_channels=[16,32,32]" --set train.seed=1 \
  --set train.lr_schedule_from=3000 --max-time 3300 --out wh16-s1 > wh16-s1.log 2>&1
evaluate_in_ood wh16-s1
python "$R31/colour_pairs.py" wh16-s1 > colour_pairs_3_wh16-s1.txt
python "$R32/touch_pairs.py" wh16-s1 > touch_pairs_3_wh16-s1.txt
# paired differences (as recorded, from the repository root with the ev/ files under round34)
for d in in ood; do
  python "$R33/paired_diff.py" "$R31/ev/long-s0-$d.json" ev/wc16-s0-$d.json
  python "$R33/paired_diff.py" "$R31/ev/long-s1-$d.json" ev/wc16-s1-$d.json ev/wh16-s1-$d.json
  python "$R33/paired_diff.py" ev/wc16-s1-$d.json ev/wh16-s1-$d.json
done > paired_diff.txt
# #8's before / after (from the repository root): bash docs/results/round34/before_after.sh 1
