"""Round 27: per expert, the median L_r-only competition score of random-colour scenes' front
objects (their true masks given to every expert at the first inference step, as in round 26's
shape_signal.py), split by the front object's class, and how often each expert scores best.
A class-selective shape path shows as one low entry per row, a different expert per class.

usage: OMP_NUM_THREADS=1 python class_scores.py MODEL [MODEL ...] [--n 400]
"""
import argparse
import sys
from pathlib import Path

import torch

from econ_pyro import load
from econ_pyro.data.datasets import scenes_to_tensors
from econ_pyro.data.generator import SceneConfig, generate_scenes

sys.path.insert(0, str(Path(__file__).parent.parent / "round26"))
from shape_signal import front_scores  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("models", nargs="+")
ap.add_argument("--n", type=int, default=400)
args = ap.parse_args()
t = scenes_to_tensors(generate_scenes(args.n, SceneConfig(kind="random", image_size=32),
                                      seed=12345))  # the same scenes for every model
c = t["classes"][:, -1]
for m in args.models:
    econ = load(m).eval()
    s = front_scores(econ, t["image"], t["amodal"][:, -1], "region", 0)  # [K, n]
    print(m, "background expert", econ.config.background_expert, "(inf: not allowed)")
    for k in range(1, 4):
        print(f"  class {k}: median L_r per expert",
              [round(v, 1) for v in s[:, c == k].median(1).values.tolist()],
              "best", torch.bincount(s[:, c == k].argmin(0), minlength=len(s)).tolist())
