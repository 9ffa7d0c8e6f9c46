"""Round 29: how saturated are the attention nets' logits on the objects they take?

For held-out unique-colour scenes (3 objects, classes i.i.d., seed 12345) and the full scope
(the first inference step), each object's visible pixels are read in the logits of the expert
whose attention covers most of the object.  Printed: quantiles of those logits and of the
sigmoid's slope p (1 - p) there, which scales every gradient that reaches the attention net
through r = s * sigmoid(logit) -- for objects with a same-class partner in the scene and for
the others.

usage: python saturation.py MODEL... [--n 500]
"""
import argparse

import numpy as np
import torch

from econ_pyro.data import SceneConfig, generate_scenes
from econ_pyro.data.datasets import scenes_to_tensors
from econ_pyro.training import load


def attention_logits(forward, net, x, scope):
    """(region, logit): ``forward(net, x, scope)`` (an AttentionUNet's forward) and the
    logits [B, 1, H, W] of its head, read by a forward hook."""
    cap = {}
    hook = net.head.register_forward_hook(lambda m, i, o: cap.__setitem__("logit", o))
    try:
        region = forward(net, x, scope)
    finally:
        hook.remove()
    return region, cap["logit"]


@torch.no_grad()
def expert_logits(econ, x):
    """[K, N, H, W] logits of every expert's attention at the full scope."""
    scope = torch.ones_like(x[:, :1])
    return torch.stack([attention_logits(type(e.attention).forward, e.attention, x, scope)[1][:, 0]
                        for e in econ.experts.experts])


def own_logits(econ, x: torch.Tensor, vis: torch.Tensor) -> torch.Tensor:
    """[N, O, H, W]: the full-scope logits of the expert whose attention covers most of each
    object's visible mask (vis [N, O, H, W])."""
    logit = expert_logits(econ, x)  # [K, N, H, W]
    k = torch.einsum("knhw,nohw->kno", torch.sigmoid(logit), vis).argmax(0)  # [N, O]
    return logit.permute(1, 0, 2, 3)[torch.arange(x.shape[0])[:, None], k]


def describe(v: torch.Tensor) -> str:
    """Quantiles of logits v and the sigmoid's slope there."""
    q = torch.tensor([0.05, 0.25, 0.5, 0.75, 0.95])
    p = torch.sigmoid(v)
    slope = p * (1 - p)
    return ("logit quantiles 5/25/50/75/95 % "
            + " / ".join(f"{a:.1f}" for a in torch.quantile(v, q).tolist())
            + "; sigmoid slope median " + f"{slope.median().item():.1e}"
            + f", share of px with slope < 1e-3: {(slope < 1e-3).float().mean().item():.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--n", type=int, default=500)
    args = ap.parse_args()
    scenes = generate_scenes(args.n, SceneConfig(repeat_classes=True), seed=12345)
    x = scenes_to_tensors(scenes)["image"]
    vis = torch.from_numpy(scenes.visible[:, 1:]).float()  # [N, O, H, W]
    cls = torch.from_numpy(scenes.classes[:, 1:].astype(np.int64))
    partner = ((cls[:, :, None] == cls[:, None, :]).sum(-1) > 1)  # [N, O]
    print(f"{args.n} scenes (unique), 3 objects, classes i.i.d., full scope; logits on each "
          "object's visible pixels in the expert that covers most of it")
    for name in args.models:
        own = own_logits(load(name), x, vis)  # [N, O, H, W]
        big = (vis.flatten(2).sum(-1) >= 10)[:, :, None, None]
        for label, sel in (("with a same-class partner", partner),
                           ("alone in its class", ~partner)):
            m = (vis > 0) & sel[:, :, None, None] & big
            v = own[m]
            print(f"{name}, objects {label} ({int(m.flatten(2).any(-1).sum())} objects, "
                  f"{v.numel()} px): " + describe(v))


if __name__ == "__main__":
    main()
