"""Round 31: are the objects a random-colour model takes together close in colour?

For every pair of objects with >= 10 visible pixels each (held-out scenes, seed 12345,
random colours), the pair is *split* when round 28's `object_steps` gives the two objects
different inference steps (via its `decomposed_objects`).  The share split is reported by the
RGB distance of the two objects' colours (0..255 per channel).  Also, per object: the share
whose visible pixels mostly go to the background (last) step, and the mean share of its
visible pixels in its own step (a cut object scores below 1).

usage: python colour_pairs.py MODEL... [--objects 3] [--n-steps 4] [--n 1000]
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from econ_pyro.training import load

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "round28"))
from pairs_split import decomposed_objects, held_out_scenes  # noqa: E402

BINS = [0, 25, 50, 75, 100, 150, 250]


def colour_distance(scenes, i: int, j: int) -> torch.Tensor:
    """[N]: the RGB distance (0..255 per channel) between objects i and j's colours (object
    slots, background left out)."""
    col = torch.from_numpy(scenes.colours[:, 1:].astype(np.float32))  # [N, O, 3]
    return (col[:, i] - col[:, j]).norm(dim=-1)


def colour_table(econ, scenes, n_steps):
    regions, vis, step, big = decomposed_objects(econ, scenes, n_steps)
    cover = torch.einsum("nohw,nthw->not", vis, regions)  # visible pixels per step
    area = vis.flatten(2).sum(-1)
    dist, split = [], []
    o = vis.shape[1]
    for i in range(o):
        for j in range(i + 1, o):
            ok = big[:, i] & big[:, j]
            dist.append(colour_distance(scenes, i, j)[ok])
            split.append((step[:, i] != step[:, j])[ok].float())
    dist, split = torch.cat(dist).numpy(), torch.cat(split).numpy()
    rows = []
    for lo, hi in zip(BINS[:-1], BINS[1:], strict=True):
        m = (dist >= lo) & (dist < hi)
        rows.append((f"{lo}-{hi}", float(split[m].mean()) if m.any() else float("nan"),
                     int(m.sum())))
    to_bg = (step == regions.shape[1] - 1)[big].float().mean().item()
    own = (cover.max(-1).values / area.clamp(min=1))[big].mean().item()
    return rows, to_bg, own


def each_model(what: str, report) -> None:
    """The command line (MODEL... [--objects 3] [--n-steps 4] [--n 1000]): print a header
    naming ``what`` is reported, then ``report(name, econ, scenes, n_steps)`` for each model
    (torch seed 0 before each)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--objects", default="3")
    ap.add_argument("--n-steps", type=int, default=4)
    ap.add_argument("--n", type=int, default=1000)
    a = ap.parse_args()
    scenes = held_out_scenes(a.objects, "random", a.n)
    print(f"{a.n} scenes (random colours), {a.objects} objects, classes i.i.d., "
          f"T = {a.n_steps}; {what}")
    for m in a.models:
        torch.manual_seed(0)
        report(m, load(m), scenes, a.n_steps)


def report(name, econ, scenes, n_steps) -> None:
    rows, to_bg, own = colour_table(econ, scenes, n_steps)
    print(name + ": " + ";  ".join(f"{b} {v:.3f} ({n})" for b, v, n in rows))
    print(f"  objects mostly in the last (background) step {to_bg:.3f}; "
          f"mean share of an object's visible pixels in its step {own:.3f}")


def main():
    each_model("share of object pairs taken in separate steps by the RGB distance of their "
               "colours (pairs)", report)


if __name__ == "__main__":
    main()
