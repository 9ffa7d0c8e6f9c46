"""Distributions used by ECON's model and guide."""

from __future__ import annotations

import pyro.distributions as dist
import torch
from torch.distributions import kl_divergence, register_kl

EPS = 1e-6
TINY = 1e-30


class RegionBernoulli(dist.Bernoulli):
    """q(r_t) = Bernoulli(r~) that "samples" its mean r~ (paper sec. 5.1).

    The paper replaces expectations over binary regions by the Bernoulli means
    r~, so the guide emits r~ itself at site ``r_t``; the value is
    differentiable (``has_rsample``), and the KL of eq. 12 is analytic.
    """

    has_rsample = True

    def rsample(self, sample_shape=()):
        return self.probs.expand(self._extended_shape(torch.Size(sample_shape)))

    def sample(self, sample_shape=()):
        return self.rsample(sample_shape).detach()


def _xlogx(v: torch.Tensor) -> torch.Tensor:
    # v log v with value 0 and a finite gradient at v = 0 (torch.xlogy's is NaN there)
    return v * torch.log(v.clamp_min(TINY))


def bernoulli_kl(q: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """Elementwise KL(Bernoulli(q) || Bernoulli(p)), with p clamped away from 0 and 1.

    Finite, with finite gradients, for q anywhere in [0, 1] (regions are exactly
    0 outside the scope).
    """
    p = p.clamp(EPS, 1 - EPS)
    return _xlogx(q) - q * torch.log(p) + _xlogx(1 - q) - (1 - q) * torch.log1p(-p)


def normal_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Elementwise KL(N(mu, exp(logvar)) || N(0, 1)) (eq. 11)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)


def reparametrise(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """One reparametrised draw z = mu + eps * exp(logvar / 2), eps ~ N(0, I): the competition's
    proposals (outside Pyro; the guide's z_t sites draw through ``pyro.sample``)."""
    return mu + torch.randn_like(mu) * (0.5 * logvar).exp()


@register_kl(RegionBernoulli, dist.Bernoulli)
def _kl_region_bernoulli(q, p):
    return bernoulli_kl(q.probs, p.probs)


__all__ = ["RegionBernoulli", "bernoulli_kl", "kl_divergence", "normal_kl", "reparametrise"]
