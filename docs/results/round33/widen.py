"""Widen a model's attention U-Nets, keeping what the model computes (round 33).

Every expert's U-Net gets the channels CHANNELS instead of its own (each level at least as
wide).  The old weights keep their places; a new output channel of a convolution gets the
fresh initialisation of a model built at the new width, and every weight *from* a new
channel into an old one is zero — so the widened model's regions, and everything after
them, equal the old model's (checked here on 64 scenes; the new channels' own activations
are not zero, so the zero weights out of them get gradients and can grow in training).

usage: python widen.py MODEL OUT.pt --channels 16 32 32 [--seed 0]
MODEL: a run folder, checkpoint or shipped name; OUT.pt is a checkpoint for
`train.init_from` (train with `--set model.attention_channels=[16,32,32]`).
"""

from __future__ import annotations

import argparse
import copy

import pyro
import torch

from econ_pyro.config import ECONConfig
from econ_pyro.data import ProceduralScenes, SceneConfig
from econ_pyro.econ import ECON
from econ_pyro.training.trainer import _econ_from, find_checkpoint


def slots(old_parts, new_parts):
    """Index of each old channel in the new layout, for inputs made of concatenated parts."""
    out, start = [], 0
    for o, n in zip(old_parts, new_parts, strict=True):
        out += range(start, start + o)
        start += n
    return torch.tensor(out)


def widen_conv(old, new, in_old, in_new):
    """``new`` keeps its fresh weights for new output channels; old outputs take the old
    weights on the old inputs' slots and zero from new inputs."""
    o = old.weight.shape[0]
    with torch.no_grad():
        w = new.weight[:o].zero_()
        w[:, slots(in_old, in_new)] = old.weight
        if old.bias is not None:
            new.bias[:o] = old.bias


def widen_norm(old, new):
    with torch.no_grad():
        c = old.weight.shape[0]
        new.weight[:c], new.bias[:c] = old.weight, old.bias


def widen_unet(old, new, old_ch, new_ch):
    o_in, n_in = [4, *old_ch[:-1]], [4, *new_ch[:-1]]
    for i, (bo, bn) in enumerate(zip(old.down, new.down, strict=True)):
        widen_conv(bo[0], bn[0], [o_in[i]], [n_in[i]])
        widen_norm(bo[1], bn[1])
    o_below, n_below = [*old_ch[1:], old_ch[-1]], [*new_ch[1:], new_ch[-1]]
    for i, (bo, bn) in enumerate(zip(old.up, new.up, strict=True)):
        widen_conv(bo[0], bn[0], [o_below[i], old_ch[i]], [n_below[i], new_ch[i]])
        widen_norm(bo[1], bn[1])
    widen_conv(old.head, new.head, [old_ch[0]], [new_ch[0]])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--channels", type=int, nargs="+", required=True)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    ckpt = find_checkpoint(a.model)
    old = _econ_from(ckpt).eval()
    old_ch = list(old.config.attention_channels)
    if len(a.channels) != len(old_ch) \
            or any(n < o for n, o in zip(a.channels, old_ch, strict=True)):
        raise SystemExit(f"--channels must have {len(old_ch)} levels, each >= {old_ch}")
    cfg = copy.deepcopy(ckpt["config"])
    cfg["model"]["attention_channels"] = a.channels
    pyro.set_rng_seed(a.seed)
    new = ECON(ECONConfig.from_dict(cfg["model"])).eval()
    own = new.state_dict()
    for k, v in old.state_dict().items():  # everything but the U-Nets is copied as it is
        if ".attention." not in k:
            own[k].copy_(v)
    for eo, en in zip(old.experts.experts, new.experts.experts, strict=True):
        widen_unet(eo.attention, en.attention, old_ch, a.channels)
    x = ProceduralScenes(SceneConfig(image_size=old.config.image_size,
                                     kind="random"), 64, 7).batch(0)["image"]
    scope = torch.rand_like(x[:, :1])
    with torch.no_grad():
        diff = (old.experts.all("attend", x, scope) - new.experts.all("attend", x, scope))
    print(f"widened {old_ch} -> {a.channels}: max |region difference| on 64 scenes "
          f"{diff.abs().max().item():.2e}")
    n_old = sum(p.numel() for p in old.parameters())
    n_new = sum(p.numel() for p in new.parameters())
    print(f"parameters {n_old} -> {n_new}")
    out = {"model": new.state_dict(), "config": cfg, "versions": ckpt.get("versions", {}),
           "state": {"step": 0}}
    torch.save(out, a.out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
