"""Do the encoder or the posterior noise limit the shape precision?  (round 8)

One expert's VAE outside ECON (the CPU preset's encoder 3 x 16 with FC 4L, decoder 3 x 16,
L = 3): single squares or triangles of one colour on a random background, region = mask;
loss = BCE(m~, mask) + 50 |mu - x|^2 inside the mask + beta KL (beta = 1), Adam lr 1e-3,
batch 32.  IoU of the decoded posterior mean (m~ > 0.5) on 512 held-out shapes; with and
without coordinate channels appended to the encoder's input.  Output: one_class_vae.txt.

Run: python docs/results/round8/one_class_vae.py
"""

# on single shapes: loss = BCE(m~, mask) + 50 * mask * |mu - colour|^2 + beta * KL.
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from econ_pyro.data.shapes import rasterise
from econ_pyro.nets.vae import BroadcastDecoder, Encoder

torch.set_num_threads(1)
COL = torch.tensor([0.9, 0.6, 0.3])[None, :, None, None]


def batch(n, rng, cls, occlude=0.0):
    """Images x, regions (visible masks), amodal masks.  With probability ``occlude`` a
    random square of another colour covers part of the object (outside the scope)."""
    side = rng.uniform(0.35, 0.5, n) * 32
    cx = rng.uniform(side / 2, 32 - side / 2)
    cy = rng.uniform(side / 2, 32 - side / 2)
    m = torch.tensor(rasterise(np.full(n, cls), cx, cy, side, 32), dtype=torch.float32)[:, None]
    bg = torch.rand(n, 3, 1, 1) * 0.5
    x = m * COL + (1 - m) * bg
    if not occlude:
        return x, m, m
    oside = rng.uniform(0.35, 0.5, n) * 32
    ox = cx + rng.uniform(-1, 1, n) * (side + oside) / 2
    oy = cy + rng.uniform(-1, 1, n) * (side + oside) / 2
    occ = torch.tensor(rasterise(np.full(n, 2), ox, oy, oside, 32), dtype=torch.float32)[:, None]
    occ = occ * torch.tensor(rng.random(n) < occlude, dtype=torch.float32)[:, None, None, None]
    x = occ * torch.tensor([0.2, 0.9, 0.4])[None, :, None, None] + (1 - occ) * x
    return x, m * (1 - occ), m


class CoordEncoder(Encoder):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        c = self.convs[0]
        self.convs[0] = nn.Conv2d(6, c.out_channels, 3, padding=1)
        lin = torch.linspace(-1, 1, 32)
        yy, xx = torch.meshgrid(lin, lin, indexing="ij")
        self.register_buffer("coords", torch.stack([xx, yy])[None])

    def forward(self, x, region):
        return super().forward(torch.cat([x, self.coords.expand(len(x), -1, -1, -1)], 1), region)


def run(name, encoder=Encoder, steps=1500, cls=2, beta=1.0, gamma=1.0, occlude=0.0, seed=0):
    """gamma weighs the shape's BCE (ECON's region KL: the scope-cut p = s m~, so hidden
    pixels of an occluded object cost nothing), occlude: share of occluded training shapes;
    IoU of m~ > 0.5 with the amodal mask on held-out unoccluded / half-occluded shapes."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    enc, dec = encoder(32, 3, 3, 16), BroadcastDecoder(32, 3, 3, 16)
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), 1e-3)
    t0 = time.time()
    tests = [
        batch(512, np.random.default_rng(1), cls),
        batch(512, np.random.default_rng(2), cls, 1.0),
    ]
    for i in range(steps + 1):
        x, r, m = batch(32, rng, cls, occlude)
        scope = 1 - (r != m).float()  # 0 on the occluder's part of the object
        mu, lv = enc(x, r)
        z = mu + (0.5 * lv).exp() * torch.randn_like(mu)
        app, shp = dec(z)
        kl = 0.5 * (mu**2 + lv.exp() - 1 - lv).sum()
        bce = F.binary_cross_entropy((scope * shp).clamp(1e-6, 1 - 1e-6), r, reduction="none")
        loss = (gamma * (scope * bce).sum() + 50 * (r * (app - x) ** 2).sum() + beta * kl) / 32
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i in (300, 1000, steps):
            out = []
            with torch.no_grad():
                for xt, rt, mt in tests:
                    mu, lv = enc(xt, rt)
                    _, p = dec(mu)
                    b, a = p > 0.5, mt > 0.5
                    out.append(((b & a).sum((1, 2, 3)) / (b | a).sum((1, 2, 3))).float().mean())
            print(
                f"{name:40s} step {i:5d} IoU unoccluded {out[0]:.3f} occluded {out[1]:.3f} "
                f"soft {((p - 0.5).abs() < 0.4).float().mean():.3f} "
                f"post sd {(0.5 * lv).exp().mean():.3f} {time.time() - t0:.0f}s",
                flush=True,
            )


if __name__ == "__main__":
    for cls in (2, 3):
        run(f"cls{cls} encoder (paper)", cls=cls)
        run(f"cls{cls} encoder + coords", CoordEncoder, cls=cls)
    # ECON's conditions for a specialised expert: gamma (ECON's default 0.5), occluded
    # training objects (56 % of the objects in the unique-colour scenes are occluded)
    for seed in (0, 1):
        for gamma in (0.5, 1.0, 2.0):
            run(
                f"cls2 gamma {gamma}, 56% occluded, seed {seed}",
                gamma=gamma,
                occlude=0.56,
                seed=seed,
            )
