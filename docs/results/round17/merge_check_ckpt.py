"""The trainer's merge check (train.restart_merged_at) on a saved checkpoint, with the run's
own validation scenes.  Usage: merge_check_ckpt.py CHECKPOINT.pt SEED"""
import sys

import torch

import econ_pyro
from econ_pyro.data import SceneConfig, generate_scenes, scenes_to_tensors
from econ_pyro.generate import decompose
from econ_pyro.training.remedies import merge_check

econ = econ_pyro.load(sys.argv[1], standardised=False)
ckpt = torch.load(sys.argv[1], weights_only=True)
seed = int(sys.argv[2])  # the attempt's seed: its validation scenes, as the trainer draws them
val = scenes_to_tensors(generate_scenes(100, SceneConfig(kind="unique"), seed=(seed, 2**31 - 1)))
torch.manual_seed(0)
dec = decompose(econ, val["image"], deterministic=True)
print(f"step {ckpt['state']['step']}:", merge_check(dec["experts"], len(econ.experts)))
