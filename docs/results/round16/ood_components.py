"""Prototype: cut each expert's attended region to its largest connected component (of r > 0.5,
dilated by one pixel to keep the soft edge), so that an expert attending two same-coloured
objects proposes one.  OOD scenes (4-5 objects, classes repeat, 6 steps) and in-distribution,
N scenes each (seed 12345)."""
import sys
import time

import numpy as np
import torch
from scipy import ndimage

from econ_pyro import load
from econ_pyro.data import SceneConfig, generate_scenes
from econ_pyro.evaluation import evaluate
from econ_pyro.nets import experts as ex

REAL = ex.Expert.attend


def largest_component(r, dilate=1, by="mass"):
    rn = r.detach().cpu().numpy()[:, 0]
    keep = np.zeros_like(rn)
    for b in range(len(rn)):
        lab, n = ndimage.label(rn[b] > 0.5)
        if n <= 1:
            keep[b] = 1.0
            continue
        mass = ndimage.sum(rn[b], lab, index=np.arange(1, n + 1))
        m = lab == (1 + int(np.argmax(mass)))
        if dilate:
            m = ndimage.binary_dilation(m, iterations=dilate)
            # do not grow into another component
            m &= ~((lab > 0) & ~(lab == (1 + int(np.argmax(mass)))))
        keep[b] = m
    return r * torch.as_tensor(keep, dtype=r.dtype, device=r.device)[:, None]


def attend(self, x, scope):
    return largest_component(REAL(self, x, scope))


if __name__ == "__main__":
    torch.set_num_threads(1)
    name, n = sys.argv[1], int(sys.argv[2])
    econ = load(name)
    ood = generate_scenes(n, SceneConfig(kind="unique", image_size=32, min_objects=4,
                                         max_objects=5, repeat_classes=True), seed=12345)
    ind = generate_scenes(n, SceneConfig(kind="unique", image_size=32), seed=12345)
    for label, fn in [("as is", REAL), ("largest", attend)]:
        ex.Expert.attend = fn
        for scenes, steps, tag in [(ood, 6, "ood"), (ind, None, "in-dist")]:
            t0 = time.time()
            m = evaluate(econ, scenes, n_steps=steps, baselines=False)
            print(f"{label:8s} {tag:8s} FG-ARI {m['fg_ari']['mean']:.3f} count "
                  f"{m['object_count_accuracy']['mean']:.3f} amodal(occl) "
                  f"{m['amodal_iou_occluded']['mean']:.3f} depth "
                  f"{m['depth_order_accuracy']['mean']:.3f} ({time.time() - t0:.0f}s)",
                  flush=True)
