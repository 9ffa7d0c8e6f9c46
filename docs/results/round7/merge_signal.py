"""The label-free merge signal of round 7 on checkpoints of a run.

For each checkpoint: a deterministic decomposition of 200 generated scenes (seed 777),
then `merge_check`'s share of scenes in which each expert wins two or more object steps
(`multi`), each expert's share of the object steps, and of the last steps.

Run: python docs/results/round7/merge_signal.py CHECKPOINT.pt [...]
"""
import sys

import numpy as np
import torch

import econ_pyro
from econ_pyro.data import SceneConfig, generate_scenes, scenes_to_tensors
from econ_pyro.generate import decompose
from econ_pyro.training.remedies import merge_check

x = scenes_to_tensors(generate_scenes(200, SceneConfig(), seed=777))["image"]
for path in sys.argv[1:]:
    econ = econ_pyro.load(path)
    step = torch.load(path, map_location="cpu", weights_only=False)["state"]["step"]
    torch.manual_seed(0)
    c = merge_check(decompose(econ, x)["experts"], econ.config.n_experts)
    obj, last = np.array(c["object_step_wins"]), np.array(c["last_step_wins"])
    print(f"step {step:5d}  multi {c['multi']}  object-step share "
          f"{np.round(obj / obj.sum(), 2).tolist()}  last-step share "
          f"{np.round(last / last.sum(), 2).tolist()}")
