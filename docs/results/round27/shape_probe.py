"""Round 27: how much does a shape-only VAE trained on one class prefer that class?

A probe outside ECON (no attention, no competition): for each object class one shape VAE of
the factorised expert (``model.shape_latent_dim``: an ``Encoder`` on the region alone and a
one-channel ``BroadcastDecoder``, the CPU presets' 3 blocks of 16 features) learns, with the
region term L_r (eq. 12, scope 1) + beta * KL (eq. 11), the full (amodal) masks of that class's
objects in generated scenes — what a perfectly specialised expert's shape path would be
trained on at the front step.  On held-out masks of every class it then reports each VAE's
median L_r (one reparametrised sample of z, as in the competition), the share of masks on
which the class's own VAE scores best ("own best", chance 1/3), and the median gap between
the best other VAE and the own one (positive: the own VAE is better).  The gap is what the
competition's L_r score can use: against a temperature tau, a gap g favours the class's
expert by exp(g / tau).

usage: OMP_NUM_THREADS=1 python shape_probe.py [--latent 3] [--steps 1500] [--out F.json]
"""
from __future__ import annotations

import argparse
import json
import time

import torch

from econ_pyro.data.datasets import scenes_to_tensors
from econ_pyro.data.generator import SceneConfig, generate_scenes
from econ_pyro.distributions import normal_kl
from econ_pyro.layers import region_kl
from econ_pyro.nets.vae import BroadcastDecoder, Encoder

N_CLASSES = 3


def masks_by_class(n_scenes: int, seed: int, size: int = 32) -> list[torch.Tensor]:
    """Per class, the amodal masks ``[M, 1, H, W]`` of its objects in ``n_scenes`` scenes."""
    t = scenes_to_tensors(generate_scenes(n_scenes, SceneConfig(kind="random", image_size=size),
                                          seed=seed))
    amodal, cls = t["amodal"], t["classes"]
    return [amodal[cls == c][:, None].float() for c in range(1, N_CLASSES + 1)]


class ShapeVAE(torch.nn.Module):
    def __init__(self, latent: int, size: int = 32):
        super().__init__()
        self.encoder = Encoder(size, latent, 3, 16, image=False)
        self.decoder = BroadcastDecoder(size, latent, 3, 16, outputs=1)

    def forward(self, region: torch.Tensor):
        """L_r and the z-KL per mask (scope 1), one sample of z."""
        mu, logvar = self.encoder(None, region)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        shape = self.decoder.maps(z)
        return region_kl(region, torch.ones_like(region), shape), normal_kl(mu, logvar).sum(-1)


def train(masks: torch.Tensor, latent: int, steps: int, beta: float, seed: int) -> ShapeVAE:
    torch.manual_seed(seed)
    vae = ShapeVAE(latent)
    opt = torch.optim.Adam(vae.parameters(), lr=1e-3)
    for _ in range(steps):
        batch = masks[torch.randint(len(masks), (32,))]
        l_r, l_z = vae(batch)
        loss = (l_r + beta * l_z).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return vae


@torch.no_grad()
def cross_scores(vaes: list[ShapeVAE], held_out: list[torch.Tensor], seed: int) -> dict:
    torch.manual_seed(seed)
    medians, own_best, gaps = [], [], []
    for c, m in enumerate(held_out):
        s = torch.stack([v(m)[0] for v in vaes])  # [C, M] L_r of each VAE on class c's masks
        medians.append([round(x, 1) for x in s.median(1).values.tolist()])
        others = torch.cat([s[:c], s[c + 1:]]).min(0).values
        own_best.append(round((s[c] < others).float().mean().item(), 3))
        gaps.append(round((others - s[c]).median().item(), 1))
    return {"median_L_r": medians, "own_best": own_best, "median_gap": gaps}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--latent", type=int, nargs="+", default=[3])
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--beta", type=float, default=1.0)
    ap.add_argument("--scenes", type=int, default=4000)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    train_masks = masks_by_class(args.scenes, seed=1)
    held_out = [m[:1000] for m in masks_by_class(1200, seed=12345)]
    results = []
    for latent in args.latent:
        t0 = time.time()
        vaes = [train(m, latent, args.steps, args.beta, seed=c)
                for c, m in enumerate(train_masks)]
        r = {"latent": latent, "steps": args.steps, "beta": args.beta,
             "train_masks": [len(m) for m in train_masks],
             "held_out_masks": [len(m) for m in held_out], **cross_scores(vaes, held_out, 0),
             "minutes": round((time.time() - t0) / 60, 1)}
        print(json.dumps(r), flush=True)
        results.append(r)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
