"""Round 28: which pairs of objects does a model take in separate inference steps?

For every pair of objects with >= 10 visible pixels each, each object is assigned to the
inference step whose region covers most of its visible pixels; a pair is *split* when the
two steps differ.  Reported for same-class and different-class pairs, the same-class ones
also by whether the two visible masks touch (8-neighbourhood).  Scenes: held-out generated
(seed 12345), unique colours (or --kind random), classes drawn i.i.d.

usage: python pairs_split.py MODEL... [--objects 4-5] [--n-steps 6] [--n 1000] [--kind unique]
"""
import argparse

import numpy as np
import torch
import torch.nn.functional as F

from econ_pyro.data import SceneConfig, generate_scenes
from econ_pyro.data.datasets import scenes_to_tensors
from econ_pyro.generate import decompose
from econ_pyro.training import load


def object_steps(regions: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
    """The inference step [N, O] whose region [N, T, H, W] covers most of each object's
    visible mask [N, O, H, W] (not metrics.match_objects: its one-to-one matching cannot
    give two objects the same step)."""
    return torch.einsum("nohw,nthw->not", visible.float(), regions).argmax(-1)


def decomposed_objects(econ, scenes, n_steps):
    """Decompose ``scenes`` in ``n_steps`` steps: (regions [N, T, H, W], the objects' visible
    masks [N, O, H, W] (background left out), each object's step [N, O] (object_steps), and
    whether it has >= 10 visible pixels [N, O])."""
    x = scenes_to_tensors(scenes)["image"]
    with torch.no_grad():
        regions = decompose(econ, x, n_steps=n_steps)["regions"]
    vis = torch.from_numpy(scenes.visible[:, 1:]).float()
    return regions, vis, object_steps(regions, vis), vis.flatten(2).sum(-1) >= 10


def touching(vis: torch.Tensor, i: int, j: int) -> torch.Tensor:
    """[N] bool: whether objects i and j's visible masks (vis [N, O, H, W]) touch
    (8-neighbourhood)."""
    grown = F.max_pool2d(vis[:, i:i + 1], 3, 1, 1)[:, 0]  # 8-neighbourhood dilation
    return (grown * vis[:, j]).flatten(1).sum(-1) > 0


def split_table(econ, scenes, n_steps):
    _, vis, step, big = decomposed_objects(econ, scenes, n_steps)
    cls = torch.from_numpy(scenes.classes[:, 1:].astype(np.int64))
    rows = {"same class, touching": [], "same class, apart": [], "different class": []}
    o = vis.shape[1]
    for i in range(o):
        for j in range(i + 1, o):
            ok = big[:, i] & big[:, j]
            split = (step[:, i] != step[:, j])[ok]
            same = (cls[:, i] == cls[:, j])[ok]
            touch = touching(vis, i, j)[ok]
            rows["same class, touching"] += split[same & touch].tolist()
            rows["same class, apart"] += split[same & ~touch].tolist()
            rows["different class"] += split[~same].tolist()
    return {k: (float(np.mean(v)) if v else float("nan"), len(v)) for k, v in rows.items()}


def held_out_scenes(objects: str, kind: str, n: int):
    """n held-out scenes (seed 12345) with ``objects`` ("3" or "4-5") objects whose classes
    are drawn i.i.d."""
    lo, _, hi = objects.partition("-")
    cfg = SceneConfig(kind=kind, min_objects=int(lo), max_objects=int(hi or lo),
                      repeat_classes=True)
    return generate_scenes(n, cfg, seed=12345)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--objects", default="4-5")
    ap.add_argument("--n-steps", type=int, default=6)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--kind", default="unique")
    a = ap.parse_args()
    scenes = held_out_scenes(a.objects, a.kind, a.n)
    print(f"{a.n} scenes ({a.kind}), {a.objects} objects, classes i.i.d., T = {a.n_steps}; "
          "share of object pairs taken in separate steps (pairs)")
    for m in a.models:
        torch.manual_seed(0)
        t = split_table(load(m), scenes, a.n_steps)
        print(m + ": " + ";  ".join(f"{k} {v:.3f} ({n})" for k, (v, n) in t.items()))


if __name__ == "__main__":
    main()
