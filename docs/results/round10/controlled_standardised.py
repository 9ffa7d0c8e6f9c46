"""Controlled generation with and without the latent standardisation (econ_pyro.latents).

For each model: the held-out evaluation (300 scenes of its training kind, seed 12345,
deterministic competition, its class -> expert assignment) and controlled generation (200
scenes, each object class's expert once, in a random order) with the model as trained
(identity latent map), then the same after fitting the standardisation on 1000 training-
distribution scenes (their own seed, as `econ-pyro train` does when it stops). Also printed:
the classifier's accuracy on the model's own decoded shapes of unoccluded objects
(shape_class_accuracy), the reference for controlled generation, and the latent KL per step,
which the standardisation lowers.

Run: python docs/results/round10/controlled_standardised.py RUN_OR_MODEL ...   (~1 min each)
"""
import sys

import torch

import econ_pyro
from econ_pyro import ECONELBO
from econ_pyro.data import SceneConfig, generate_scenes
from econ_pyro.data.datasets import scenes_to_tensors
from econ_pyro.evaluation import evaluate
from econ_pyro.latents import apply_standardisation, fit_standardisation
from econ_pyro.training.trainer import _Data, find_checkpoint, training_kind

print("model                          map        FG-ARI  purity  shape-class  controlled  "
      "all-visible  L_z (sum over t)")
for model in sys.argv[1:]:
    econ = econ_pyro.load(model, standardised=False)
    scenes = generate_scenes(300, SceneConfig(kind=training_kind(econ)), seed=12345)
    x = scenes_to_tensors(scenes)["image"][:100]
    cfg = find_checkpoint(model)["config"]
    tr = cfg["train"]
    fit = _Data(cfg, cfg["model"]["image_size"], tr["batch_size"], tr["seed"],
                tr["val_size"]).fit_batch(1000)["image"]
    for name in ("identity", "fitted"):
        if name == "fitted":
            apply_standardisation(econ, fit_standardisation(econ, fit))
        m = evaluate(econ, scenes, baselines=False, controlled=200)
        torch.manual_seed(0)
        with torch.no_grad():
            lz = ECONELBO().compute(econ.model, econ.guide, x).L_z.sum()
        cg = m["controlled_generation"]
        print(f"{model[-30:]:30s} {name:9s} {m['fg_ari']['mean']:7.3f} "
              f"{m['specialisation']['purity']:7.3f} {m['shape_class_accuracy']['mean']:11.3f} "
              f"{cg['layer_class_accuracy']:11.3f} {cg['all_objects_visible']:12.3f} "
              f"{lz:10.2f}", flush=True)
