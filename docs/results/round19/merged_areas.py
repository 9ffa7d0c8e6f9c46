"""What a merged run's steps take: mean region area (pixels) per inference step and the
winners, deterministic competition, on the run's 100 validation scenes.
Usage: merged_areas.py CHECKPOINT.pt SEED"""
import sys

import torch

import econ_pyro
from econ_pyro.data import SceneConfig, generate_scenes, scenes_to_tensors
from econ_pyro.generate import decompose

econ = econ_pyro.load(sys.argv[1], standardised=False)
seed = int(sys.argv[2])
val = scenes_to_tensors(generate_scenes(100, SceneConfig(kind="unique"), seed=(seed, 2**31 - 1)))
torch.manual_seed(0)
dec = decompose(econ, val["image"], deterministic=True)
area = dec["regions"].flatten(2).sum(-1)  # [scenes, steps]; steps in inference order t = T..1
print("mean area per inference step (t = T..1):", [round(a, 1) for a in area.mean(0).tolist()])
print("winners of the first 5 scenes (t = T..1):", dec["experts"][:5].tolist())
