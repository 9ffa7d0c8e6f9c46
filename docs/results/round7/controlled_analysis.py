"""What limits controlled generation of the shipped cpu-unique model?  (round 7)

1. the prior: z ~ N(0, I) against z from a Gaussian fitted to each expert's posterior
   means on 1000 training-distribution scenes (same experts, same layer order);
2. the decoder: the object steps of decomposed held-out scenes, their decoded shapes
   (m~ > 0.5) classified by the same nearest-template classifier;
3. posterior noise: evaluation with a sampled z against the posterior mean.

Run: python docs/results/round7/controlled_analysis.py [MODEL]   (≈ 1 min, one thread)
"""
import sys
from collections import Counter

import numpy as np
import torch
from pyro import poutine

import econ_pyro
from econ_pyro.data import SceneConfig, generate_scenes, scenes_to_tensors
from econ_pyro.evaluation import evaluate
from econ_pyro.generate import decompose
from econ_pyro.metrics import classify_shapes, evaluate_decomposition

econ = econ_pyro.load(sys.argv[1] if len(sys.argv) > 1 else "cpu-unique")
K, L = econ.config.n_experts, econ.config.latent_dim
OBJECTS = [1, 2, 3]

# posterior means of every step's winner on training-distribution scenes
fit = decompose(econ, scenes_to_tensors(generate_scenes(1000, SceneConfig(), seed=999))["image"])
gauss = {}
for k in range(K):
    z = fit["z_loc"][fit["experts"] == k]
    cov = torch.cov(z.T) + 1e-4 * torch.eye(L)
    gauss[k] = (z.mean(0), torch.linalg.cholesky(cov))
    print(f"expert {k}: {len(z)} posterior means, mean {z.mean(0).numpy().round(2)}, "
          f"sd {torch.diagonal(cov).sqrt().numpy().round(2)}")

held_out = generate_scenes(300, SceneConfig(), seed=12345)
out = evaluate(econ, held_out, baselines=False, controlled=100)
assign = out["specialisation"]["assignment"]
print("assignment class -> expert", assign, "| evaluate's controlled generation",
      out["controlled_generation"])


def controlled(latent: str, n: int = 100) -> float:
    rng, hits = np.random.default_rng(0), 0
    for i in range(n):
        order = [int(c) for c in rng.permutation(OBJECTS)]
        experts = [assign[0]] + [assign[c] for c in order]
        eps = torch.randn(len(experts), L, generator=torch.Generator().manual_seed(i))
        z = eps if latent == "prior" else torch.stack(
            [gauss[k][0] + gauss[k][1] @ e for k, e in zip(experts, eps, strict=True)])
        data = {f"k_{t}": torch.tensor([k]) for t, k in enumerate(experts, 1)}
        data.update({f"z_{t}": z[t - 1:t] for t in range(1, len(experts) + 1)})
        tr = poutine.trace(poutine.condition(econ.model, data=data)).get_trace(
            batch_size=1, n_steps=len(experts))
        shapes = torch.cat([tr.nodes[f"shape_{t}"]["value"] for t in range(2, len(experts) + 1)], 1)
        hits += int((classify_shapes((shapes[0] > 0.5).numpy(), OBJECTS) == order).sum())
    return hits / (3 * n)


print(f"controlled generation, z ~ N(0, I): {controlled('prior'):.3f}; "
      f"z ~ fitted Gaussian per expert: {controlled('fitted'):.3f}")

# the decoder: decoded shapes of the object steps against their expert's class
d = decompose(econ, scenes_to_tensors(held_out)["image"])
cls_of = {e: c for c, e in assign.items()}
confusion = Counter()
for experts, shapes in zip(d["experts"][:, :-1].numpy(), (d["shapes"][:, :-1] > 0.5).numpy(),
                           strict=True):
    for c, p in zip([cls_of.get(int(e)) for e in experts], classify_shapes(shapes, OBJECTS),
                    strict=True):
        if c in OBJECTS:
            confusion[(c, int(p))] += 1
right = sum(v for (c, p), v in confusion.items() if c == p) / sum(confusion.values())
print(f"decoded object shapes classified as their expert's class: {right:.3f}; "
      f"(class, classified as): count {sorted(confusion.items())}")

# posterior noise
keys = ("fg_ari", "amodal_iou_occluded", "amodal_iou", "depth_order_accuracy", "hidden_recall")
for mean in (False, True):
    torch.manual_seed(0)
    pred = {k: v.numpy() for k, v in decompose(econ, scenes_to_tensors(held_out)["image"],
                                               posterior_mean=mean).items()}
    m = evaluate_decomposition(held_out.arrays(), pred, K, baselines=False)
    print("z = posterior mean" if mean else "z sampled        ",
          {k: round(float(m[k]["mean"]), 3) for k in keys})
