"""What does the training competition (stochastic, temperature tau) train each expert on?
(round 9)

For a trained model, on 500 scenes from the training distribution (seed 777, not the
held-out seed), object steps t = T..2 run along the deterministic path (scope shrunk by the
best-scoring expert's region).  At each step every allowed expert's proposal is matched to
the object it attends most (by visible pixels; the background counts as an object); with
softmax(-score / tau) as the probability that each expert wins (what training samples),
it reports the expected share of object-step wins that
  * go to another expert than the best-scoring one ("not best"),
  * train an expert on an object of another class than the one it wins most often under
    the deterministic competition ("other class"; the background counts as a class),
  * train an expert on an object that is still covered, inside the current scope, by a
    not yet explained object in front of it ("behind"): the region KL then charges the
    expert's shape for the occluder's pixels, which rewards cut shapes,
  * train an expert on fewer than 10 attended pixels ("empty").

Run: python docs/results/round9/training_winners.py MODEL ...
"""

import sys

import torch

import econ_pyro
from econ_pyro.competition import compete
from econ_pyro.data import SceneConfig, generate_scenes, scenes_to_tensors
from econ_pyro.layers import next_scope

scenes = generate_scenes(500, SceneConfig(), seed=777)
x = scenes_to_tensors(scenes)["image"]
vis = torch.tensor(scenes.visible, dtype=torch.float32)  # [B, O, H, W], index 0 = background
amo = torch.tensor(scenes.amodal, dtype=torch.bool)
cls = torch.tensor(scenes.classes, dtype=torch.long)  # [B, O], -1 absent; index = depth
B, O = cls.shape
# front[b, o, o2]: object o2 is in front of o and covers part of o's amodal shape
front = torch.zeros(B, O, O, dtype=torch.bool)
for o in range(O):
    for o2 in range(o + 1, O):
        front[:, o, o2] = (amo[:, o] & vis[:, o2].bool()).flatten(1).any(1) & (cls[:, o2] >= 0)

taus = (1000.0, 300.0, 100.0, 30.0, 1.0)
for model in sys.argv[1:]:
    econ = econ_pyro.load(model)
    torch.manual_seed(0)  # the competition's latent samples
    K = len(econ.experts)
    b = torch.arange(B)
    scope = torch.ones_like(x[:, :1])
    steps = []
    with torch.no_grad():
        for t in range(econ.config.n_steps, 1, -1):
            p = compete(econ, x, scope, t)
            s = p.scores.T  # [B, K]
            overlap = (p.regions[:, :, 0, None] * vis[None]).flatten(3).sum(-1)  # [K, B, O]
            obj = overlap.argmax(-1).T  # [B, K] object each expert attends most
            area = p.regions.flatten(2).sum(-1).T  # [B, K]
            # objects in front still in scope (more than half their visible pixels)
            in_scope = (scope[:, :1] * vis).flatten(2).sum(-1) > 0.5 * vis.flatten(2).sum(-1)
            behind = (front[b[:, None], obj] & in_scope[:, None, :]).any(-1)  # [B, K]
            steps.append((s, obj, behind, area))
            k = s.argmin(-1)
            scope = next_scope(scope, p.winner(k)[0])
    # each expert's own class: the class it attends most often as the deterministic winner
    counts = torch.zeros(K, int(cls.max()) + 2)
    for s, obj, _, _ in steps:
        k = s.argmin(-1)
        counts.index_put_((k, cls[b, obj[b, k]] + 1), torch.ones(B), accumulate=True)
    own = counts.argmax(1) - 1
    print(f"== {model}: expert's own class {own.tolist()} (0 = background)")
    for tau in taus:
        tot = torch.zeros(4)
        for s, obj, behind, area in steps:
            w = torch.softmax(-s / tau, -1)  # [B, K]; +inf scores -> 0
            best = torch.nn.functional.one_hot(s.argmin(-1), K).float()
            other = (cls[b[:, None], obj] != own[None, :]).float()
            tot += torch.stack([(w * (1 - best)).sum(-1).mean(), (w * other).sum(-1).mean(),
                                (w * behind.float()).sum(-1).mean(),
                                (w * (area < 10).float()).sum(-1).mean()])
        tot /= len(steps)
        print(f"  tau {tau:6.0f}: not best {tot[0]:.3f}  other class {tot[1]:.3f}  "
              f"behind {tot[2]:.3f}  empty {tot[3]:.3f}", flush=True)
