"""Decompose images/s of the session-12 cpu-unique (now cpu-unique-s12) without / with
--refine (round 15): interleaved repetitions in one process, one thread, 256 scenes, batch 64.

`per-step` is the first implementation (each inference step's winners refined in turn, as
this script does by hand below); `decompose(refine=N)` now refines every step's winners in
one batch after the segmentation (regions and scopes do not depend on the latents).
"""

import time

import numpy as np
import torch

import econ_pyro
from econ_pyro.data import SceneConfig, generate_scenes, scenes_to_tensors
from econ_pyro.generate import decompose
from econ_pyro.infer.refine import refine_latents

torch.set_num_threads(1)
econ = econ_pyro.load("cpu-unique-s12")
x = scenes_to_tensors(generate_scenes(256, SceneConfig(kind="unique"), seed=5))["image"]


def per_step(n):
    d = decompose(econ, x, posterior_mean=True)
    for i in range(0, len(x), 64):  # decompose's batches
        b = slice(i, i + 64)
        for t in range(d["experts"].shape[1]):
            k = d["experts"][b, t]
            z = refine_latents(econ, k, x[b], d["regions"][b, t:t + 1], d["scope"][b, t:t + 1],
                               d["z_loc"][b, t], n)
            econ.experts.select("decode", k, z)


runs = {"refine 0": lambda: decompose(econ, x),
        "refine 10": lambda: decompose(econ, x, refine=10),
        "refine 30": lambda: decompose(econ, x, refine=30),
        "refine 30 per-step": lambda: per_step(30)}
times = {k: [] for k in runs}
for _ in range(3):
    for name, f in runs.items():
        t0 = time.perf_counter()
        f()
        times[name].append(time.perf_counter() - t0)
for name, t in times.items():
    print(f"{name:20s}: {len(x) / np.median(t):6.1f} images/s (median of {len(t)})")
