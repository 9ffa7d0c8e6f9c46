"""Round 26: can an attention U-Net of a given size find an object of one class, supervised?

A capacity probe outside ECON (no competition, no VAE): one AttentionUNet per object class
learns, with binary cross-entropy on the full scope, the visible mask of that class's object
in generated scenes (3 objects, each class once: what a specialised expert's attention has to
find).  It reports the IoU of the thresholded mask (0.5) on held-out scenes, per class, for
unique and random colours and several U-Net sizes.  If the supervised net cannot find a
class, the competition cannot teach it either.

usage: OMP_NUM_THREADS=1 python attention_probe.py [--steps 1500] [--out probe.json]
"""
from __future__ import annotations

import argparse
import json
import time

import torch
import torch.nn.functional as F

from econ_pyro.data.datasets import scenes_to_tensors
from econ_pyro.data.generator import SceneConfig, generate_scenes
from econ_pyro.metrics import iou
from econ_pyro.nets.attention import AttentionUNet


def class_masks(t: dict, n_classes: int = 3) -> torch.Tensor:
    """[N, C, H, W]: the visible mask of each class's object (zeros where absent)."""
    vis, cls = t["visible"], t["classes"]
    out = torch.zeros(vis.shape[0], n_classes, *vis.shape[2:])
    for c in range(1, n_classes + 1):
        sel = (cls == c).float()[:, :, None, None]  # [N, O+1, 1, 1]
        out[:, c - 1] = (vis * sel).sum(1).clamp(max=1)
    return out


def mean_iou(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Mean over scenes of the IoU of boolean masks [N, H, W] (metrics.iou: 1 where both
    are empty)."""
    return sum(iou(p, t) for p, t in zip(pred.numpy(), target.numpy(), strict=True)) / len(pred)


def train_nets(channels: list[int], cfg: SceneConfig, steps: int, batch: int, seed: int,
               targets, loss_fn) -> tuple[list[AttentionUNet], float, float]:
    """One AttentionUNet per class trained on generated scenes of ``cfg`` (Adam 1e-3, full
    scope): ``targets(tr)`` gives each class's target for a batch ``tr`` (``scenes_to_tensors``)
    and ``loss_fn(p, target)`` the loss of masks p [N, H, W].  Returns the nets, the last
    per-net loss and the seconds."""
    torch.manual_seed(seed)
    nets = [AttentionUNet(channels, in_channels=4) for _ in range(3)]
    opt = torch.optim.Adam([p for n in nets for p in n.parameters()], lr=1e-3)
    t0 = time.perf_counter()
    for step in range(steps):
        tr = scenes_to_tensors(generate_scenes(batch, cfg, seed=seed * 1_000_003 + step))
        x = tr["image"]
        scope = torch.ones_like(x[:, :1])
        loss = sum(loss_fn(net(x, scope).squeeze(1).clamp(1e-6, 1 - 1e-6), y)
                   for net, y in zip(nets, targets(tr), strict=True))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return nets, loss.item() / 3, time.perf_counter() - t0


def net_facts(nets, final_loss: float, train_s: float) -> dict:
    return {"final_loss": round(final_loss, 4), "train_s": round(train_s, 1),
            "params_per_net": sum(p.numel() for p in nets[0].parameters())}


def write_rows(rows: list[dict], out: str) -> None:
    with open(out, "w") as f:
        json.dump(rows, f, indent=1)


def probe_sizes(probe, channels: list[str], *args, out: str) -> None:
    """``probe(channels, *args)`` for each U-Net size ("8,16,16", ...): each row printed as
    JSON as it comes, all written to ``out`` (rounds 29 and 32)."""
    rows = []
    for ch in channels:
        r = probe([int(c) for c in ch.split(",")], *args)
        print(json.dumps(r), flush=True)
        rows.append(r)
    write_rows(rows, out)


def probe(kind: str, channels: list[int], steps: int, batch: int, seed: int) -> dict:
    cfg = SceneConfig(kind=kind)
    test = scenes_to_tensors(generate_scenes(1000, cfg, seed=12345))
    test_y = class_masks(test)
    nets, final_loss, train_s = train_nets(
        channels, cfg, steps, batch, seed,
        lambda tr: class_masks(tr).unbind(1), F.binary_cross_entropy)
    with torch.no_grad():
        scope = torch.ones_like(test["image"][:, :1])
        ious = [mean_iou(net(test["image"], scope).squeeze(1) > 0.5, test_y[:, c] > 0.5)
                for c, net in enumerate(nets)]
    return {"kind": kind, "channels": channels, "steps": steps, "batch": batch,
            "iou_per_class": [round(v, 3) for v in ious],
            "iou_mean": round(sum(ious) / 3, 3), **net_facts(nets, final_loss, train_s)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--kinds", nargs="+", default=["unique", "random"])
    ap.add_argument("--channels", nargs="+", default=["8,16,16", "16,32,32", "32,64,64,64"])
    ap.add_argument("--out", default="attention_probe.json")
    args = ap.parse_args()
    rows = []
    for ch in args.channels:
        for kind in args.kinds:
            r = probe(kind, [int(c) for c in ch.split(",")], args.steps, args.batch, args.seed)
            print(json.dumps(r), flush=True)
            rows.append(r)
    write_rows(rows, args.out)


if __name__ == "__main__":
    main()
