"""Session 14 (issue #8): the channels_last-preserving U-Net ops against the ops before them,
paired in one process (the machine's speed drifts between runs; here each repetition times the
old and the new ops back to back and the speed-up is the median of the per-repetition ratios).

usage: python ops_ab.py NETS REPS     (NETS: cpu | paper; the trainer's channels_last weights)
prints: train step s (Pyro, K = T = 4, 32 px, batch 32), decompose of 64 scenes s, both paired.
"""

import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

import econ_pyro.nets.attention as attention
import econ_pyro.nets.ops as ops
from econ_pyro.bench import _setup
from econ_pyro.generate import decompose
from econ_pyro.infer import train_step

NEW_NORM, NEW_UP = ops.InstanceNorm2d.forward, ops.upsample2


def old_upsample2(h):  # the session-13 op: a contiguous result whatever the input's layout
    if torch.is_grad_enabled() and h.requires_grad or h.dim() != 4:
        return F.interpolate(h, scale_factor=2.0, mode="nearest")
    B, C, H, W = h.shape
    return h[:, :, :, None, :, None].expand(B, C, H, 2, W, 2).reshape(B, C, 2 * H, 2 * W)


def use(new: bool):
    ops.InstanceNorm2d.forward = NEW_NORM if new else nn.InstanceNorm2d.forward
    attention.upsample2 = NEW_UP if new else old_upsample2


def main(nets: str, reps: int):
    paired(nets, reps, use)


def paired(nets: str, reps: int, use):
    """``use(True)`` / ``use(False)`` switch to the new / old ops; prints the paired timings
    (also used by round 33's up_ab.py)."""
    econ, x = _setup(32, nets, "loop", 4, 4, 32, torch.device("cpu"))
    econ.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(econ.parameters(), lr=1e-4)
    scenes = torch.cat([x, x])  # 64 scenes
    step = {True: [], False: []}
    dec = {True: [], False: []}
    for _ in range(reps):
        for new in (True, False):
            use(new)
            train_step(econ, opt, x)  # warm-up after the switch
            t = time.perf_counter()
            train_step(econ, opt, x)
            step[new].append(time.perf_counter() - t)
            econ.eval()
            t = time.perf_counter()
            decompose(econ, scenes)
            dec[new].append(time.perf_counter() - t)
            econ.train()
    use(True)
    med = statistics.median

    def speedup(t):  # median over repetitions of old / new
        return med(o / n for o, n in zip(t[False], t[True], strict=True))
    print(f"{nets} nets, {torch.get_num_threads()} threads, {reps} paired repetitions: "
          f"train step {med(step[True]):.3f} s new / {med(step[False]):.3f} s old, "
          f"speed-up {speedup(step):.3f}; decompose 64 scenes {med(dec[True]):.3f} s / "
          f"{med(dec[False]):.3f} s, speed-up {speedup(dec):.3f}")

if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
