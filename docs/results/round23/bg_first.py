"""Where a background-first run takes the background, and what the other experts proposed
there: deterministic competition on the run's 100 validation scenes, every inference step,
every allowed expert's proposal (area in pixels, share of it on the visible background,
score).  Usage: bg_first.py CHECKPOINT.pt SEED"""
import sys

import torch

import econ_pyro
from econ_pyro.competition import compete
from econ_pyro.data import SceneConfig, generate_scenes, scenes_to_tensors
from econ_pyro.generate import competition_mode
from econ_pyro.layers import next_scope

econ = econ_pyro.load(sys.argv[1], standardised=False)
seed = int(sys.argv[2])
scenes = generate_scenes(100, SceneConfig(kind="unique"), seed=(seed, 2**31 - 1))
x = scenes_to_tensors(scenes)["image"]
bg = torch.as_tensor(scenes.visible[:, 0], dtype=torch.float32)[:, None]  # [N,1,H,W]
K, T = len(econ.experts), econ.config.n_steps


def mean(v, where):
    return v[where].mean() if where.any() else float("nan")


print(f"{sys.argv[1]}: background expert {econ.config.background_expert}")
torch.manual_seed(0)
with competition_mode(econ, "deterministic"):
    scope = torch.ones_like(x[:, :1])
    for t in range(T, 0, -1):
        p = compete(econ, x, scope, t)
        k = p.scores.argmin(0)
        if p.regions is None:
            print(f"t={t}: one expert allowed ({k[0].item()})")
            break
        area = p.regions.flatten(2).sum(-1)  # [K, N]
        on_bg = (p.regions * bg).flatten(2).sum(-1) / area.clamp_min(1e-6)
        n = torch.arange(len(x))
        won_bg = on_bg[k, n] > 0.5  # the winner's region lies mostly on the background
        print(f"t={t}: winner's region mostly background in {won_bg.float().mean():.0%} of "
              f"the scenes; winners {torch.bincount(k, minlength=K).tolist()}")
        for e in range(K):
            s = p.scores[e]
            ok = torch.isfinite(s)
            if not ok.any():
                continue
            gap = s - p.scores[k, n]
            print(f"   expert {e}: area {area[e].mean():6.1f}  on background "
                  f"{on_bg[e].mean():.2f}  score {s[ok].mean():9.1f}  wins "
                  f"{(k == e).sum().item():3d}  (where the background won: area "
                  f"{mean(area[e], won_bg):6.1f}, on bg {mean(on_bg[e], won_bg):.2f}, "
                  f"score - winner's {mean(gap, won_bg & ok):8.1f})")
        region = p.regions[k, n]
        scope = next_scope(scope, region)
