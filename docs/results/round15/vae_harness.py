"""What limits an expert's amodal completion: the VAE's nets or its loss?  (round 15)

Round 12's harness (`docs/results/round12/scene_vae.py`: one expert's VAE outside ECON, on
the objects of generated unique-colour scenes with their true visible masks as regions and
a correct scope, ECON's own step loss) found that even the ideal specialist completes
occluded triangles only to IoU 0.61 (unoccluded 0.80) in 1500 steps, against 0.975 that the
scenes allow (round 11).  Here the same ideal specialist, one variation at a time:

  --hidden H    the encoder's first FC layer H wide (the paper: 4 L = 12)
  --beta B      the z-KL weight (default 1)
  --latent L    latent dimensions (default 3)
  --features F  encoder / decoder features (default 16)
  --steps S     training steps of 32 objects (default 1500)
  --lr LR       Adam's learning rate (default 1e-3)
  --refine N    after training, also refine each held-out object's latent: N Adam steps (lr
                --refine-lr) on the same step loss from the encoder's mean (iterative inference)
  --save / --load PATH   keep / reuse the trained encoder and decoder

Evaluation as round 12: 1000 held-out scenes (seed 12345), each object of the class encoded
from (image, visible mask), its posterior mean decoded, m~ > 0.5 against the amodal mask:
IoU of unoccluded / occluded objects, printed at S/3, 2S/3 and S.

Run (one thread each): python docs/results/round15/vae_harness.py --name base [options]
"""

import argparse
import importlib.util
import pathlib
import time

import numpy as np
import torch
from torch import nn

from econ_pyro.data import generate_scenes
from econ_pyro.layers import appearance_nll, region_kl
from econ_pyro.nets.vae import BroadcastDecoder, Encoder

_R12 = pathlib.Path(__file__).resolve().parents[1] / "round12" / "scene_vae.py"
_spec = importlib.util.spec_from_file_location("scene_vae", _R12)
r12 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(r12)  # objects(), iou(), CFG, NAMES, SIGMA_X, GAMMA, B

torch.set_num_threads(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--name", required=True)
    p.add_argument("--cls", type=int, default=3, help="1 circle, 2 square, 3 triangle")
    p.add_argument("--hidden", type=int, default=None)
    p.add_argument("--beta", type=float, default=1.0)
    p.add_argument("--latent", type=int, default=3)
    p.add_argument("--features", type=int, default=16)
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--refine", type=int, default=0)
    p.add_argument("--refine-lr", type=float, default=0.05)
    p.add_argument("--save", default=None)
    p.add_argument("--load", default=None)
    a = p.parse_args()

    held = generate_scenes(1000, r12.CFG, seed=12345)
    xt, rt, _, at, occ = r12.objects(held, (a.cls,), np.random.default_rng(0))
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    L = a.latent
    enc, dec = Encoder(32, L, 3, a.features), BroadcastDecoder(32, L, 3, a.features)
    if a.hidden is not None:
        enc.fc1 = nn.Linear(enc.fc1.in_features, a.hidden)
        enc.fc2 = nn.Linear(a.hidden, 2 * L)
    opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], a.lr)
    t0 = time.time()
    if a.load:
        enc.load_state_dict(torch.load(a.load)["enc"])
        dec.load_state_dict(torch.load(a.load)["dec"])
        a.steps = 0
    for step in range(1, a.steps + 1):
        x, r, s, _, _ = r12.objects(generate_scenes(r12.B, r12.CFG, seed=(a.seed, step)),
                                    (a.cls,), rng)
        mu, logvar = enc(x, r)
        z = mu + (0.5 * logvar).exp() * torch.randn_like(mu)
        app, shape = dec(z)
        kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(-1)
        loss = (appearance_nll(x, r, app, r12.SIGMA_X) + r12.GAMMA * region_kl(r, s, shape)
                + a.beta * kl)
        opt.zero_grad()
        loss.mean().backward()
        opt.step()
        if step % (a.steps // 3) == 0 or step == a.steps:
            with torch.no_grad():
                _, m = dec(enc(xt, rt)[0])
                v = r12.iou(m > 0.5, at > 0.5)
            print(f"{a.name:24s} {r12.NAMES[a.cls]:8s} step {step:5d}  IoU unoccluded/occluded"
                  f"  {v[~occ].mean():.3f}/{v[occ].mean():.3f}  loss {loss.mean():.1f}"
                  f"  ({time.time() - t0:.0f} s)", flush=True)
    if a.save:
        torch.save({"enc": enc.state_dict(), "dec": dec.state_dict()}, a.save)
    if a.refine:
        st = r12.objects(held, (a.cls,), np.random.default_rng(0))[2]  # true scopes
        for p_ in dec.parameters():
            p_.requires_grad_(False)
        z = enc(xt, rt)[0].detach().requires_grad_(True)
        ropt = torch.optim.Adam([z], a.refine_lr)
        for i in range(a.refine + 1):
            app, shape = dec(z)
            loss = (appearance_nll(xt, rt, app, r12.SIGMA_X) + r12.GAMMA * region_kl(rt, st, shape)
                    + a.beta * 0.5 * (z**2).sum(-1))
            if i in (0, a.refine // 4, a.refine // 2, a.refine):
                v = r12.iou(shape.detach() > 0.5, at > 0.5)
                print(f"{a.name:24s} refine {i:4d}  IoU unoccluded/occluded  "
                      f"{v[~occ].mean():.3f}/{v[occ].mean():.3f}  loss {loss.mean():.1f}"
                      f"  ({time.time() - t0:.0f} s)", flush=True)
            ropt.zero_grad()
            loss.sum().backward()
            ropt.step()


if __name__ == "__main__":
    main()
