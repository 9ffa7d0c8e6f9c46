"""One optimisation step of ECON (forward, backward, optimiser)."""

from __future__ import annotations

import torch

from ..handlers import without_param_sites
from .elbo import ECONELBO, ELBOResult


def train_step(econ, optimizer: torch.optim.Optimizer, x: torch.Tensor,
               elbo: ECONELBO | None = None, **kwargs) -> ELBOResult:
    """Gradient step on eq. 13 for batch ``x``.

    Gradients are cleared with ``set_to_none=True``: an expert that won no
    step of this batch ends with ``grad is None`` everywhere, and
    ``torch.optim.Adam`` (like every torch optimiser) skips such parameters,
    so its moments and weights stay exactly as they were; the Adam step
    counter of a parameter advances only in batches where it received a
    gradient.  The same holds for parts of an expert that a win did not use
    (the attention net of an expert that only won the last step).

    The model and guide run without ``pyro.module`` (no param sites): the torch
    optimiser holds ``econ.parameters()`` itself.
    """
    elbo = elbo or ECONELBO()
    optimizer.zero_grad(set_to_none=True)
    with without_param_sites():  # the torch optimiser holds the parameters
        result = elbo.compute(econ.model, econ.guide, x, **kwargs)
    result.loss.backward()
    optimizer.step()
    result.guide_trace = result.model_trace = None  # free the graphs' references
    return result
