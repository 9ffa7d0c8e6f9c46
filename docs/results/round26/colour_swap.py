"""Round 26: is the unique-colour model's class signal its shape or its colour?

Unique-colour scenes whose front object is repainted in the unique colour of another class
(circle -> square's green, square -> triangle's blue, triangle -> circle's red; its mask is
unchanged).  Every object expert is given the front object's true mask at the first step (as
in shape_signal.py) and scored; the table gives the share of scenes in which the expert of
the object's shape class scores best and the share in which the expert of its (new) colour's
class does.  Unrepainted scenes are the control.

usage: OMP_NUM_THREADS=1 python colour_swap.py [MODEL] [--n 1000]
"""
from __future__ import annotations

import argparse

import torch
from shape_signal import class_experts, front_scores

from econ_pyro import load
from econ_pyro.data.datasets import scenes_to_tensors
from econ_pyro.data.generator import UNIQUE_COLOURS, SceneConfig, generate_scenes
from econ_pyro.data.shapes import CLASS_IDS


@torch.no_grad()
def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?", default="cpu-unique")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=12345)
    args = ap.parse_args()
    econ = load(args.model)
    econ.eval()
    cfg = SceneConfig(image_size=econ.config.image_size)
    t = scenes_to_tensors(generate_scenes(args.n, cfg, seed=args.seed))
    owner = torch.tensor(class_experts(econ, t))  # expert of class c + 1
    front = t["amodal"][:, -1]  # [n, H, W], the front object (unoccluded)
    shape_cls = t["classes"][:, -1] - 1  # 0 circle, 1 square, 2 triangle
    colour_of = torch.zeros(3, 3)
    for name, rgb in UNIQUE_COLOURS.items():
        colour_of[CLASS_IDS[name] - 1] = torch.tensor(rgb, dtype=torch.float) / 255
    print(f"{args.model}: class experts {owner.tolist()}")
    for label, shift in (("control (own colour)", 0), ("repainted (next class's colour)", 1)):
        colour_cls = (shape_cls + shift) % 3
        x = t["image"].clone()
        m = front[:, None].bool().expand_as(x)
        x[m] = colour_of[colour_cls][:, :, None, None].expand_as(x)[m]
        for form in ("paper", "region"):
            best = front_scores(econ, x, front, form, args.seed).argmin(0)
            print(f"  {label:32s} {form:6s}  shape's expert wins "
                  f"{(best == owner[shape_cls]).float().mean():.3f}  colour's expert wins "
                  f"{(best == owner[colour_cls]).float().mean():.3f}")


if __name__ == "__main__":
    main()
