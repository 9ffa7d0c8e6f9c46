"""Round 32: can the attention U-Net, supervised, take one whole object out of random-colour
scenes where objects of close colour touch?

A capacity probe outside ECON, in the spirit of rounds 26 and 29 (`attention_probe.py`,
`instance_probe.py`, whose training loop and loss it uses): on random-colour scenes (3
objects, one per class) an AttentionUNet learns, on the full scope, the visible mask of ONE
unoccluded object (what any of ECON's object steps may take first), with round 29's
permutation-free loss: the binary cross-entropy to the closest of the scene's unoccluded
objects.  `train_nets` trains three nets side by side, here on the same target: three
replicates from different initialisations.  Reported on 1000 held-out scenes (seed 12345):
the IoU of each net's thresholded mask with the best-matching unoccluded object, by the
scene's closest RGB distance between two objects whose visible masks touch (8-neighbourhood),
or "no pair touches".  Rounds 31-32's ECON models merge pairs that touch and are close in
colour; if the supervised net also fails on those scenes, the net is the limit; if not,
ECON's training is.  (A first version asked for the front object and was dropped: when the
front object touches nothing, nothing in the image says which object is in front.)

The same table for ECON models' first inference step (t = T, full scope; `--econ`): the
region thresholded at 0.5 against the best-matching unoccluded object.

usage: OMP_NUM_THREADS=1 python one_object_probe.py [--steps 1500] [--channels 8,16,16 ...]
       python one_object_probe.py --econ MODEL... --out one_object_econ.json
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from econ_pyro.data.datasets import scenes_to_tensors
from econ_pyro.data.generator import SceneConfig, generate_scenes
from econ_pyro.generate import decompose
from econ_pyro.training import load

HERE = Path(__file__).resolve().parent
for r in ("round26", "round28", "round29", "round31"):
    sys.path.insert(0, str(HERE.parent / r))
from attention_probe import net_facts, probe_sizes, train_nets, write_rows  # noqa: E402
from colour_pairs import BINS, colour_distance  # noqa: E402
from instance_probe import best_iou, one_object_loss  # noqa: E402
from pairs_split import touching  # noqa: E402

CFG = SceneConfig(kind="random")


def unoccluded(t: dict) -> torch.Tensor:
    """[N, O, H, W]: the visible masks of the objects nothing occludes (zeros for the others)."""
    vis, amodal = t["visible"][:, 1:], t["amodal"][:, 1:]
    whole = (vis == amodal).flatten(2).all(-1) & (vis.flatten(2).sum(-1) > 0)
    return vis * whole.float()[:, :, None, None]


def closest_touching_pair(scenes, t: dict) -> np.ndarray:
    """[N]: the smallest RGB distance between the colours of two objects whose visible masks
    touch (inf where no two touch)."""
    vis = t["visible"][:, 1:]
    best = torch.full((vis.shape[0],), float("inf"))
    o = vis.shape[1]
    for i in range(o):
        for j in range(i + 1, o):
            d = colour_distance(scenes, i, j).masked_fill(~touching(vis, i, j), float("inf"))
            best = torch.minimum(best, d)
    return best.numpy()


def by_distance(ious: np.ndarray, dist: np.ndarray) -> dict:
    """ious [M, N] (M nets or models, N scenes) -> mean per bin of the closest touching pair."""
    bins = [(f"{lo}-{hi}", (dist >= lo) & (dist < hi))
            for lo, hi in zip(BINS[:-1], BINS[1:], strict=True)]
    return {name: {"scenes": int(m.sum()),
                   "iou_per_net": [round(float(v), 3) for v in ious[:, m].mean(1)]}
            for name, m in bins + [("no pair touches", np.isinf(dist))] if m.any()}


def held_out():
    """The 1000 held-out scenes as tensors, their closest touching pair, the unoccluded
    objects."""
    scenes = generate_scenes(1000, CFG, seed=12345)
    test = scenes_to_tensors(scenes)
    return test, closest_touching_pair(scenes, test), unoccluded(test)


def probe(channels: list[int], steps: int, batch: int, seed: int) -> dict:
    test, dist, objs = held_out()
    nets, final_loss, train_s = train_nets(
        channels, CFG, steps, batch, seed, lambda tr: [unoccluded(tr)] * 3, one_object_loss)
    with torch.no_grad():
        scope = torch.ones_like(test["image"][:, :1])
        ious = np.stack([best_iou(net(test["image"], scope).squeeze(1) > 0.5, objs).numpy()
                         for net in nets])  # [3 nets, N]
    return {"channels": channels, "steps": steps, "batch": batch,
            "iou_all_per_net": [round(float(v), 3) for v in ious.mean(1)],
            "by_closest_touching_pair": by_distance(ious, dist),
            **net_facts(nets, final_loss, train_s)}


def econ_first_step(model: str, held: tuple) -> dict:
    """The same table for an ECON model's first inference step (t = T, full scope) on
    ``held`` (`held_out()`): its region thresholded at 0.5, against the best-matching
    unoccluded object."""
    test, dist, objs = held
    torch.manual_seed(0)
    with torch.no_grad():
        region = decompose(load(model), test["image"])["regions"][:, 0]
    ious = best_iou(region > 0.5, objs).numpy()[None]
    return {"model": model, "iou_all": round(float(ious.mean()), 3),
            "by_closest_touching_pair": by_distance(ious, dist)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--channels", nargs="+", default=["8,16,16", "16,32,32"])
    ap.add_argument("--econ", nargs="*", default=[],
                    help="ECON models: their first inference step instead of trained nets")
    ap.add_argument("--out", default="one_object_probe.json")
    args = ap.parse_args()
    if args.econ:
        held = held_out()
        rows = [econ_first_step(m, held) for m in args.econ]
        for r in rows:
            print(json.dumps(r), flush=True)
        write_rows(rows, args.out)
        return
    probe_sizes(probe, args.channels, args.steps, args.batch, args.seed, out=args.out)


if __name__ == "__main__":
    main()
