"""The competition between experts (paper sec. 5.2).

At inference step t every expert k proposes an explanation of the scene in
the current scope and gets a *score* (lower is better).  The winner is drawn
from ``P(k) ∝ exp(-score_k / temperature)`` (stochastic) or taken as the
argmax (deterministic).  Score forms:

* ``"paper"``: ``lam * L_x,t(k) + L_r,t(k)`` (sums over pixels, as in the paper);
* ``"area"``: ``lam * L_x,t(k) * (|s_t| / |r~_k|)**area_power + L_r,t(k)``: with
  ``area_power`` 1 the appearance error per attended pixel, rescaled to the
  scope's area, so that attending fewer pixels is no longer rewarded by itself
  (see docs/DESIGN notes); powers between 0 (the paper's sum) and 1 weigh
  region size in between (the sum favours small regions, "attend nothing";
  the per-pixel error favours large easy regions, "background first");
* ``"region"``: ``L_r,t(k)`` only (the paper's choice for random colours).

The paper's summed scores are in the thousands, so temperature 1 is in
effect an argmax; the temperature is explicit so it can be scheduled.  An
optional per-expert logit ``bias`` ``[K]`` (the load-balancing remedy of
``training/remedies.py``) is added to ``-score / temperature`` in both modes.

``exclusive`` (a training-time deviation from the paper, ``train.exclusive_until``):
an expert that has already won a step of a scene cannot win another step of
that scene, unless no expert would be left — a competition without
replacement, for training data whose scenes hold each class at most once.
With ``exclusive_experts`` only those experts are limited to one step per scene
(after a split of a merged expert, ``train.split_merged_exclusive``: the expert
and its copy must divide the objects they explained together).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyro.distributions as dist
import torch

from .distributions import reparametrise
from .layers import appearance_nll, region_kl

AREA_EPS = 1.0  # pixels; keeps the area-normalised score finite for empty regions


@dataclass
class Competition:
    mode: str = "stochastic"
    score_form: str = "paper"
    lam: float = 1.0
    temperature: float = 1.0
    area_power: float = 1.0
    bias: torch.Tensor | None = None  # [K] logit bonus (training-time load balancing)
    exclusive: bool = False  # each expert wins at most one step per scene (training-time)
    exclusive_experts: tuple[int, ...] | None = None  # ... only these (None: every expert)
    min_region: float = 0.0  # proposals attending fewer pixels lose (unless all do); 0: off
    max_region: float = 0.0  # proposals attending more pixels lose (unless all do); 0: off

    @classmethod
    def from_config(cls, cfg) -> Competition:
        return cls(cfg.competition, cfg.score, cfg.lam, cfg.temperature,
                   area_power=cfg.area_power, min_region=cfg.min_region,
                   max_region=cfg.max_region)

    def score(self, l_x, l_r, region_area, scope_area) -> torch.Tensor:
        """Scores ``[..., K]`` or ``[K, ...]`` from per-expert losses of the same shape."""
        if self.score_form == "region":
            return l_r
        if self.score_form == "area":
            l_x = l_x * ((scope_area + AREA_EPS) / (region_area + AREA_EPS)) ** self.area_power
        return self.lam * l_x + l_r

    def bar_size(self, scores: torch.Tensor, region_area: torch.Tensor) -> torch.Tensor:
        """Scores ``[n, B]`` with the proposals attending fewer than ``min_region`` pixels
        or more than ``max_region`` (where set) set to +inf, in the scenes where some
        expert attends a size in between.  The paper's summed score rewards attending
        (almost) nothing, and an object no expert takes is left to the background step
        (docs/SPECIALISATION.md, round 8); an object step that takes the background
        leaves the last step to an object (round 10).  At the last step every expert
        takes the same remaining scope, so the bar never changes its winner."""
        if not self.min_region and not self.max_region:
            return scores
        barred = region_area < self.min_region
        if self.max_region:
            barred = barred | (region_area > self.max_region)
        everyone = barred.all(0, keepdim=True)
        return torch.where(everyone, scores, scores.masked_fill(barred, float("inf")))

    def new_taken(self, n_scenes: int, n_experts: int, device) -> torch.Tensor | None:
        """Per-scene record ``[B, K]`` of the experts that have won a step (for
        :func:`mark_taken`); ``None`` when the competition is not exclusive."""
        if not self.exclusive:
            return None
        return torch.zeros(n_scenes, n_experts, dtype=torch.bool, device=device)

    def distribution(self, scores: torch.Tensor, taken: torch.Tensor | None = None
                     ) -> dist.Categorical:
        """Distribution of the winner given scores ``[B, K]``; ``taken`` ``[B, K]`` (bool)
        marks the experts that already won a step of each scene (used if ``exclusive``)."""
        if self.exclusive and taken is not None:
            if self.exclusive_experts is not None:
                limited = torch.zeros(taken.shape[-1], dtype=torch.bool, device=taken.device)
                limited[list(self.exclusive_experts)] = True
                taken = taken & limited
            without = scores.masked_fill(taken, float("inf"))
            nobody_left = torch.isinf(without).all(-1, keepdim=True)
            scores = torch.where(nobody_left, scores, without)
        logits = -scores / self.temperature
        if self.bias is not None:
            logits = logits + self.bias.to(logits)
        if self.mode == "deterministic":
            best = logits.argmax(dim=-1, keepdim=True)
            logits = torch.full_like(scores, float("-inf")).scatter(-1, best, 0.0)
        return dist.Categorical(logits=logits)


@dataclass
class Proposals:
    """What every expert proposed at one inference step (all without autograd).

    ``scores`` ``[K, B]`` (experts not allowed at this step: +inf); ``regions``
    ``[K, B, 1, H, W]``, ``z_loc`` / ``z_logvar`` ``[K, B, L]``: each expert's
    attended region and latent posterior.  All ``None`` except ``scores`` when a
    single expert is allowed (nothing to compete for, nothing computed).
    """

    scores: torch.Tensor
    regions: torch.Tensor | None = None
    z_loc: torch.Tensor | None = None
    z_logvar: torch.Tensor | None = None

    def winner(self, k: torch.Tensor):
        """``(region [B,1,H,W], z_loc [B,L], z_logvar [B,L])`` of the winners ``k`` ``[B]``."""
        b = torch.arange(k.shape[0], device=k.device)
        return self.regions[k, b], self.z_loc[k, b], self.z_logvar[k, b]


def mark_taken(taken: torch.Tensor | None, k: torch.Tensor) -> torch.Tensor | None:
    """``taken`` ``[B, K]`` with the winners ``k`` ``[B]`` of one step added (None stays None)."""
    return None if taken is None else taken.scatter(-1, k[:, None], True)


def step_region(t: int, scope, gt_regions=None):
    """The region fixed for every expert at step t, or ``None`` (each expert attends).

    The last step takes the remaining scope (footnote 7); with ground-truth
    supervision ``gt_regions`` ``[B, T, H, W]`` it is the scope times the mask of layer t.
    """
    if t == 1:
        return scope
    if gt_regions is not None:
        return scope * gt_regions[:, t - 1 : t].to(scope)
    return None


def winner_region(econ, k, x, scope, t: int, gt_regions=None):
    """The region that the winners ``k`` (index tensor or ``Grouping``) explain at step t:
    the fixed region of :func:`step_region`, else their attention (with autograd if on)."""
    region = step_region(t, scope, gt_regions)
    return region if region is not None else econ.experts.select("attend", k, x, scope)


@torch.no_grad()
def compete(econ, x, scope, t: int, gt_regions=None) -> Proposals:
    """Every allowed expert attends (or takes the fixed region), encodes, decodes
    and is scored (sec. 5.2) at inference step ``t``; no autograd.  Experts that
    are not allowed at t (a reserved background expert) are not run at all."""
    K = len(econ.experts)
    allowed = econ.allowed_experts(t)
    if allowed is not None and len(allowed) == 1:  # nothing to compete for
        return Proposals(exclude(scope.new_zeros(K, x.shape[0]), allowed))
    if allowed is not None and len(allowed) == K:
        allowed = None
    n = K if allowed is None else len(allowed)
    fixed = step_region(t, scope, gt_regions)
    regions = fixed.expand(n, *fixed.shape) if fixed is not None \
        else econ.experts.all("attend", x, scope, only=allowed)
    scores, mu, logvar = _score(econ, x, scope, regions, allowed)
    if allowed is None:
        return Proposals(scores, regions, mu, logvar)
    # back to one slot per expert (those not allowed: score +inf, zero proposals)
    return Proposals(_one_slot_per_expert(scores, allowed, K, float("inf")),
                     *(_one_slot_per_expert(v, allowed, K) for v in (regions, mu, logvar)))


def _one_slot_per_expert(v, allowed: list[int], K: int, fill: float = 0.0) -> torch.Tensor:
    """``v`` ``[len(allowed), ...]`` (one slice per allowed expert) as ``[K, ...]``."""
    out = v.new_full((K, *v.shape[1:]), fill)
    return out.index_copy_(0, torch.tensor(allowed, device=v.device), v)


def _score(econ, x, scope, regions, only=None):
    """Scores ``[n, B]`` and posteriors of the experts ``only`` (all: n = K) for
    ``regions`` ``[n, B, 1, H, W]``: each expert encodes its region, draws z~ (one
    reparametrised sample), decodes, and is scored on L_x,t (eq. 10) and L_r,t (eq. 12)."""
    cfg = econ.config
    mu, logvar = econ.experts.all("encode", x, regions, per_expert=(False, True), only=only)
    z = reparametrise(mu, logvar)
    appearance, shape = econ.experts.all("decode", z, per_expert=(True,), only=only)
    l_x = appearance_nll(x, regions, appearance, cfg.sigma_x)
    l_r = region_kl(regions, scope, shape)
    area = regions.flatten(-3).sum(-1)
    scores = econ.competition.score(l_x, l_r, area, scope.flatten(-3).sum(-1))
    return econ.competition.bar_size(scores, area), mu, logvar


def exclude(scores: torch.Tensor, allowed: list[int] | None) -> torch.Tensor:
    """Scores ``[K, B]`` with experts not in ``allowed`` set to +inf (they cannot win)."""
    if allowed is None:
        return scores
    keep = torch.zeros(scores.shape[0], dtype=torch.bool, device=scores.device)
    keep[allowed] = True
    return scores.masked_fill(~keep[:, None], float("inf"))
