"""An optional completion loss (a deviation from the paper; ``train.completion_loss``).

ECON's region term L_r (eq. 12) charges a decoded shape m~_t only inside the scope s_t,
so the hidden pixels of an occluded object cost nothing either way: nothing in the ELBO
asks a decoder to *complete* an occluded shape, and every time the competition explains
an object before its occluder (the occluder's pixels are then still in scope and not in
the region) it is asked to cut it (docs/SPECIALISATION.md, rounds 9, 11 and 12).

The completion loss shows each winner of an object step (t > 1) its own object behind an
artificial occluder -- a box of an object's size centred on a pixel of the winner's
region, painted in a random colour and removed from the region -- and charges the shape
it then decodes (from the posterior mean) with L_r of the *whole* region the winner
explained::

    L_c = gamma * sum_{t > 1} L_r(r_t, s_t, m~(enc_{k_t}(x', r'_t)))      (r_t, s_t fixed)

Only the winners' encoders and decoders receive its gradients (their attention and the
losers get none); the competition and the ELBO are unchanged.
"""

from __future__ import annotations

import torch

from ..layers import next_scope, region_kl
from .elbo import site_step

#: side of the artificial occluder, as a fraction of the image side (the generator's
#: object sizes, data.generator.SceneConfig)
OCCLUDER_SCALE = (0.35, 0.5)


def occlude(x: torch.Tensor, region: torch.Tensor, generator: torch.Generator | None = None,
            scale: tuple[float, float] = OCCLUDER_SCALE):
    """``(x', r')``: each image ``x`` ``[B, 3, H, W]`` with a square occluder of side
    ``scale`` x H (uniform) centred on a pixel drawn in proportion to ``region``
    ``[B, 1, H, W]`` (uniformly where the region is empty), in a colour uniform in [0, 1]^3;
    the region loses the occluded pixels."""
    B, _, H, W = x.shape
    dev = x.device
    weights = region.detach().flatten(1).clamp_min(0) + 1e-6
    centre = torch.multinomial(weights, 1, generator=generator)[:, 0]
    cy, cx = (centre // W).to(x.dtype), (centre % W).to(x.dtype)
    lo, hi = scale
    half = (lo + (hi - lo) * torch.rand(B, generator=generator, device=dev)) * H / 2
    yy = torch.arange(H, device=dev, dtype=x.dtype)[None, :, None]
    xx = torch.arange(W, device=dev, dtype=x.dtype)[None, None, :]
    box = (((yy - cy[:, None, None]).abs() < half[:, None, None])
           & ((xx - cx[:, None, None]).abs() < half[:, None, None]))[:, None].to(x.dtype)
    colour = torch.rand(B, 3, 1, 1, generator=generator, device=dev, dtype=x.dtype)
    return x * (1 - box) + box * colour, region * (1 - box)


def completion_loss(econ, x: torch.Tensor, guide_trace,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """Batch mean of L_c (module docstring) from a traced guide (sites ``k_t``, ``r_t``).

    The regions and scopes are taken as fixed (detached); the scope is rebuilt from the
    regions by eq. 14, as in the guide."""
    steps = sorted((site_step(name)[1] for name in guide_trace.nodes if name.startswith("r_")),
                   reverse=True)  # t = T..1
    scope = torch.ones_like(x[:, :1])
    total = x.new_zeros(x.shape[0])
    for t in steps:
        region = guide_trace.nodes[f"r_{t}"]["value"].detach()
        if t > 1:  # object steps only: the last step explains the background
            groups = econ.experts.grouping(guide_trace.nodes[f"k_{t}"]["value"])
            x_occ, region_occ = occlude(x, region, generator)
            z_loc, _ = econ.experts.select("encode", groups, x_occ, region_occ)
            _, shape = econ.experts.select("decode", groups, z_loc)
            total = total + region_kl(region, scope, shape)
        scope = next_scope(scope, region)
    return econ.config.gamma * total.mean()
