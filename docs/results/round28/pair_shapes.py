"""Round 28: what does an expert's decoder draw for a step that took two objects of its class?

Scenes: 3 objects, classes i.i.d., unique colours (held-out seed 12345), T = 4.  For every
same-class pair taken in one step (the step covering most of both visible masks), the
winner's decoded shape (> 0.5) is compared with the union of the two amodal masks and with
the better of the two single ones (IoU).  Also: the step's region against the same masks.

usage: python pair_shapes.py MODEL... [--n 500]
"""
import argparse

import numpy as np
import torch
from pairs_split import object_steps

from econ_pyro.data import SceneConfig, generate_scenes
from econ_pyro.data.datasets import scenes_to_tensors
from econ_pyro.generate import decompose
from econ_pyro.metrics import iou
from econ_pyro.training import load


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--n", type=int, default=500)
    a = ap.parse_args()
    scenes = generate_scenes(a.n, SceneConfig(repeat_classes=True), seed=12345)
    x = scenes_to_tensors(scenes)["image"]
    vis, amo = scenes.visible[:, 1:], scenes.amodal[:, 1:]
    cls = scenes.classes[:, 1:]
    print(f"{a.n} scenes, 3 objects, classes i.i.d., T = 4; steps that took a same-class pair: "
          "IoU with the pair's union | with the better single object (median)")
    for m in a.models:
        torch.manual_seed(0)
        with torch.no_grad():
            out = decompose(load(m), x)
        step = object_steps(out["regions"], torch.from_numpy(vis)).numpy()
        regions, shapes = out["regions"].numpy(), out["shapes"].numpy() > 0.5
        rows = {"shape": ([], []), "region": ([], [])}
        for n in range(a.n):
            for i in range(3):
                for j in range(i + 1, 3):
                    if cls[n, i] != cls[n, j] or step[n, i] != step[n, j] or \
                            vis[n, i].sum() < 10 or vis[n, j].sum() < 10:
                        continue
                    t = step[n, i]
                    union = amo[n, i] | amo[n, j]
                    for key, got in (("shape", shapes[n, t]), ("region", regions[n, t] > 0.5)):
                        rows[key][0].append(iou(got, union))
                        rows[key][1].append(max(iou(got, amo[n, i]), iou(got, amo[n, j])))
        print(m + ": " + ";  ".join(
            f"{k} {np.median(u):.3f} | {np.median(s):.3f}" for k, (u, s) in rows.items())
            + f"  ({len(rows['shape'][0])} pairs)")


if __name__ == "__main__":
    main()
