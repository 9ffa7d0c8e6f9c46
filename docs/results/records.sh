# Shared by the record scripts from round 22 on: source it from a round's runs.sh.
# usage (in runs.sh): . "$(dirname "$0")/../records.sh"; runs_folder "$1"
runs_folder() {  # runs_folder [DIR]: make DIR (default runs) and DIR/ev, cd there, 1 thread
  mkdir -p "${1:-runs}/ev" && cd "${1:-runs}" || exit 1
  export OMP_NUM_THREADS=1
}
evaluate() {  # evaluate RUN...: 1000 held-out scenes each, controlled generation too
  for r in "$@"; do
    econ-pyro evaluate "$r" --n 1000 --controlled 1000 --out "ev/$r-r0.json" > "ev/$r-r0.txt"
  done
}
train_seeds() {  # train_seeds NAME "SEED ..." [--set ...]: cpu-unique runs NAME-sSEED side by side
  local name=$1 seeds=$2
  shift 2
  for s in $seeds; do
    econ-pyro train --preset cpu-unique --set train.seed="$s" "$@" --out "$name-s$s" \
      > "$name-s$s.log" 2>&1 &
  done
  wait
}
# 1000 held-out scenes out of distribution: 4-5 objects, classes i.i.d., T = 6 (rounds 28-30)
OOD="--objects 4-5 --repeat-classes --n-steps 6 --n 1000 --controlled 0"
evaluate_in() {  # evaluate_in RUN...: 1000 held-out scenes in distribution, no generation
  for r in "$@"; do
    econ-pyro evaluate "$r" --n 1000 --controlled 0 --out "ev/$r-in.json" > "ev/$r-in.txt"
  done
}
evaluate_in_ood() {  # evaluate_in_ood RUN...: 1000 held-out scenes out of and in distribution
  for r in "$@"; do
    econ-pyro evaluate "$r" $OOD --out "ev/$r-ood.json" > "ev/$r-ood.txt"
    evaluate_in "$r"
  done
}
evaluate_ood() {  # evaluate_ood RUN...: round 28's pairs split (4-5 objects, T = 6; 3 objects,
  # T = 4), then evaluate_in_ood (rounds 29-30)
  local r28
  r28="$(cd "$(dirname "${BASH_SOURCE[0]}")/round28" && pwd)"
  for r in "$@"; do
    python "$r28/pairs_split.py" "$r" > "pairs_ood_$r.txt"
    python "$r28/pairs_split.py" "$r" --objects 3 --n-steps 4 > "pairs_3_$r.txt"
    evaluate_in_ood "$r"
  done
}
# rounds 32-33: round 31's long-s0 (the shipped `cpu-random-curriculum`) continued with a fresh
# Adam and lr schedule, lr 1e-4, tau 30 constant, no colour curriculum (add train.init_from)
CONTINUE_RANDOM="--preset cpu-random-curriculum --set data.colour_curriculum=null
  --set train.temperature_schedule=constant --set train.temperature_start=30
  --set train.lr=1e-4 --max-steps 20000"
