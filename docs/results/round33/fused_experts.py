"""Round 33 (issue #8): would the competition run faster with the K experts fused?

Several experts' nets evaluated as one: grouped convolutions over stacked weights.

The competition runs every allowed expert's attention, encoder and decoder on the
same batch without autograd (``competition.compete``).  Run one expert after the
other, that is K small convolutions per layer, each with few channels; here the
K experts' weights of a layer are stacked once per call and applied as one
convolution with ``groups=K`` (``[B, K*C, H, W]`` activations, expert-major
channels), so each layer is one call with K times the channels:

* a layer whose input all experts share (the U-Net's first convolution on image
  and scope; the encoder's on the image) is a dense convolution with the experts'
  output channels concatenated;
* the encoder's fully connected layers are batched matrix products;
* instance norm and the activations act per channel, so they are unchanged.

This script checks that the fused values equal the per-expert ones (max |difference|)
and times both, interleaved (``econ_pyro.bench.timeit_interleaved``), on one batch of 32
scenes at 32 x 32, K = 4, without autograd as in the competition:

    python fused_experts.py [--nets cpu|paper] [--threads N] [--contiguous] [--reps 15]

On this project's AVX2 machine the fused form was slower or no faster (see
``fused_experts.txt`` and docs/PERFORMANCE.md, session 33), so it was not made a
library option.  Only the plain ``Encoder`` / ``BroadcastDecoder`` are handled.
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F

from econ_pyro.bench import _setup, cpu_info, timeit_interleaved
from econ_pyro.nets.ops import _channels_last, instance_norm, max_pool2, upsample2


def _stack(tensors, like: torch.Tensor | None = None) -> torch.Tensor:
    """The experts' tensors concatenated, in ``like``'s layout (channels_last or not)."""
    w = torch.cat(tensors)
    if like is not None and _channels_last(like):
        w = w.contiguous(memory_format=torch.channels_last)
    return w


def _latent_affine(experts):
    """Each expert's latent standardisation ``(loc, scale)``, stacked to ``[K, 1, L]``."""
    return (torch.stack([getattr(e, a) for e in experts])[:, None]
            for a in ("latent_loc", "latent_scale"))


def _conv(h, convs, groups: int, padding: int):
    """One grouped convolution standing for ``convs`` (one per expert)."""
    w = _stack([c.weight for c in convs], convs[0].weight)
    b = None if convs[0].bias is None else torch.cat([c.bias for c in convs])
    return F.conv2d(h, w, b, padding=padding, groups=groups)


def _norm_relu(h, norms):
    """Instance norm with each expert's affine parameters (channels are expert-major), ReLU."""
    n = norms[0]
    w = torch.cat([m.weight for m in norms]) if n.affine else None
    b = torch.cat([m.bias for m in norms]) if n.affine else None
    return F.relu(instance_norm(h, w, b, n.eps), inplace=True)


def _interleave(a, b, K: int):
    """Channel-concatenate ``a`` ``[B, K*Ca, H, W]`` and ``b`` ``[B, K*Cb, H, W]`` per expert:
    ``[a_1, b_1, a_2, b_2, ...]`` (what a grouped convolution over both needs)."""
    B, _, H, W = a.shape
    if _channels_last(a):
        out = torch.cat([a.permute(0, 2, 3, 1).reshape(B, H, W, K, -1),
                         b.permute(0, 2, 3, 1).reshape(B, H, W, K, -1)], dim=-1)
        return out.reshape(B, H, W, -1).permute(0, 3, 1, 2)
    return torch.cat([a.reshape(B, K, -1, H, W), b.reshape(B, K, -1, H, W)], dim=2) \
        .reshape(B, -1, H, W)


def attend(experts, x, scope):
    """Every expert's region ``[K, B, 1, H, W]`` (``AttentionUNet.forward``, fused)."""
    K, nets = len(experts), [e.attention for e in experts]
    h = torch.cat([x, scope], dim=1)
    if _channels_last(nets[0].down[0][0].weight):
        h = h.contiguous(memory_format=torch.channels_last)
    skips = []
    for i in range(len(nets[0].down)):
        blocks = [n.down[i] for n in nets]
        h = _conv(h, [b[0] for b in blocks], 1 if i == 0 else K, 1)  # shared input at i = 0
        h = _norm_relu(h, [b[1] for b in blocks])
        skips.append(h)
        h = F.avg_pool2d(h, 2)
    for i in reversed(range(len(nets[0].up))):
        blocks = [n.up[i] for n in nets]
        h = _interleave(upsample2(h), skips[i], K)
        h = _norm_relu(_conv(h, [b[0] for b in blocks], K, 1), [b[1] for b in blocks])
    logits = _conv(h, [n.head for n in nets], K, 0)  # [B, K, H, W]
    return (scope * torch.sigmoid(logits)).transpose(0, 1)[:, :, None]


