"""Latent standardisation: make each expert's aggregate posterior match the prior N(0, I).

ECON's prior is z_t ~ N(0, I) (eq. 2), but with a small latent KL weight the
posteriors of each expert settle in a region of latent space that is offset
from 0 and scaled (measured: per-dimension means up to 2.5 prior standard
deviations away), so prior samples decode to shapes the decoder never produced
for a scene (empty or image-filling masks).  Each expert therefore carries an
affine map ``u = latent_loc + latent_scale * z`` between the model's z and the
variable u its networks use (``nets.experts.Expert``).  Fitting that map to the
expert's aggregate posterior

    latent_loc = E[mu],   latent_scale^2 = Var[mu] + E[sigma^2]   (per dimension)

(mu, sigma: the posterior of u at the steps the expert won) is an exact
reparametrisation: the decoded shapes and appearances of every decomposition,
and the competition (its score has no latent KL), stay the same; the posterior
of z is the old one shifted and scaled, so its KL to N(0, I) (the beta term of
eq. 13) falls; and prior samples z ~ N(0, I) land where the posteriors are.
Among the affine maps with a diagonal scale this is the one that minimises the
expected latent KL.  Not in the paper (a post-hoc step, like fitting the prior
after training); nothing changes during training unless it is applied.
"""

from __future__ import annotations

import torch
from pyro import poutine

from .generate import competition_mode
from .handlers import without_param_sites


@torch.no_grad()
def winning_posteriors(econ, images: torch.Tensor, batch_size: int = 250,
                       gt_regions: torch.Tensor | None = None) -> dict:
    """Per expert, the posteriors of u (the nets' latent) at the steps it won in a
    (deterministic-competition) decomposition of ``images`` (``gt_regions``: as in
    training with ground-truth regions, the K = 1 model): ``{k: (mean [n, L], var [n, L],
    step [n])}`` with the generative step t of each win (t = T: the first inference step,
    the front) (experts that won nothing left out)."""
    K, T = len(econ.experts), econ.config.n_steps
    found = {k: ([], [], []) for k in range(K)}
    with competition_mode(econ, "deterministic"), without_param_sites():
        for i in range(0, len(images), batch_size):
            x = images[i:i + batch_size].to(econ.device)
            gt = None if gt_regions is None else gt_regions[i:i + batch_size].to(econ.device)
            trace = poutine.trace(econ.guide).get_trace(x, gt_regions=gt)
            for t in range(1, T + 1):
                k = trace.nodes[f"k_{t}"]["value"]
                q = trace.nodes[f"z_{t}"]["fn"].base_dist
                for e in k.unique().tolist():
                    sel = k == e
                    # back to u = loc + scale * z with the expert's current map
                    ex = econ.experts.experts[e]
                    found[e][0].append(ex.latent_loc + ex.latent_scale * q.loc[sel])
                    found[e][1].append((ex.latent_scale * q.scale[sel]) ** 2)
                    found[e][2].append(torch.full((int(sel.sum()),), t))
    return {k: tuple(torch.cat(a).cpu() for a in f) for k, f in found.items() if f[0]}


def aggregate_posterior(econ, images: torch.Tensor, batch_size: int = 250,
                        gt_regions: torch.Tensor | None = None, posteriors=None) -> dict:
    """Per expert, the mean and variance of the posterior of u over the steps it won
    (:func:`winning_posteriors`, or those given as ``posteriors``):
    ``{k: {"n": wins, "mean": [L], "var": [L] (of the posterior means), "posterior_var":
    [L] (mean posterior variance)}}`` (experts that won nothing left out)."""
    if posteriors is None:
        posteriors = winning_posteriors(econ, images, batch_size, gt_regions)
    out = {}
    for k, (mu, var, _) in posteriors.items():
        mu = mu.double()
        out[k] = {"n": len(mu), "mean": mu.mean(0).float(),
                  "var": mu.var(0, unbiased=False).float(),
                  "posterior_var": var.double().mean(0).float()}
    return out


def fit_standardisation(econ, images: torch.Tensor, min_wins: int = 20,
                        batch_size: int = 250, gt_regions: torch.Tensor | None = None,
                        posteriors: dict | None = None) -> dict:
    """The standardisation of every expert fitted to its aggregate posterior on ``images``
    (module doc; ``posteriors``: those of :func:`winning_posteriors` on them, if already
    found), composed with the map the expert has now: ``{"loc": [K, L], "scale": [K, L],
    "wins": [K], "n_images": N}``.  Experts with fewer than ``min_wins`` winning steps keep
    their current map."""
    stats = aggregate_posterior(econ, images, batch_size, gt_regions, posteriors)
    loc = torch.stack([e.latent_loc.detach().cpu() for e in econ.experts.experts])
    scale = torch.stack([e.latent_scale.detach().cpu() for e in econ.experts.experts])
    wins = [0] * len(econ.experts)
    for k, st in stats.items():
        wins[k] = st["n"]
        if st["n"] >= min_wins:
            loc[k], scale[k] = st["mean"], (st["var"] + st["posterior_var"]).sqrt()
    return {"loc": loc, "scale": scale, "wins": wins, "n_images": int(len(images))}


def apply_standardisation(econ, fitted: dict | None) -> None:
    """Set the experts' maps to ``fitted`` (from :func:`fit_standardisation`); ``None``:
    back to the identity (the training-time parametrisation)."""
    for k, e in enumerate(econ.experts.experts):
        loc = torch.zeros_like(e.latent_loc) if fitted is None else fitted["loc"][k]
        scale = torch.ones_like(e.latent_scale) if fitted is None else fitted["scale"][k]
        e.latent_loc.copy_(torch.as_tensor(loc).to(e.latent_loc))
        e.latent_scale.copy_(torch.as_tensor(scale).to(e.latent_scale))


def standardise_latents(econ, images: torch.Tensor, **kwargs) -> dict:
    """Fit (:func:`fit_standardisation`) and apply; returns the fitted maps."""
    fitted = fit_standardisation(econ, images, **kwargs)
    apply_standardisation(econ, fitted)
    return fitted
