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
