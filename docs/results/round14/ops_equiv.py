"""Session 14 (issue #8): the new U-Net ops leave training unchanged to float rounding.
Two copies of one seeded model (CPU nets, K = T = 4, tau 300, channels_last, Adam lr 1e-3)
train N steps on the same batches with the same random draws, one with the session-13 ops and
one with the new ones; prints the relative loss differences.

usage: python ops_equiv.py N
"""

import copy
import sys

import ops_ab
import pyro
import torch

from econ_pyro.bench import _setup
from econ_pyro.data import ProceduralScenes, SceneConfig
from econ_pyro.infer import train_step


def losses(econ0, n: int, new: bool, use=ops_ab.use) -> list[float]:
    use(new)
    econ = copy.deepcopy(econ0).to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(econ.parameters(), lr=1e-3)
    out = []
    for i in range(n):
        pyro.set_rng_seed(100 + i)
        x = ProceduralScenes(SceneConfig(image_size=32), 32, 1000 + i).batch(0)["image"]
        out.append(train_step(econ, opt, x).loss.item())
    use(True)
    return out


def main(n: int, use=ops_ab.use):
    """``use(True)`` / ``use(False)``: the new / old ops (also used by round 33's up_ab.py)."""
    econ0, _ = _setup(32, "cpu", "loop", 4, 4, 32, torch.device("cpu"))
    econ0.competition.temperature = 300.0
    new, old = losses(econ0, n, True, use), losses(econ0, n, False, use)
    rel = sorted(abs(a - b) / abs(b) for a, b in zip(new, old, strict=True))
    print(f"{n} steps: relative loss difference max {rel[-1]:.2e}, median {rel[n // 2]:.2e}; "
          f"final loss {new[-1]:.2f} new / {old[-1]:.2f} old")


if __name__ == "__main__":
    main(int(sys.argv[1]))
