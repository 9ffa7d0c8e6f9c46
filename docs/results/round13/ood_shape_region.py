"""Prototype (not adopted): at evaluation, cut each expert's attended region to where its own
decoded shape of that region is (r <- r * m~ "soft", or r * 1[m~ > 0.5] "hard", once or
twice), so that an expert attending two same-coloured objects keeps only the one it draws.
Out-of-distribution scenes (4-5 objects, classes repeat, 6 steps) and the training
distribution, 200 scenes each (seed 12345).

OMP_NUM_THREADS=1 python ood_shape_region.py cpu-unique 200"""
import sys
import time

import torch

from econ_pyro import load
from econ_pyro.data import SceneConfig, generate_scenes
from econ_pyro.evaluation import evaluate
from econ_pyro.nets import experts as ex

REAL = ex.Expert.attend


def shape_cut(mode: str, iters: int = 1):
    def attend(self, x, scope):
        r = REAL(self, x, scope)
        for _ in range(iters):
            mu, _ = self.encode(x, r)
            _, m = self.decode(mu)
            r = r * (m if mode == "soft" else (m > 0.5).to(r))
        return r
    return attend


def compare(name: str, n: int, variants) -> None:
    """Evaluate ``name`` with each ``(label, attend)`` of ``variants`` patched in, out of
    distribution (6 steps) and in distribution, ``n`` scenes each (seed 12345)."""
    torch.set_num_threads(1)
    econ = load(name)
    ood = generate_scenes(n, SceneConfig(kind="unique", image_size=32, min_objects=4,
                                         max_objects=5, repeat_classes=True), seed=12345)
    ind = generate_scenes(n, SceneConfig(kind="unique", image_size=32), seed=12345)
    for label, fn in variants:
        ex.Expert.attend = fn
        for scenes, steps, tag in [(ood, 6, "ood"), (ind, None, "in-dist")]:
            t0 = time.time()
            m = evaluate(econ, scenes, n_steps=steps, baselines=False)
            print(f"{label:8s} {tag:8s} FG-ARI {m['fg_ari']['mean']:.3f} count "
                  f"{m['object_count_accuracy']['mean']:.3f} amodal(occl) "
                  f"{m['amodal_iou_occluded']['mean']:.3f} depth "
                  f"{m['depth_order_accuracy']['mean']:.3f} ({time.time() - t0:.0f}s)",
                  flush=True)
    ex.Expert.attend = REAL


if __name__ == "__main__":
    compare(sys.argv[1], int(sys.argv[2]),
            [("as is", REAL), ("soft", shape_cut("soft")), ("hard", shape_cut("hard")),
             ("hard x2", shape_cut("hard", 2))])
