#!/bin/bash
# Round 27 (session 27): the factorised expert VAE (model.shape_latent_dim) on random colours;
# the commands as run (one thread each, two side by side).  usage: bash runs.sh [DIR]
. "$(dirname "$0")/../records.sh"
runs_folder "$1"
H="$(dirname "$0")"
# part 1, from scratch: the cpu-unique preset's training (paper score, reservation, restarts,
# rollbacks) on random colours with a colour curriculum over 4000 steps, latent 6; fvc: the
# first 3 latent dims for the shape, read from the region alone (stopped by hand at step
# 4377); lvc: the paper VAE (a control, stopped by hand at step 1536 to free the core for fu)
F="econ-pyro train --preset cpu-unique --set data.kind=random --set data.colour_curriculum={\"steps\":4000} --set model.latent_dim=6 --set train.max_time=6000"
$F --set model.shape_latent_dim=3 --out fvc-s0 > fvc-s0.log 2>&1 &
$F --out lvc-s0 > lvc-s0.log 2>&1 &
# fu: the factorised VAE on unique colours with the cpu-unique preset (60 min)
econ-pyro train --preset cpu-unique --set model.latent_dim=6 --set model.shape_latent_dim=3 --out fu-s0 > fu-s0.log 2>&1 &
# the shape probe (one shape VAE per class, supervised, outside ECON)
python "$H/shape_probe.py" --latent 3 2 5 --out shape_probe.json > shape_probe.log
wait
# part 2: the shipped cpu-unique's attention and appearance path in a factorised VAE with a
# fresh shape path (transplant.py writes tF.pt), 800 unique-colour steps (fs1) ...
python "$H/transplant.py"
econ-pyro train --preset cpu-unique --set train.init_from=tF.pt --set model.latent_dim=6 --set model.shape_latent_dim=3 --set model.min_region=10 --set train.lr=3e-4 --set train.temperature_start=300 --set train.temperature_end=300 --set train.restart_merged_at=null --set train.max_steps=800 --out fs1-s0 > fs1-s0.log 2>&1
python "$H/class_scores.py" fs1-s0/last.pt ev/fu-s0-a.pt fvc-s0/last.pt > class_scores.txt  # ev/fu-s0-a.pt: fu-s0/last.pt copied at step 2100
python "$H/../round26/shape_signal.py" fs1-s0/last.pt > shape_signal.txt
# ... then random colours, the paper's deterministic competition on L_r only (as round 26's
# curdr), without (fdr) and with (fdrc) a 1500-step colour curriculum
R="econ-pyro train --preset cpu-random --set train.init_from=fs1-s0 --set model.latent_dim=6 --set model.shape_latent_dim=3 --set model.min_region=10 --set model.competition=deterministic --set model.score=region --set model.gamma=1.0 --set train.lr=3e-4 --set train.max_time=2400"
$R --out fdr-s0 > fdr-s0.log 2>&1 &
$R --set data.colour_curriculum={\"steps\":1500} --out fdrc-s0 > fdrc-s0.log 2>&1 &
wait
for r in fu-s0/best.pt fvc-s0 fs1-s0 fdr-s0 fdrc-s0; do
  econ-pyro evaluate "$r" --n 1000 --controlled 0 --out "ev/${r%%/*}.json" > "ev/${r%%/*}.txt"
done
econ-pyro evaluate fs1-s0 --kind random --n 1000 --controlled 0 --out ev/fs1-s0-random.json > ev/fs1-s0-random.txt
# part 3 (dashboard only): fdrc with gamma 3 (fgc) and with the stochastic competition at tau 30 (fsc)
$R --set model.gamma=3.0 --set data.colour_curriculum={\"steps\":1500} --set train.max_time=1200 --out fgc-s0 > fgc-s0.log 2>&1 &
$R --set model.competition=stochastic --set train.temperature_start=30 --set train.temperature_end=30 --set data.colour_curriculum={\"steps\":1500} --set train.max_time=1200 --out fsc-s0 > fsc-s0.log 2>&1 &
wait
