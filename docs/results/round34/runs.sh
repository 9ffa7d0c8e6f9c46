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
