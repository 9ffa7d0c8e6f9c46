"""Decompose images/s of the session-12 cpu-unique (now cpu-unique-s12) without / with --refine (round 15):
interleaved repetitions in one process, one thread, 256 scenes, batch 64."""

import time

import numpy as np
import torch

import econ_pyro
from econ_pyro.data import SceneConfig, generate_scenes, scenes_to_tensors
from econ_pyro.generate import decompose

torch.set_num_threads(1)
econ = econ_pyro.load("cpu-unique-s12")
x = scenes_to_tensors(generate_scenes(256, SceneConfig(kind="unique"), seed=5))["image"]
times = {0: [], 10: [], 30: []}
for rep in range(3):
    for n in times:
        t0 = time.perf_counter()
        decompose(econ, x, refine=n)
        times[n].append(time.perf_counter() - t0)
for n, t in times.items():
    print(f"refine {n:2d}: {len(x) / np.median(t):6.1f} images/s (median of {len(t)})")
