"""Prior sampling with a controlled expert order, and front-to-back decomposition.

``sample`` conditions the model's ``k_t`` (and ``z_t``) sites with
``poutine.condition``.  ``decompose`` runs the guide's competition and the
model's decoders directly (no traces, no recomputation of the winner); it is
tested to equal tracing the guide and replaying the model against it.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
from pyro import poutine

from .competition import compete, mark_taken, winner_region
from .infer.refine import refine_latents
from .latent_prior import draw_latents
from .layers import next_scope, paint


def _expert_order(econ, experts, n_steps, n, generator):
    K = econ.config.n_experts
    if experts is None or experts == "random":
        T = n_steps or econ.config.n_steps
        return torch.stack([torch.multinomial(econ.step_prior(t).cpu(), n, replacement=True,
                                              generator=generator) for t in range(1, T + 1)], 1)
    order = [int(k) for k in experts]
    if not order:
        raise ValueError("experts must name at least one expert")
    bad = [k for k in order if not 0 <= k < K]
    if bad:
        raise ValueError(f"expert ids {bad} out of range: the model has experts 0..{K - 1}")
    return torch.tensor(order).expand(n, len(order))


@torch.no_grad()
def sample(econ, experts=None, n: int = 16, n_steps: int | None = None,
           temperature: float = 1.0, seed: int | None = None) -> dict[str, torch.Tensor]:
    """Draw ``n`` scenes from the prior with a fixed expert order.

    ``experts``: expert ids for layers t = 1..T, background first (any length,
    repeats allowed), or ``None``/``"random"`` to draw the order from p(k_t).
    ``temperature`` scales the latent prior: z_t = temperature * eps under N(0, I), and
    each component's spread under a fitted mixture prior (``econ_pyro.latent_prior``).

    Returns ``images`` [n,3,H,W] (layers painted back to front with their
    shape probabilities m~_t, the background layer taken as full, m_1 = 1 as in
    footnote 2), ``images_sampled`` (the model's eq. 3 with Bernoulli-sampled
    regions), ``shapes`` [n,T,H,W], ``appearances`` [n,T,3,H,W], ``regions``
    [n,T,H,W] (sampled), ``experts`` [n,T] and ``z`` [n,T,L].
    """
    if n <= 0:
        raise ValueError("n must be positive")
    device = econ.device
    g = torch.Generator().manual_seed(seed) if seed is not None else None
    order = _expert_order(econ, experts, n_steps, n, g)
    T, L = order.shape[1], econ.config.latent_dim
    z = draw_latents(econ, order, torch.randn(n, T, L, generator=g), g, temperature)
    data = {}
    for t in range(1, T + 1):
        data[f"k_{t}"] = order[:, t - 1].to(device)
        data[f"z_{t}"] = z[:, t - 1].to(device)
    with torch.random.fork_rng(devices=[], enabled=seed is not None):  # caller's RNG untouched
        if seed is not None:
            torch.manual_seed(seed)
        trace = poutine.trace(poutine.condition(econ.model, data=data)).get_trace(
            batch_size=n, n_steps=T)
    shapes = [trace.nodes[f"shape_{t}"]["value"] for t in range(1, T + 1)]
    apps = [trace.nodes[f"appearance_{t}"]["value"] for t in range(1, T + 1)]
    painted = paint([torch.ones_like(shapes[0]), *shapes[1:]], apps)
    return {
        "images": painted,
        "images_sampled": trace.nodes["_RETURN"]["value"]["mean"],
        "shapes": torch.cat(shapes, 1),
        "appearances": torch.stack(apps, 1),
        "regions": torch.cat([trace.nodes[f"r_{t}"]["value"] for t in range(1, T + 1)], 1),
        "experts": order,
        "z": z,
    }


@contextmanager
def competition_mode(econ, mode: str):
    old = econ.competition.mode
    econ.competition.mode = mode
    try:
        yield
    finally:
        econ.competition.mode = old


@torch.no_grad()
def decompose(econ, images: torch.Tensor, deterministic: bool = True, n_steps: int | None = None,
              batch_size: int = 64, gt_regions: torch.Tensor | None = None,
              posterior_mean: bool = False, refine: int = 0,
              refine_lr: float = 0.1, proposals: bool = False) -> dict[str, torch.Tensor]:
    """Decompose images ``[N,3,H,W]`` front to back (inference order t = T..1).

    ``gt_regions`` ``[N,T,H,W]`` (visible mask of layer t at index t - 1) replaces
    the attention, as in training with ``supervise_regions`` (the K = 1 model).
    ``posterior_mean``: decode the winner's posterior mean of z_t instead of a
    sample of it (shapes and appearances without the posterior's noise).
    ``refine`` > 0: decode instead each winner's latent refined by that many Adam steps
    (``refine_lr``) on its step loss from the posterior mean
    (:func:`econ_pyro.infer.refine.refine_latents`; a deviation: the paper's inference is
    amortised); regions and experts are unchanged, ``z_loc`` stays the encoder's mean.
    ``proposals``: also return what every expert proposed at every step (the competition
    itself, for diagnostics such as :func:`econ_pyro.inspection.competition_table`).

    Returns arrays indexed by inference step i = 0..T-1 (i = 0 is the front-most
    step t = T): ``regions`` [N,T,H,W] (attended regions r~), ``shapes``
    [N,T,H,W] (full decoded shapes m~, amodal), ``appearance`` [N,T,3,H,W],
    ``experts`` [N,T], ``scope`` [N,T,H,W] (scope before the step), ``z_loc``
    [N,T,L] (the winner's posterior mean of z_t), ``reconstruction`` [N,3,H,W]
    (= sum of regions x appearances).  With ``proposals``: ``scores`` [N,T,K] (every
    expert's competition score, lower wins; +inf for an expert not allowed at the step, 0
    for the only one allowed) and ``proposal_regions`` [N,T,K,H,W] (every expert's attended
    region; where one expert alone is allowed, its region and zeros for the others).

    This is the guide followed by the model's decoders, without Pyro's
    traces: the winner's region and posterior are taken from the competition
    instead of being recomputed.  It draws the same random numbers in the same
    order as tracing the guide and replaying the model against it, so both
    give the same decomposition for the same seed (tested).
    """
    size = econ.config.image_size
    if images.dim() != 4 or images.shape[1] != 3 or images.shape[-2:] != (size, size):
        raise ValueError(f"expected images [N, 3, {size}, {size}], got {tuple(images.shape)}; "
                         f"this model was trained at {size}x{size}")
    T = n_steps or econ.config.n_steps
    keys = _OUTPUTS + (_PROPOSALS if proposals else ())
    out = {k: [] for k in keys}
    mode = "deterministic" if deterministic else "stochastic"
    with competition_mode(econ, mode):
        for i in range(0, len(images), batch_size):
            x = images[i:i + batch_size].to(econ.device)
            gt = None if gt_regions is None else gt_regions[i:i + batch_size].to(econ.device)
            scope, steps = torch.ones_like(x[:, :1]), []  # s_T = 1
            taken = econ.competition.new_taken(len(x), len(econ.experts), x.device)
            for t in range(T, 0, -1):
                steps.append(_decompose_step(econ, x, scope, t, gt, taken,
                                             posterior_mean or refine > 0, proposals))
                taken = mark_taken(taken, steps[-1]["experts"][:, 0])
                scope = next_scope(scope, steps[-1]["regions"])  # eq. 14
            if refine:
                _refine_steps(econ, x, steps, refine, refine_lr)
            for k in keys:
                if k != "reconstruction":
                    out[k].append(torch.cat([s[k] for s in steps], 1))
            out["reconstruction"].append((out["regions"][-1][:, :, None]
                                          * out["appearance"][-1]).sum(1))
    return {k: torch.cat(v).cpu() for k, v in out.items()}


_OUTPUTS = ("regions", "shapes", "appearance", "experts", "scope", "z_loc", "reconstruction")
_PROPOSALS = ("scores", "proposal_regions")


def _decompose_step(econ, x, scope, t, gt, taken, posterior_mean=False, proposals=False):
    """One inference step of ``decompose``: compete, take the winner, decode it."""
    p = compete(econ, x, scope, t, gt)
    k = econ.competition.distribution(p.scores.T, taken).sample()
    if p.regions is not None:
        region, z_loc, z_logvar = p.winner(k)
    else:  # a single allowed expert: nothing was computed in the competition
        region = winner_region(econ, k, x, scope, t, gt)
        z_loc, z_logvar = econ.experts.select("encode", k, x, region)
    z = z_loc if posterior_mean else \
        torch.distributions.Normal(z_loc, (0.5 * z_logvar).exp()).rsample()
    appearance, shape = econ.experts.select("decode", k, z)  # eqs 4-5
    step = {"regions": region, "shapes": shape, "appearance": appearance[:, None],
            "experts": k[:, None], "scope": scope, "z_loc": z_loc[:, None]}
    if proposals:
        every = p.regions
        if every is None:  # one expert allowed: its region, nothing for the others
            every = region.new_zeros(len(econ.experts), *region.shape)
            every[k, torch.arange(len(k), device=k.device)] = region
        step["scores"] = p.scores.T[:, None]
        step["proposal_regions"] = every[:, :, 0].transpose(0, 1)[:, None]
    return step


def _refine_steps(econ, x, steps, n: int, lr: float) -> None:
    """Refine the winners' latents of all inference steps at once (``decompose``'s
    ``refine``; regions and scopes do not depend on the latents, so the steps' refinements
    are independent) and replace each step's shapes and appearances by the refined ones."""
    T = len(steps)

    def cat(key):  # step-major [T * B, ...]
        return torch.cat([s[key] for s in steps])

    k, z = cat("experts")[:, 0], cat("z_loc")[:, 0]
    region, scope = cat("regions"), cat("scope")
    x = x.repeat(T, 1, 1, 1)
    z = refine_latents(econ, k, x, region, scope, z, n, lr)
    appearance, shape = econ.experts.select("decode", k, z)
    for s, a, m in zip(steps, appearance.chunk(T), shape.chunk(T), strict=True):
        s["appearance"], s["shapes"] = a[:, None], m
