#!/bin/bash
# Round 34, #8's before / after on one machine: the bench of the first sweep commit
# (236a9a6, session 3's code: the issue's "before") and of this checkout, in turn, twice each,
# then decompose of fresh CPU nets (batch 64, 512 scenes, median of 5), before and after in
# turn.  The old bench has no --decompose, so decompose_rate is called directly in both.
# usage (from the repository root): bash docs/results/round34/before_after.sh [THREADS...]
# (default: 2 1).  As run in session 34: THREADS 1 only, beside one training (wh16-s1) on the
# other core; the quiet 2-thread "after" is bench-breakdown-2threads.txt
set -e
OUT=$PWD/docs/results/round34
ROOT=$PWD
git worktree add -f /tmp/econ-before 236a9a6 > /dev/null 2>&1 || true
src() { if [ "$1" = before ]; then echo /tmp/econ-before; else echo "$ROOT"; fi; }
cd /tmp  # not the repository root: python puts the current folder before PYTHONPATH
for threads in ${@:-2 1}; do
  for rep in 1 2; do
    for code in before after; do
      PYTHONPATH=$(src $code) python -m econ_pyro.bench --sizes 32 --nets cpu paper \
        --strategies loop --reps 5 --threads $threads --out $OUT/ba-$code-t$threads-r$rep.json \
        2>&1 | grep -v USDT > $OUT/ba-$code-t$threads-r$rep.txt
    done
  done
done
for threads in ${@:-2 1}; do
  for code in before after; do
    PYTHONPATH=$(src $code) python -c "
import statistics, torch, econ_pyro
from econ_pyro.bench import decompose_rate
torch.set_num_threads($threads)
r = [decompose_rate('cpu') for _ in range(5)]
print('$code', econ_pyro.__file__, '$threads threads', ' / '.join(f'{v:.1f}' for v in r),
      '-> median', f'{statistics.median(r):.1f}', 'images/s')"
  done
done > $OUT/ba-decompose.txt
