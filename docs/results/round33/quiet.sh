#!/bin/bash
# Round 33, #8 measurements on the quiet machine (nothing else running), from this folder.
set -e
lscpu > lscpu.txt
econ-pyro bench --sizes 32 --nets cpu paper --strategies loop --reps 5 --breakdown \
  --decompose cpu cpu-unique --out bench-breakdown-2threads.json 2>&1 | grep -v USDT \
  > bench-breakdown-2threads.txt
econ-pyro bench --sizes 32 --nets cpu paper --strategies loop --reps 5 --threads 1 \
  --breakdown --out bench-breakdown-1thread-quiet.json 2>&1 | grep -v USDT \
  > bench-breakdown-1thread-quiet.txt
for n in cpu paper; do python fused_experts.py --nets $n --threads 2; done \
  > fused_experts_2threads.txt
(python up_ab.py cpu 10 2; python up_ab.py paper 5 2) > up_ab_2threads.txt
