"""ECON's generative model p(x, r, z | k) (paper sec. 4.1, eqs 1-8).

Read top to bottom next to the paper::

    for t = 1..T (t = 1 is the background):
        k_t ~ Categorical(prior_t)                     object class / expert
        z_t ~ N(0, I_L)                                object properties (or a fitted
                                                       mixture per expert: econ.z_prior)
        (mu_t, m~_t) = f_{k_t}(z_t)                    appearance and shape (eqs 4-5)
    s_T = 1
    for t = T..1:
        r_t ~ Bernoulli(s_t * m~_t)                    region (eq. 7)
        x  : appearance likelihood of step t (eq. 10), when x is observed
        s_{t-1} = s_t - r_t  (= s_t (1 - m_t))          scope (eq. 1)
    x ~ N(sum_t r_t mu_t, sigma_x^2)                   image (eq. 6), when x is not observed

Sites: ``k_t``, ``z_t`` (scaled by beta), ``r_t`` (scaled by gamma), the
factors ``x_t`` (observed x) or the sample ``x`` (prior), and deterministic
``shape_t`` / ``appearance_t`` for inspection.  Under ``poutine.replay`` of a
guide trace, ``r_t`` takes the guide's region means r~_t, and the scope is
that of eq. 14.
"""

from __future__ import annotations

import pyro
import pyro.distributions as dist
import torch

from ..handlers import register_module, weight
from ..layers import appearance_nll, composite, next_scope


def layered_model(econ, x=None, *, batch_size: int | None = None, n_steps: int | None = None,
                  gt_regions=None):
    """The generative model; ``gt_regions`` is accepted for symmetry with the guide (unused)."""
    cfg = econ.config
    T = n_steps or cfg.n_steps
    if x is None and batch_size is None:
        raise ValueError("give an image batch x, or batch_size for prior sampling")
    B = x.shape[0] if x is not None else batch_size
    device = x.device if x is not None else econ.device
    size = cfg.image_size
    register_module(econ)

    shapes, appearances = [], []
    with pyro.plate("scenes", B):
        for t in range(1, T + 1):
            k = pyro.sample(f"k_{t}", dist.Categorical(econ.step_prior(t).to(device)))
            with weight(cfg.beta):
                z = pyro.sample(f"z_{t}", econ.z_prior(k))  # eq. 2
            appearance, shape = econ.experts.select("decode", k, z)  # eqs 4-5
            shapes.append(pyro.deterministic(f"shape_{t}", shape, event_dim=3))
            appearances.append(pyro.deterministic(f"appearance_{t}", appearance, event_dim=3))

        scope = torch.ones(B, 1, size, size, device=device)  # s_T = 1
        regions = [None] * T
        for t in range(T, 0, -1):
            with weight(cfg.gamma):
                region = pyro.sample(f"r_{t}", dist.Bernoulli(scope * shapes[t - 1]).to_event(3))
            if x is not None:  # eq. 10, the per-step form of eq. 6
                pyro.factor(f"x_{t}", -appearance_nll(x, region, appearances[t - 1], cfg.sigma_x))
            regions[t - 1] = region
            scope = next_scope(scope, region)  # eq. 1

        mean = composite(regions, appearances)  # eq. 3
        if x is None:  # eq. 6
            x = pyro.sample("x", dist.Normal(mean, cfg.sigma_x).to_event(3))
    return {"x": x, "mean": mean, "regions": regions, "shapes": shapes,
            "appearances": appearances}
