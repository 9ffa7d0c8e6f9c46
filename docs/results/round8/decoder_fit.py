"""Can the spatial-broadcast decoder fit sharp shapes?  (round 8)

Supervised, outside ECON: z = the true (x, y, size) of one square (or triangle), scaled to
about [-2, 2], decoded by the CPU preset's decoder (3 x 16) or the paper's (4 x 32) and
trained with BCE against the mask (Adam, lr 1e-3, batch 32); IoU of m~ > 0.5 on 512
held-out shapes and the share of "soft" pixels (0.1 < m~ < 0.9).  Also: coordinates x8 and
a shape-logit gain of 8.  Output of the run in decoder_fit.txt (stopped after the first
rows: the question was answered).

Run: python docs/results/round8/decoder_fit.py
"""

import time

import numpy as np
import torch
import torch.nn.functional as F

from econ_pyro.data.shapes import rasterise
from econ_pyro.nets.vae import BroadcastDecoder

torch.manual_seed(0)
torch.set_num_threads(1)


def batch(n, rng, cls):
    side = rng.uniform(0.35, 0.5, n) * 32
    cx = rng.uniform(side / 2, 32 - side / 2)
    cy = rng.uniform(side / 2, 32 - side / 2)
    m = rasterise(np.full(n, cls), cx, cy, side, 32)
    z = np.stack([(cx - 16) / 8, (cy - 16) / 8, (side - 13.5) / 2], 1)
    return torch.tensor(z, dtype=torch.float32), torch.tensor(m, dtype=torch.float32)[:, None]


def run(name, layers, feats, coord_scale=1.0, gain=1.0, steps=1500, cls=2):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    dec = BroadcastDecoder(32, 3, layers, feats)
    dec.coords.mul_(coord_scale)
    opt = torch.optim.Adam(dec.parameters(), 1e-3)
    t0 = time.time()
    zt, mt = batch(512, np.random.default_rng(1), cls)
    for i in range(steps + 1):
        z, m = batch(32, rng, cls)
        h = torch.cat(
            [z[:, :, None, None].expand(-1, -1, 32, 32), dec.coords.expand(32, -1, -1, -1)], 1
        )
        for c in dec.convs:
            h = F.relu(c(h))
        logit = dec.head(h)[:, 3:] * gain
        loss = F.binary_cross_entropy_with_logits(logit, m, reduction="sum") / 32
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i in (300, 1000, steps):
            with torch.no_grad():
                h = torch.cat(
                    [
                        zt[:, :, None, None].expand(-1, -1, 32, 32),
                        dec.coords.expand(512, -1, -1, -1),
                    ],
                    1,
                )
                for c in dec.convs:
                    h = F.relu(c(h))
                p = torch.sigmoid(dec.head(h)[:, 3:] * gain) > 0.5
                inter = (p & (mt > 0.5)).sum((1, 2, 3)).float()
                uni = (p | (mt > 0.5)).sum((1, 2, 3)).float()
                soft = ((torch.sigmoid(dec.head(h)[:, 3:] * gain) - 0.5).abs() < 0.4).float()
                print(
                    f"{name:28s} step {i:5d} IoU {(inter / uni).mean():.3f}  "
                    f"soft {soft.mean():.3f}  {time.time() - t0:.0f}s",
                    flush=True,
                )


for cls in (2, 3):
    run(f"cls{cls} 3x16", 3, 16, cls=cls)
    run(f"cls{cls} 4x32", 4, 32, cls=cls)
    run(f"cls{cls} 3x16 coords x8", 3, 16, coord_scale=8, cls=cls)
    run(f"cls{cls} 3x16 gain 8", 3, 16, gain=8, cls=cls)
