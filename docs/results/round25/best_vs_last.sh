#!/usr/bin/env bash
# Evaluate best.pt of every run on record from rounds 20-24 (1000 held-out scenes, as last.pt was)
export OMP_NUM_THREADS=1
for r in r24/def-s36 r24/cand-s33 r24/cand-s34 r24/spare-s34 r24/cont10-s35 r24/cont20-s35 r23/all-s31 r23/all-s32 r23/take-s30 r23/taker-s30 r22/both-s27 r22/both-s28 r22/both-s29 r22/both-s30 r22/mg-s14 r22/mg-s2021 r21/def-s25 r21/def-s26 r21/win-s14 r21/win-s2021 r20/hot-s13 r20/hot-s14 r20/hot-s2021 r20/hot-s22 r24/mgspare-s2021 r24/mgtaker-s2021; do
  n=$(echo $r | tr / -)
  [ -f ev/$n-best.json ] && continue
  s=$(date +%s)
  econ-pyro evaluate /work/$r/best.pt --n 1000 --out ev/$n-best.json > ev/$n-best.txt 2>&1
  echo "$r $(( $(date +%s) - s )) s"
done
