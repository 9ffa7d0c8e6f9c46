"""The layered (dead-leaves) scene algebra shared by model, guide and samplers.

Conventions: tensors are ``[B, C, H, W]``; generative step t = 1 is the
background, t = T the front-most layer.
"""

from __future__ import annotations

import torch

from .distributions import bernoulli_kl


def next_scope(scope: torch.Tensor, region: torch.Tensor) -> torch.Tensor:
    """Scope one layer further back: s_{t-1} = s_t - r_t.

    With r_t = s_t m_t this is s_t (1 - m_t) (eq. 1).  In the guide the region
    is r~_t = s_t a_t with a_t the attention map, so this is s_t (1 - a_t):
    eq. 14 applied to the attention (identical to eq. 14 for binary scopes).
    It keeps sum_t r_t + s_0 = 1 exactly, also for soft regions.
    """
    return (scope - region).clamp_min(0)


def appearance_nll(x, region, appearance, sigma_x: float) -> torch.Tensor:
    """L_x,t of eq. 10: sum over pixels of r (x - mu)^2 / (2 sigma_x^2), per image.

    Works for any leading dims (e.g. ``[K, B, ...]`` in the competition).
    """
    sq = (x - appearance).pow(2).sum(dim=-3, keepdim=True)
    return (region * sq).flatten(-3).sum(-1) / (2 * sigma_x**2)


def region_kl(region, scope, shape) -> torch.Tensor:
    """L_r,t of eq. 12: sum over pixels of KL(Bern(r~) || Bern(s m~)), per image."""
    return bernoulli_kl(region, scope * shape).flatten(-3).sum(-1)


def composite(regions, appearances) -> torch.Tensor:
    """x = sum_t r_t * x_t (eq. 3)."""
    return sum(r * a for r, a in zip(regions, appearances, strict=True))


def paint(shapes, appearances, canvas=None) -> torch.Tensor:
    """Paint layers back to front, x <- m_t x_t + (1 - m_t) x (sec. 2), t = 1 first."""
    x = torch.zeros_like(appearances[0]) if canvas is None else canvas
    for m, a in zip(shapes, appearances, strict=True):
        x = m * a + (1 - m) * x
    return x


def regions_from_shapes(shapes) -> list[torch.Tensor]:
    """Regions r_t = s_t m_t with s_T = 1 (eqs 1-2); ``shapes`` listed t = 1..T."""
    scope = torch.ones_like(shapes[-1])
    regions = [None] * len(shapes)
    for t in range(len(shapes) - 1, -1, -1):
        regions[t] = scope * shapes[t]
        scope = next_scope(scope, regions[t])
    return regions

