"""Round 32: round 29's saturation measurement on random colours.

For held-out random-colour scenes (3 objects, one per class, seed 12345) at the full scope (the
first inference step), each object's visible pixels are read in the logits of the expert whose
attention covers most of the object (round 29's `expert_logits`).  Printed: quantiles of those
logits and of the sigmoid's slope p (1 - p) there, which scales every gradient that reaches the
attention net through r = s * sigmoid(logit).

usage: python saturation_random.py MODEL... [--n 300]
"""
import argparse
import sys
from pathlib import Path

import torch

from econ_pyro.data import SceneConfig, generate_scenes
from econ_pyro.data.datasets import scenes_to_tensors
from econ_pyro.training import load

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "round29"))
from saturation import describe, own_logits  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--n", type=int, default=300)
    args = ap.parse_args()
    scenes = generate_scenes(args.n, SceneConfig(kind="random"), seed=12345)
    x = scenes_to_tensors(scenes)["image"]
    vis = torch.from_numpy(scenes.visible[:, 1:]).float()  # [N, O, H, W]
    print(f"{args.n} scenes (random colours), 3 objects, full scope; logits on each object's "
          "visible pixels in the expert that covers most of it")
    for name in args.models:
        own = own_logits(load(name), x, vis)  # [N, O, H, W]
        print(f"{name}: " + describe(own[vis > 0]))

if __name__ == "__main__":
    main()
