"""Round 29: can the attention U-Net take *one* of two same-coloured objects, supervised?

A capacity probe outside ECON, in the spirit of round 26's `attention_probe.py`: one
AttentionUNet per object class sees unique-colour scenes with 4-5 objects whose classes repeat
(the out-of-distribution scenes, here for training too) and learns, with a permutation-free
loss, to output the visible mask of ONE object of its class: the binary cross-entropy to the
closest of that class's objects (min over them; zeros if the class is absent).  Reported on
1000 held-out scenes (seed 12345), for the (scene, class) cases with two or more objects of the
class: the IoU of the thresholded mask with the best single object, and the same for the colour
filter (the union of the class's visible masks, what the ECON attention draws, round 28).
If the supervised net cannot do it, no training signal in ECON can teach it.

usage: OMP_NUM_THREADS=1 python instance_probe.py [--steps 1500] [--channels 8,16,16 ...]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

from econ_pyro.data.datasets import scenes_to_tensors
from econ_pyro.data.generator import SceneConfig, generate_scenes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "round26"))
from attention_probe import net_facts, probe_sizes, train_nets  # noqa: E402

CFG = SceneConfig(kind="unique", min_objects=4, max_objects=5, repeat_classes=True)


def class_objects(t: dict, c: int) -> torch.Tensor:
    """[N, O, H, W]: the visible masks of the objects of class c (zeros in other slots)."""
    vis, cls = t["visible"][:, 1:].float(), t["classes"][:, 1:]
    return vis * (cls == c).float()[:, :, None, None]


def one_object_loss(p: torch.Tensor, objs: torch.Tensor) -> torch.Tensor:
    """Mean over scenes of min over the class's objects of the BCE of p [N, H, W] to each;
    to the empty mask where the class is absent."""
    present = objs.flatten(2).sum(-1) > 0  # [N, O]
    bce = F.binary_cross_entropy(p[:, None].expand_as(objs), objs, reduction="none")
    bce = bce.flatten(2).mean(-1).masked_fill(~present, float("inf"))  # [N, O]
    empty = F.binary_cross_entropy(p, torch.zeros_like(p), reduction="none").flatten(1).mean(-1)
    best = torch.where(present.any(1), bce.min(1).values, empty)
    return best.mean()


def best_iou(mask: torch.Tensor, objs: torch.Tensor) -> torch.Tensor:
    """[N]: the IoU of boolean masks [N, H, W] with the best-matching object of objs."""
    m = mask[:, None].float()
    inter = (m * objs).flatten(2).sum(-1)
    union = ((m + objs) > 0).float().flatten(2).sum(-1)
    present = objs.flatten(2).sum(-1) > 0
    return torch.where(present, inter / union.clamp(min=1), torch.zeros_like(inter)).max(1).values


def probe(channels: list[int], steps: int, batch: int, seed: int) -> dict:
    test = scenes_to_tensors(generate_scenes(1000, CFG, seed=12345))
    nets, final_loss, train_s = train_nets(
        channels, CFG, steps, batch, seed,
        lambda tr: [class_objects(tr, c) for c in (1, 2, 3)], one_object_loss)
    net_iou, filter_iou, n = 0.0, 0.0, 0
    with torch.no_grad():
        x = test["image"]
        scope = torch.ones_like(x[:, :1])
        for c, net in enumerate(nets):
            objs = class_objects(test, c + 1)
            many = (objs.flatten(2).sum(-1) > 0).sum(1) >= 2  # scenes with >= 2 of class c
            pred = net(x, scope).squeeze(1) > 0.5
            union = objs.sum(1) > 0
            net_iou += best_iou(pred, objs)[many].sum().item()
            filter_iou += best_iou(union, objs)[many].sum().item()
            n += int(many.sum())
    return {"channels": channels, "steps": steps, "batch": batch, "cases": n,
            "iou_one_object_net": round(net_iou / n, 3),
            "iou_colour_filter": round(filter_iou / n, 3), **net_facts(nets, final_loss, train_s)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--channels", nargs="+", default=["8,16,16"])
    ap.add_argument("--out", default="instance_probe.json")
    args = ap.parse_args()
    probe_sizes(probe, args.channels, args.steps, args.batch, args.seed, out=args.out)


if __name__ == "__main__":
    main()