def encode(experts, x, regions):
    """Every expert's posterior ``(mu, logvar)``, each ``[K, B, L]``, expert k encoding
    ``regions[k]`` (``Expert.encode``, fused)."""
    K, nets = len(experts), [e.encoder for e in experts]
    B, _, H, W = x.shape
    first = [n.convs[0] for n in nets]
    like = first[0].weight
    # first layer: image part shared by all experts (dense), region part per expert (grouped)
    w_x = _stack([c.weight[:, :3] for c in first], like)
    w_r = _stack([c.weight[:, 3:] for c in first], like)
    r = regions[:, :, 0].transpose(0, 1)  # [B, K, H, W]
    if _channels_last(like):
        x, r = (v.contiguous(memory_format=torch.channels_last) for v in (x, r))
    h = F.conv2d(x, w_x, torch.cat([c.bias for c in first]), padding=1) \
        + F.conv2d(r, w_r, padding=1, groups=K)
    h = max_pool2(F.relu(h, inplace=True))
    for i in range(1, len(nets[0].convs)):
        h = max_pool2(F.relu(_conv(h, [n.convs[i] for n in nets], K, 1), inplace=True))
    h = h.reshape(B, K, -1).transpose(0, 1)  # [K, B, C*s*s], each expert's (C, H, W) order
    h = F.relu(torch.baddbmm(torch.stack([n.fc1.bias for n in nets])[:, None], h,
                             torch.stack([n.fc1.weight for n in nets]).transpose(1, 2)))
    out = torch.baddbmm(torch.stack([n.fc2.bias for n in nets])[:, None], h,
                        torch.stack([n.fc2.weight for n in nets]).transpose(1, 2))
    mu, logvar = out.chunk(2, dim=-1)
    loc, scale = _latent_affine(experts)
    return (mu - loc) / scale, logvar - 2 * scale.log()


def decode(experts, z):
    """Every expert's ``(appearance [K, B, 3, H, W], shape [K, B, 1, H, W])`` for its
    latents ``z[k]`` (``Expert.decode``, fused)."""
    K, nets = len(experts), [e.decoder for e in experts]
    _, B, L = z.shape
    s = nets[0].image_size
    loc, scale = _latent_affine(experts)
    u = (loc + scale * z).transpose(0, 1)  # [B, K, L]
    coords = nets[0].coords.expand(B, K, 2, s, s)
    h = torch.cat([u[..., None, None].expand(B, K, L, s, s), coords], dim=2) \
        .reshape(B, K * (L + 2), s, s)
    if _channels_last(nets[0].convs[0].weight):
        h = h.contiguous(memory_format=torch.channels_last)
    for i in range(len(nets[0].convs)):
        h = F.relu(_conv(h, [n.convs[i] for n in nets], K, 1), inplace=True)
    out = torch.sigmoid(_conv(h, [n.head for n in nets], K, 0))  # [B, K*4, H, W]
    out = out.reshape(B, K, -1, s, s).transpose(0, 1)
    return out[:, :, :3], out[:, :, 3:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nets", default="cpu", choices=["cpu", "paper"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--contiguous", action="store_true", help="weights not channels_last")
    ap.add_argument("--reps", type=int, default=15)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    econ, x = _setup(32, a.nets, "loop", 4, 4, 32, "cpu")
    if not a.contiguous:
        econ.to(memory_format=torch.channels_last)
    experts, all_ = list(econ.experts.experts), econ.experts.all
    scope = torch.rand_like(x[:, :1])
    print(f"{cpu_info()}, nets {a.nets}, {'contiguous' if a.contiguous else 'channels_last'}")
    with torch.no_grad():
        for e in experts:  # a non-trivial latent standardisation, to check it too
            e.latent_loc.normal_()
            e.latent_scale.uniform_(0.5, 2)
        regions = all_("attend", x, scope)
        mu, logvar = all_("encode", x, regions, per_expert=(False, True))
        pairs = {
            "attend": (lambda: all_("attend", x, scope), lambda: attend(experts, x, scope)),
            "encode": (lambda: all_("encode", x, regions, per_expert=(False, True)),
                       lambda: encode(experts, x, regions)),
            "decode": (lambda: all_("decode", mu, per_expert=(True,)),
                       lambda: decode(experts, mu)),
        }
        for name, (loop, fused) in pairs.items():
            diff = max((a_ - b_).abs().max().item() for a_, b_ in zip(
                _tuple(loop()), _tuple(fused()), strict=True))
            t = timeit_interleaved({"loop": loop, "fused": fused}, a.reps)
            print(f"{name:7s} loop {t['loop'] * 1e3:7.2f} ms  fused {t['fused'] * 1e3:7.2f} ms  "
                  f"speed-up (paired median) {1 / t['paired']['fused']:.2f}x  "
                  f"max |difference| {diff:.1e}")


def _tuple(v):
    return v if isinstance(v, tuple) else (v,)


if __name__ == "__main__":
    main()
