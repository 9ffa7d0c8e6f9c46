"""The same trained models evaluated with and without model.min_region (round 8).

Evaluation-time only: the competition bars proposals that attend fewer than P pixels
(`econ.competition.min_region = P`), nothing is retrained.  1000 held-out unique-colour
scenes (seed 12345), deterministic competition.

Run: python docs/results/round8/min_region_eval.py MODEL...   (≈ 1 min per model)
"""

import sys

import econ_pyro
from econ_pyro.data import SceneConfig, generate_scenes
from econ_pyro.evaluation import evaluate

scenes = generate_scenes(1000, SceneConfig(), seed=12345)
for model in sys.argv[1:] or ["cpu-unique"]:
    econ = econ_pyro.load(model)
    for p in (0.0, 10.0, 30.0):
        econ.competition.min_region = p
        m = evaluate(econ, scenes, baselines=False, controlled=0)

        def g(k, m=m):
            return m[k]["mean"] if isinstance(m[k], dict) else m[k]

        print(f"{model} min_region {p:4.0f}: FG-ARI {g('fg_ari'):.3f}  purity "
              f"{m['specialisation']['purity']:.3f}  distinct "
              f"{m['specialisation']['distinct_experts']}  object count "
              f"{g('object_count_accuracy'):.3f}  MSE {g('mse'):.4f}  amodal (occl.) "
              f"{g('amodal_iou_occluded'):.3f}  depth {g('depth_order_accuracy'):.3f}",
              flush=True)
