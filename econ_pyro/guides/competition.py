"""ECON's guide q(r, z | x, k) with the competition of experts (paper secs 4.2, 5).

Inference runs front to back, t = T..1, with scope s_T = 1::

    for t = T..1:
        every expert k:  r~_k = s_t a_k(x, s_t)          attend (eq. 9); r~_k = s_1 at t = 1
                         z~_k ~ q(z | x, r~_k)           encode
                         (mu_k, m~_k) = f_k(z~_k)        decode
                         score_k = lam L_x + L_r  (or a variant, see competition.py)
        k_t ~ softmax(-score / tau)  (or argmax)         competition (sec. 5.2), among the
                                                         experts allowed at t (all, or with a
                                                         reserved background expert b: b alone
                                                         at t = 1, the others at t > 1; if
                                                         exclusive, not those that already won)
        r_t = r~_{k_t}                                   winner's region (RegionBernoulli)
        z_t ~ N(mu_{k_t}(x, r_t), sigma_{k_t}^2)         winner's latent
        s_{t-1} = s_t (1 - a_{k_t}) = s_t - r_t         scope update (eq. 14)

The competition runs without autograd; the winner's attention and encoder
are then recomputed with gradients for its own samples only, so losing
experts take no part in the backward pass.  The winner's decoder runs in the
model (under replay).

Ground-truth supervision (the K = 1 "generative MONet" run of Fig. 5): pass
``gt_regions`` ``[B, T, H, W]`` with the visible mask of generative layer t at
index t - 1; each expert's attention is then replaced by that mask (times the
scope), and the last step still takes the remaining scope.
"""

from __future__ import annotations

import pyro
import pyro.distributions as dist
import torch

from ..competition import compete, mark_taken, winner_region
from ..distributions import RegionBernoulli
from ..handlers import register_module, weight
from ..layers import next_scope


def competition_guide(econ, x, *, n_steps: int | None = None, gt_regions=None):
    cfg = econ.config
    T = n_steps or cfg.n_steps
    B, size = x.shape[0], x.shape[-1]
    register_module(econ)
    competition = econ.competition
    scope = torch.ones(B, 1, size, size, device=x.device, dtype=x.dtype)
    taken = competition.new_taken(B, len(econ.experts), x.device)  # exclusive only

    with pyro.plate("scenes", B):
        for t in range(T, 0, -1):
            # --- competition: every expert explains the scene in scope (no autograd)
            scores = compete(econ, x, scope, t, gt_regions).scores
            k = pyro.sample(f"k_{t}", competition.distribution(scores.T, taken),
                            infer={"is_competition": True, "scores": scores.T})
            taken = mark_taken(taken, k)

            # --- the winner, recomputed with gradients for its own samples only
            groups = econ.experts.grouping(k)  # last step / supervised: no attention
            region = winner_region(econ, groups, x, scope, t, gt_regions)
            with weight(cfg.gamma):
                region = pyro.sample(f"r_{t}", RegionBernoulli(region).to_event(3))
            z_loc, z_logvar = econ.experts.select("encode", groups, x, region)
            with weight(cfg.beta):
                pyro.sample(f"z_{t}", dist.Normal(z_loc, (0.5 * z_logvar).exp()).to_event(1))
            scope = next_scope(scope, region)  # eq. 14
            if cfg.detach_scope:
                scope = scope.detach()
