"""Iterative refinement of the winners' latents at decomposition (a deviation).

The paper's inference is amortised: z_t is the winner's encoder output.  An encoder trained
only on what its region shows (the ELBO charges no hidden pixel) infers an occluded object's
full shape less well than its own decoder can draw it (docs/SPECIALISATION.md, round 15).
``refine_latents`` starts from the encoder's posterior mean and takes a few Adam steps on
the winner's own step loss (eqs 10, 12, and the prior of z; weights as in eq. 13)::

    L(z) = L_x,t(x, r_t, mu(z)) + gamma * L_r,t(r_t, s_t, m~(z)) + beta * |z|^2 / 2

for each scene's winner separately (the scenes' losses are independent), with the region
r_t and scope s_t held fixed: the segmentation does not change, only the latents, hence
the decoded full shapes and appearances.  Weights are not touched.
"""

from __future__ import annotations

import torch

from ..layers import appearance_nll, region_kl


def step_loss(econ, k, x, region, scope, z) -> torch.Tensor:
    """``[B]``: each scene's step loss L(z) (module docstring) under its winner ``k[b]``
    (an index tensor or a ``Grouping``)."""
    cfg = econ.config
    appearance, shape = econ.experts.select("decode", k, z)
    return (appearance_nll(x, region, appearance, cfg.sigma_x)
            + cfg.gamma * region_kl(region, scope, shape)
            + cfg.beta * 0.5 * z.pow(2).sum(-1))


def refine_latents(econ, k, x, region, scope, z, steps: int, lr: float = 0.1) -> torch.Tensor:
    """``steps`` Adam steps (learning rate ``lr``, in latent units) on each winner's
    :func:`step_loss`, from ``z`` ``[B, L]``; ``k`` is the winners' index tensor (or a
    ``Grouping``).  Returns the refined latents (no graph)."""
    if steps < 0 or lr <= 0:
        raise ValueError(f"refine steps must be >= 0 and lr > 0, got {steps}, {lr}")
    groups = k if not torch.is_tensor(k) else econ.experts.grouping(k)
    z = z.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    with torch.enable_grad():
        for _ in range(steps):
            loss = step_loss(econ, groups, x, region, scope, z)
            (z.grad,) = torch.autograd.grad(loss.sum(), z)
            opt.step()
    return z.detach()
