"""Where do the amodal shapes lose IoU?  (round 8)

For every matched object of 500 held-out unique-colour scenes (seed 12345) it compares
(1) the attended region r~ > 0.5 with the object's visible mask (attention precision),
(2) the decoded shape m~ > 0.5 with the amodal mask (the amodal IoU of `evaluate`), split
into unoccluded and occluded objects, (3) the same at other thresholds of m~, and (4) the
area ratio |m~ > 0.5| / |amodal| (shapes too large > 1, too small < 1), all with the
posterior mean decoded (decompose(posterior_mean=True)).

Run: python docs/results/round8/shape_precision.py [MODEL ...]   (≈ 20 s per model)
"""

import sys

import numpy as np

import econ_pyro
from econ_pyro.data import SceneConfig, generate_scenes, scenes_to_tensors
from econ_pyro.generate import decompose
from econ_pyro.metrics import iou, matched_objects

scenes = generate_scenes(500, SceneConfig(), seed=12345)
gt = scenes_to_tensors(scenes)
visible, amodal = scenes.visible.astype(bool), scenes.amodal.astype(bool)
present = scenes.classes >= 0
for model in sys.argv[1:] or ["cpu-unique"]:
    econ = econ_pyro.load(model)
    d = decompose(econ, gt["image"], posterior_mean=True)
    regions, shapes = d["regions"].numpy(), d["shapes"].numpy()
    pred_lab = regions.argmax(1)
    rows = {"unoccluded": [], "occluded": []}
    for n, o, s, occl in matched_objects(visible, amodal, present, pred_lab, regions.shape[1]):
        r, m = regions[n, s], shapes[n, s]
        rows["occluded" if occl else "unoccluded"].append(
            [iou(r > 0.5, visible[n, o])]
            + [iou(m > th, amodal[n, o]) for th in (0.3, 0.5, 0.7)]
            + [(m > 0.5).sum() / amodal[n, o].sum()]
        )
    print(f"== {model}")
    print(
        "objects      n    attention IoU (visible)   shape IoU (amodal) at m~>0.3 / 0.5 / 0.7"
        "   area ratio |m~>0.5|/|amodal| (median)"
    )
    for k, v in rows.items():
        v = np.array(v)
        print(
            f"{k:11s} {len(v):5d}   {v[:, 0].mean():.3f}                     "
            f"{v[:, 1].mean():.3f} / {v[:, 2].mean():.3f} / {v[:, 3].mean():.3f}"
            f"                        {np.median(v[:, 4]):.2f}"
        )
