#!/usr/bin/env bash
# usage: runs.sh [RUNS_FOLDER] -- round 16 (session 16), run from the repository root.  One
# thread per process; two trainings side by side on 2 cores (times are not comparable).
# R15: round 15's run folder, an absolute path (its fin-s13, fin-s14: docs/results/round15/runs.sh).
HERE=$(cd "$(dirname "$0")" && pwd)
R15=${R15:-runs15}
mkdir -p "${1:-runs}/ev" && cd "${1:-runs}" || exit 1
export OMP_NUM_THREADS=1
# 1. What fails in controlled generation, and which prior / which posteriors fix it
python "$HERE/prior_fit.py" cpu-unique "{0: 1, 1: 0, 2: 2, 3: 3}" > prior_fit_rerun.txt
python "$HERE/prior_fit.py" $R15/fin-s13 "{0: 2, 1: 1, 2: 3, 3: 0}" > prior_fit_fin-s13.txt
python "$HERE/prior_fit.py" $R15/fin-s14 "{0: 1, 1: 3, 2: 2, 3: 0}" > prior_fit_fin-s14.txt
python "$HERE/prior_source.py" $R15/fin-s14 "{0: 1, 1: 3, 2: 2, 3: 0}" > prior_source.txt
# 2. The fitted prior added to the shipped models (stored standardisation kept) and to round
#    15's fin-s13 / fin-s14 (copies of their last.pt), then controlled generation, 1000 samples
#    (shipped models before session 16: git show 7fed4a2:econ_pyro/pretrained/NAME.pt)
python "$HERE/fit_priors.py" ../econ_pyro/pretrained/*.pt > fit_priors.txt
cp $R15/fin-s13/last.pt fin-s13.pt && cp $R15/fin-s14/last.pt fin-s14.pt
python "$HERE/fit_priors.py" fin-s13.pt fin-s14.pt > fit_priors_fin.txt
E=../docs/results/round15/ev
python "$HERE/controlled.py" 1000 cpu-unique $E/det-b1-r0.json fin-s13.pt $E/fin-s13-r0.json \
  fin-s14.pt $E/fin-s14-r0.json cpu-unique-s12 $E/cpu-unique-s12.json > controlled.txt
# 3. OOD: each proposal cut to its largest connected component (not adopted)
python "$HERE/ood_components.py" cpu-unique 200 > ood_components.txt
# 4. The cpu-unique-finish preset from scratch, seeds 21 and 22 (side by side; stopped at
#    6600 s), evaluated with and without --refine 30
for s in 21 22; do
  econ-pyro train --preset cpu-unique-finish --set train.seed=$s --max-time 6600 \
    --out fin1-s$s > fin1-s$s.log 2>&1 &
done
wait
# the two processes had imported the first version of the prior fit (all wins) when they
# started, so the prior stored at their end is refitted with today's code
for s in 21 22; do econ-pyro standardise fin1-s$s; done > fin1-standardise.txt
for s in 21 22; do
  econ-pyro evaluate fin1-s$s --n 1000 --controlled 1000 --out ev/fin1-s$s-r0.json > ev/fin1-s$s-r0.txt
  econ-pyro evaluate fin1-s$s --n 1000 --controlled 0 --refine 30 --out ev/fin1-s$s-r30.json > ev/fin1-s$s-r30.txt
done
python "$HERE/controlled.py" 1000 fin1-s22 ev/fin1-s22-r0.json > controlled_fin1.txt
