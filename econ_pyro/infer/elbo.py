"""ECON's objective (eq. 13) computed from Pyro traces.

The guide is traced, the model replayed against it, and every site pair
contributes its analytic term, weighted by the site's ``scale`` (beta for
``z_t``, gamma for ``r_t``)::

    loss = mean_b sum_t [L_x,t + beta KL(q(z_t) || p(z_t)) + gamma KL(q(r_t) || p(r_t | s_t, z_t))]

The competition sites ``k_t`` are skipped: the winner is a selection, not a
trained quantity (the paper conditions the ELBO on k_{1:T}).  Nothing here
calls ``.item()``: the per-step diagnostics stay tensors.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from pyro import poutine
from pyro.infer import ELBO
from pyro.poutine.util import site_is_subsample
from torch.distributions import kl_divergence


@dataclass
class ELBOResult:
    loss: torch.Tensor  # scalar, batch mean of eq. 13 (negated ELBO)
    L_x: torch.Tensor  # [T] batch means per generative step t (index t - 1), unscaled
    L_z: torch.Tensor  # [T]
    L_r: torch.Tensor  # [T]
    winners: torch.Tensor  # [T, B] long, the expert that won step t
    guide_trace: object = None
    model_trace: object = None
    completion: torch.Tensor | None = None  # the trainer's completion loss, when on


def site_step(name: str) -> tuple[str, int]:
    """A step site's prefix and step: ``"r_3"`` -> ``("r", 3)`` (sites ``k_t``, ``z_t``,
    ``r_t`` of the model and guide)."""
    prefix, _, t = name.rpartition("_")
    return prefix, int(t)


def site_kl(guide_site: dict, model_site: dict) -> torch.Tensor:
    """KL(q || p) of a latent site: analytic where torch knows it, else (a fitted mixture
    prior of z_t, ``econ_pyro.latent_prior``) the one-sample estimate log q - log p at the
    guide's sample."""
    q, p = guide_site["fn"], model_site["fn"]
    try:
        return kl_divergence(q, p)
    except NotImplementedError:
        v = guide_site["value"]
        return q.log_prob(v) - p.log_prob(v)


class ECONELBO(ELBO):
    """The class-conditional ELBO of eq. 13 with the winners of the competition.

    Usable directly (:meth:`compute`) or as the ``loss`` of ``pyro.infer.SVI``.
    """

    def _get_trace(self, model, guide, args, kwargs):
        """Trace the guide, then the model replayed against it."""
        guide_trace = poutine.trace(guide).get_trace(*args, **kwargs)
        model_trace = poutine.trace(poutine.replay(model, trace=guide_trace)).get_trace(
            *args, **kwargs)
        return model_trace, guide_trace

    def compute(self, model, guide, *args, **kwargs) -> ELBOResult:
        model_trace, guide_trace = self._get_trace(model, guide, args, kwargs)
        per_image = {"x": {}, "z": {}, "r": {}}
        winners = {}
        total = 0.0
        for name, site in model_trace.nodes.items():
            if site["type"] != "sample" or site_is_subsample(site) \
                    or site["infer"].get("_deterministic"):
                continue
            prefix, t = site_step(name)
            if prefix == "k":
                winners[t] = site["value"]
                continue
            if name in guide_trace.nodes:  # latent: analytic KL (eqs 11-12)
                term = site_kl(guide_trace.nodes[name], site)
            else:  # observed / factor: negative log-likelihood (eq. 10)
                term = -site["fn"].log_prob(site["value"])
            per_image[prefix][t] = term
            total = total + site["scale"] * term
        steps = sorted(winners)

        def stack(d):
            return torch.stack([d[t].mean() for t in steps]) if d else torch.zeros(len(steps))

        return ELBOResult(loss=total.mean(), L_x=stack(per_image["x"]),
                          L_z=stack(per_image["z"]), L_r=stack(per_image["r"]),
                          winners=torch.stack([winners[t] for t in steps]),
                          guide_trace=guide_trace, model_trace=model_trace)

    # pyro.infer.SVI interface
    def loss(self, model, guide, *args, **kwargs) -> float:
        with torch.no_grad():
            return self.compute(model, guide, *args, **kwargs).loss.item()

    def loss_and_grads(self, model, guide, *args, **kwargs) -> float:
        loss = self.compute(model, guide, *args, **kwargs).loss
        loss.backward()
        return loss.item()
