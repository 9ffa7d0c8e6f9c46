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
from saturation import expert_logits  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--n", type=int, default=300)
    args = ap.parse_args()
    scenes = generate_scenes(args.n, SceneConfig(kind="random"), seed=12345)
    x = scenes_to_tensors(scenes)["image"]
    vis = torch.from_numpy(scenes.visible[:, 1:]).float()  # [N, O, H, W]
    q = torch.tensor([0.05, 0.25, 0.5, 0.75, 0.95])
    print(f"{args.n} scenes (random colours), 3 objects, full scope; logits on each object's "
          "visible pixels in the expert that covers most of it")
    for name in args.models:
        logit = expert_logits(load(name), x)  # [K, N, H, W]
        k = torch.einsum("knhw,nohw->kno", torch.sigmoid(logit), vis).argmax(0)  # [N, O]
        own = logit.permute(1, 0, 2, 3)[torch.arange(args.n)[:, None], k]  # [N, O, H, W]
        v = own[vis > 0]
        p = torch.sigmoid(v)
        slope = p * (1 - p)
        print(f"{name}: logit quantiles 5/25/50/75/95 % "
              + " / ".join(f"{a:.1f}" for a in torch.quantile(v, q).tolist())
              + f"; sigmoid slope median {slope.median().item():.1e}, share of px with slope "
              f"< 1e-3: {(slope < 1e-3).float().mean().item():.3f}")


if __name__ == "__main__":
    main()
