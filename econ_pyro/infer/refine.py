"""Iterative refinement of the winners' latents at decomposition (a deviation).

The paper's inference is amortised: z_t is the winner's encoder output.  An encoder trained
only on what its region shows (the ELBO charges no hidden pixel) infers an occluded object's
full shape less well than its own decoder can draw it (docs/SPECIALISATION.md, round 15).
``refine_latents`` starts from the encoder's posterior mean and takes a few Adam steps on
the winner's own step loss (eqs 10, 12, and the prior of z; weights as in eq. 13)::

    L(z) = L_x,t(x, r_t, mu(z)) + gamma * L_r,t(r_t, s_t, m~(z)) - beta * log p(z | k_t)

where p(z | k) is the model's prior of z_t (``ECON.z_prior``): the paper's N(0, I), i.e.
beta * |z|^2 / 2 up to a constant, or the winner's fitted mixture when the model carries
one (econ_pyro.latent_prior; the default of ``econ_pyro.load``).  Measured on the shipped
unique-colour models (docs/SPECIALISATION.md, round 17): under the fitted mixture occluded
amodal IoU is ~0.01 lower than under N(0, I) (``load(..., fitted_prior=False)``, the CLI's
``--standard-prior``), which refines as before session 17

for each scene's winner separately (the scenes' losses are independent), with the region
r_t and scope s_t held fixed: the segmentation does not change, only the latents, hence
the decoded full shapes and appearances.  Weights are not touched.
"""

from __future__ import annotations

import torch

from ..layers import appearance_nll, region_kl


def step_loss(econ, k, x, region, scope, z, groups=None, prior=None) -> torch.Tensor:
    """``[B]``: each scene's step loss L(z) (module docstring) under its winner ``k[b]``
    (an index tensor; ``groups`` its ``Grouping`` and ``prior`` ``econ.z_prior(k)``, if
    already built)."""
    cfg = econ.config
    prior = econ.z_prior(k) if prior is None else prior
    appearance, shape = econ.experts.select("decode", k if groups is None else groups, z)
    return (appearance_nll(x, region, appearance, cfg.sigma_x)
            + cfg.gamma * region_kl(region, scope, shape)
            - cfg.beta * prior.log_prob(z))


def refine_latents(econ, k, x, region, scope, z, steps: int, lr: float = 0.1) -> torch.Tensor:
    """``steps`` Adam steps (learning rate ``lr``, in latent units) on each winner's
    :func:`step_loss`, from ``z`` ``[B, L]``; ``k`` is the winners' index tensor.  Returns the
    refined latents (no graph)."""
    if steps < 0 or lr <= 0:
        raise ValueError(f"refine steps must be >= 0 and lr > 0, got {steps}, {lr}")
    groups, prior = econ.experts.grouping(k), econ.z_prior(k)  # built once, not per step
    z = z.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    with torch.enable_grad():
        for _ in range(steps):
            loss = step_loss(econ, k, x, region, scope, z, groups, prior)
            (z.grad,) = torch.autograd.grad(loss.sum(), z)
            opt.step()
    return z.detach()
