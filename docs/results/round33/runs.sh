#!/bin/bash
# Round 33 (session 33): does the attention's width limit the random-colour model?  Round 31's
# long-s0 (the shipped `cpu-random-curriculum`) with every expert's attention U-Net widened
# without changing what the model computes (`widen.py`: 8-16-16 -> 16-32-32 `w16-s0`, ->
# 32-64-64 `w32-s0`), continued exactly as round 32's control ctl-s0 (fresh Adam and lr
# schedule, lr 1e-4, tau 30 constant, no colour curriculum, at most 3600 s), one thread each,
# side by side (w32-s0 started 14 min after w16-s0).  Beside them: #8's measurements
# (fused_experts.py, bench --breakdown, up_ab.py, up_micro.py: one thread; quiet.sh: on the quiet
# machine).
# usage: bash runs.sh DIR
. "$(dirname "$0")/../records.sh"
runs_folder "$1"
H="$(cd "$(dirname "$0")" && pwd)"
R31="$H/../round31"
R32="$H/../round32"
python "$H/widen.py" cpu-random-curriculum wide16.pt --channels 16 32 32
econ-pyro train $CONTINUE_RANDOM --set train.init_from=wide16.pt \
  --set "model.attention_channels=[16,32,32]" \
  --max-time 3600 --out w16-s0 > w16-s0.log 2>&1 &
python "$H/widen.py" cpu-random-curriculum wide32.pt --channels 32 64 64
econ-pyro train $CONTINUE_RANDOM --set train.init_from=wide32.pt \
  --set "model.attention_channels=[32,64,64]" \
  --max-time 3600 --out w32-s0 > w32-s0.log 2>&1 &
wait
# a second seed of the 16-32-32 continuation (other batches and draws), 2400 s; in the session
# it started beside w32-s0's last 13 minutes, once w16-s0 (ended by its lr schedule at 3200
# steps) had been evaluated and the test suite had run on the freed core
econ-pyro train $CONTINUE_RANDOM --set train.init_from=wide16.pt \
  --set "model.attention_channels=[16,32,32]" \
  --set train.seed=1 --max-time 2400 --out w16-s1 > w16-s1.log 2>&1
evaluate_in_ood w16-s0 w32-s0 w16-s1
for r in w16-s0 w32-s0 w16-s1; do
  python "$R31/colour_pairs.py" $r > colour_pairs_3_$r.txt
  python "$R32/touch_pairs.py" $r > touch_pairs_3_$r.txt
done
# paired differences on the same 1000 scenes (in and out of distribution)
for d in in ood; do
  python "$H/paired_diff.py" "$R31/ev/long-s0-$d.json" "$R32/ev/ctl-s0-$d.json" \
    ev/w16-s0-$d.json ev/w32-s0-$d.json ev/w16-s1-$d.json
done > paired_diff.txt
