"""Round 16: controlled generation (econ_pyro.evaluation.controlled_generation) of models whose
class -> expert assignment was measured on the 1000 held-out scenes (evaluation JSONs), with
the fitted mixture prior and with N(0, I) (--standard-prior), n samples, seed 0 as
`econ-pyro evaluate --controlled n` uses (evaluation.evaluate's default).
usage: python controlled.py N MODEL EVAL.json [MODEL EVAL.json ...]"""
import json
import sys

import torch

import econ_pyro
from econ_pyro.evaluation import controlled_generation

torch.set_num_threads(1)
n = int(sys.argv[1])
for model, ev in zip(sys.argv[2::2], sys.argv[3::2], strict=True):
    assign = {int(c): e for c, e in json.load(open(ev))["specialisation"]["assignment"].items()}
    for fitted in (True, False):
        econ = econ_pyro.load(model, fitted_prior=fitted)
        cg = controlled_generation(econ, assign, [1, 2, 3], n=n, seed=0)
        print(f"{model:32s} {cg['prior']:15s} layer class accuracy {cg['layer_class_accuracy']:.3f}"
              f"  all visible {cg['all_objects_visible']:.3f}  n {cg['n']}", flush=True)
