"""Which visible pixels does an object's own inference step leave out?  (round 8)

For every matched object of 500 held-out unique-colour scenes (seed 12345): the share of
its visible pixels not in its step's attended region (r~ > 0.5), the share of objects
missing more than 10 % of them, the share of attended pixels that belong to something
else, and which step takes the missed pixels (the last step = the background).

Run: python docs/results/round8/attention_misses.py [MODEL ...]   (≈ 15 s per model)
"""

import sys

import numpy as np

import econ_pyro
from econ_pyro.data import SceneConfig, generate_scenes, scenes_to_tensors
from econ_pyro.generate import decompose
from econ_pyro.metrics import matched_objects

scenes = generate_scenes(500, SceneConfig(), seed=12345)
x = scenes_to_tensors(scenes)["image"]
visible, amodal = scenes.visible.astype(bool), scenes.amodal.astype(bool)
present = scenes.classes >= 0
for model in sys.argv[1:] or ["cpu-unique"]:
    d = decompose(econ_pyro.load(model), x, posterior_mean=True)
    regions = d["regions"].numpy()
    T = regions.shape[1]
    lab = regions.argmax(1)
    rows = {False: [], True: []}
    for n, o, s, occluded in matched_objects(visible, amodal, present, lab, T):
        v = visible[n, o]
        if not v.any():
            continue
        r = regions[n, s] > 0.5
        missed = v & ~r
        rows[occluded].append(
            [missed.sum() / v.sum(), (r & ~v).sum() / max(r.sum(), 1),
             (lab[n][missed] == T - 1).mean() if missed.any() else np.nan])
    print(f"== {model}")
    for occluded, v in rows.items():
        a = np.array(v)
        print(f"  {'occluded' if occluded else 'unoccluded':10s} n {len(a)}: visible pixels missed "
              f"{a[:, 0].mean():.3f}, objects missing > 10 %: {(a[:, 0] > 0.1).mean():.3f}, "
              f"attended pixels not its own {a[:, 1].mean():.3f}, missed pixels taken by the "
              f"last (background) step {np.nanmean(a[:, 2]):.2f}")
