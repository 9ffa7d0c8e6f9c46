"""The ECON module: K experts plus the Pyro model and guide that use them."""

from __future__ import annotations

import pyro.distributions as dist
import torch
from torch import nn

from .competition import Competition
from .config import ECONConfig
from .guides import competition_guide
from .models import layered_model
from .nets import ExpertEnsemble


class ECON(nn.Module):
    """Ensemble of Competing Object Networks.

    ``econ.model(x)`` / ``econ.model(batch_size=n)`` is the generative model
    (eqs 1-8), ``econ.guide(x)`` the approximate posterior with competition
    (sec. 5).  Both are plain Pyro programs: trace, replay or condition them
    with ``pyro.poutine``.  Parameters are registered with ``pyro.module`` and
    can equally be optimised with a torch optimiser over ``econ.parameters()``.
    """

    def __init__(self, config: ECONConfig | None = None, **overrides):
        super().__init__()
        if config is None:
            config = ECONConfig(**overrides)
        elif overrides:
            config = ECONConfig.from_dict({**config.to_dict(), **overrides})
        self.config = config
        self.experts = ExpertEnsemble(config)
        self.competition = Competition.from_config(config)
        prior = torch.ones(config.n_experts) if config.expert_prior is None \
            else torch.tensor(config.expert_prior)
        self.register_buffer("expert_prior", prior / prior.sum(), persistent=False)
        # a fitted mixture prior of z_t per expert (econ_pyro.latent_prior); None: N(0, I)
        for name in ("prior_weights", "prior_loc", "prior_scale_tril"):
            self.register_buffer(name, None, persistent=False)

    def allowed_experts(self, t: int) -> list[int] | None:
        """Experts that may explain step t (None: all).  With a reserved
        ``background_expert`` b: only b at t = 1, every other expert at t > 1."""
        b = self.config.background_expert
        if b is None:
            return None
        return [b] if t == 1 else [k for k in range(self.config.n_experts) if k != b]

    def step_prior(self, t: int) -> torch.Tensor:
        """p(k_t): the expert prior restricted to the experts allowed at step t."""
        allowed = self.allowed_experts(t)
        if allowed is None:
            return self.expert_prior
        mask = torch.zeros_like(self.expert_prior)
        mask[allowed] = 1.0
        p = self.expert_prior * mask
        return p / p.sum()

    def z_prior(self, k: torch.Tensor):
        """p(z_t | k_t = k) for a batch of experts ``k``: the paper's N(0, I) (eq. 2), or
        the fitted Gaussian mixture of each expert when one is applied
        (:func:`econ_pyro.latent_prior.apply_latent_prior`)."""
        if self.prior_weights is None:
            return dist.Normal(torch.zeros(self.config.latent_dim, device=self.device),
                               1.0).to_event(1)
        return dist.MixtureSameFamily(
            dist.Categorical(probs=self.prior_weights[k]),
            dist.MultivariateNormal(self.prior_loc[k], scale_tril=self.prior_scale_tril[k]))

    @property
    def device(self) -> torch.device:
        return self.expert_prior.device

    def model(self, x=None, **kwargs):
        return layered_model(self, x, **kwargs)

    def guide(self, x, **kwargs):
        return competition_guide(self, x, **kwargs)
