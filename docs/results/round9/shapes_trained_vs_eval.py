"""Is the gain of model.min_region in the competition or in the trained decoders?  (round 9)

Each MODEL:P is decoded with `econ.competition.min_region = P` (evaluation-time) on 500
held-out unique-colour scenes (seed 12345), posterior mean.  For matched objects: shape
IoU (m~ > 0.5 against the amodal mask) of unoccluded and occluded objects, the median
area ratio |m~ > 0.5| / |amodal| of occluded ones, and the share of occluded objects whose
own step attends under 10 % of their visible pixels (missed, left to the background).
Comparing a model trained with min_region against the same seed trained without it but
decoded with it separates the two effects.

Run: python docs/results/round9/shapes_trained_vs_eval.py MODEL:P ...   (≈ 20 s each)
"""

import sys

import numpy as np
import torch

import econ_pyro
from econ_pyro.data import SceneConfig, generate_scenes, scenes_to_tensors
from econ_pyro.generate import decompose
from econ_pyro.metrics import iou, matched_objects

scenes = generate_scenes(500, SceneConfig(), seed=12345)
x = scenes_to_tensors(scenes)["image"]
visible, amodal = scenes.visible.astype(bool), scenes.amodal.astype(bool)
present = scenes.classes >= 0
print("model:P                      shape IoU unoccl. / occl.   occl. area ratio   occl. missed")
for spec in sys.argv[1:]:
    model, p = spec.rsplit(":", 1)
    econ = econ_pyro.load(model)
    econ.competition.min_region = float(p)
    torch.manual_seed(0)  # the competition's latent samples
    d = decompose(econ, x, posterior_mean=True)
    regions, shapes = d["regions"].numpy(), d["shapes"].numpy()
    lab = regions.argmax(1)
    rows = {False: [], True: []}
    for n, o, s, occl in matched_objects(visible, amodal, present, lab, regions.shape[1]):
        m, r = shapes[n, s], regions[n, s]
        seen = visible[n, o].sum()  # 0 for an object hidden entirely
        missed = seen > 0 and ((r <= 0.5) & visible[n, o]).sum() > 0.9 * seen
        rows[occl].append([iou(m > 0.5, amodal[n, o]),
                           (m > 0.5).sum() / amodal[n, o].sum(), missed])
    u, o = np.array(rows[False]), np.array(rows[True])
    print(f"{spec:28s} {u[:, 0].mean():.3f} / {o[:, 0].mean():.3f}               "
          f"{np.median(o[:, 1]):.2f}               {o[:, 2].mean():.3f}", flush=True)
