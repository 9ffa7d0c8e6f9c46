"""Choosing --refine's steps and step size on validation scenes, not the test scenes (round 15).

Usage: SEED=777 python refine_choice.py MODEL N STEPS:LR ...

Evaluates MODEL on N generated unique-colour scenes of seed SEED (777: not the held-out
seed 12345 of every reported evaluation), decoding a sample of z, its posterior mean, and
each STEPS:LR refinement, and prints the occluded / all amodal IoU, FG-ARI, depth order,
shape recognisability, hidden recall, MSE and occluded amodal IoU by class (1 circle,
2 square, 3 triangle).
"""

import os
import sys
import time

import torch

import econ_pyro
from econ_pyro.data import SceneConfig, generate_scenes
from econ_pyro.evaluation import evaluate

torch.set_num_threads(1)
econ = econ_pyro.load(sys.argv[1])
scenes = generate_scenes(int(sys.argv[2]), SceneConfig(kind="unique"),
                         seed=int(os.environ.get("SEED", 777)))
runs = [(0, 0.1, False), (0, 0.1, True)] + [(int(a.split(":")[0]), float(a.split(":")[1]), True)
                                            for a in sys.argv[3:]]
for n, lr, mean in runs:
    t0 = time.time()
    m = evaluate(econ, scenes, refine=n, refine_lr=lr, posterior_mean=mean, baselines=False)
    by_class = {k: round(v["amodal_iou"], 3) for k, v in m["occluded_by_class"].items()}
    print(f"refine {n:3d} lr {lr} {'mean  ' if mean else 'sample'}: "
          f"amodal occl {m['amodal_iou_occluded']['mean']:.3f} "
          f"all {m['amodal_iou']['mean']:.3f} fg-ari {m['fg_ari']['mean']:.3f} "
          f"depth {m['depth_order_accuracy']['mean']:.3f} "
          f"shape {m['shape_class_accuracy']['mean']:.3f} "
          f"hidden {m['hidden_recall']['mean']:.3f} mse {m['mse']['mean']:.4f} "
          f"by class {by_class}  ({time.time() - t0:.0f} s)", flush=True)
