"""Occluded amodal IoU of trained models by class and by inference order (round 12).

For each model: `econ_pyro.evaluation.evaluate` on 1000 held-out unique-colour scenes (seed
12345, deterministic competition, proposals under 10 pixels barred: as `econ-pyro evaluate
--min-region 10`).  Printed for occluded objects: the amodal IoU by class, the share
explained before one of their occluders (`occluded_before_occluder`), and the amodal IoU of
those explained after all their occluders (order right) and of those explained before one.

Run: python docs/results/round12/per_class.py MODEL [MODEL ...] > per_class.txt
(MODEL: a pretrained name or a run folder)
"""

import sys

import numpy as np

import econ_pyro
from econ_pyro.data import SceneConfig, generate_scenes
from econ_pyro.evaluation import evaluate

NAMES = {1: "circle", 2: "square", 3: "triangle"}


def main(models):
    held = generate_scenes(1000, SceneConfig(kind="unique"), seed=12345)
    print("model: occluded amodal IoU (n) / order right / explained before an occluder, share"
          " before; by class: IoU, share before")
    for model in models:
        econ = econ_pyro.load(model)
        econ.competition.min_region = 10
        m = evaluate(econ, held, baselines=False)
        v = np.array(m["per_object"]["amodal_iou_occluded"])
        before = np.array(m["per_object"]["occluded_before_occluder"], dtype=bool)
        cls = "  ".join(f"{NAMES[c]} {r['amodal_iou']:.3f} {r['before_occluder']:.3f}"
                        for c, r in m["occluded_by_class"].items())
        print(f"{model}: {v.mean():.3f} ({len(v)}) / {v[~before].mean():.3f} / "
              f"{v[before].mean():.3f}, {before.mean():.3f};  {cls};  "
              f"depth {m['depth_order_accuracy']['mean']:.3f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
