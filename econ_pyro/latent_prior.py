"""A fitted latent prior: each expert's aggregate posterior as a Gaussian mixture.

ECON's prior is z_t ~ N(0, I) (eq. 2).  With the latent standardisation
(``econ_pyro.latents``) each expert's aggregate posterior has mean 0 and unit
variance per dimension, but it is not Gaussian: an expert's posteriors fill a
curved, uneven region, and prior samples that fall off it decode to shapes the
decoder never produced for a scene.  Measured on the shipped ``cpu-unique``
(2000 samples per expert, docs/SPECIALISATION.md round 16): 17 % of the
triangle expert's prior samples decode to masks under 40 pixels, and 0.754 of
its samples are classified as triangles, against 0.947 for draws from its
aggregate posterior itself.

The remedy is ex-post density estimation (as in Ghosh et al. 2020, "From
variational to deterministic regularized autoencoders"): after training, fit
a density to each expert's aggregate posterior and sample from it.  Here

    p(z_t | k_t = k) = sum_c w_kc N(z_t; m_kc, S_kc)          (full covariances)

in the standardised latent space, fitted by EM (scikit-learn) to draws from the
posteriors of the front-most steps (t = T) expert k won: nothing occludes those
objects, while the posteriors of occluded objects are biased (the amortisation gap,
``econ_pyro.infer.refine``), and the generator draws the front object like any
other.  Measured on round 15's seed 14 (1000 scenes, 16 components, 2000 samples):
the triangle expert's samples are triangles in 0.977 of cases fitted on its front
wins, 0.829 on all its wins, 0.886 on all of them refined
(``docs/results/round16/prior_source.txt``).
An expert's background steps (t = 1) are fitted apart, and the two parts joined with
the weights of their shares of its wins (the K = 1 model draws backgrounds and objects
from one prior); an expert with too few front wins is fitted on all its object steps.
The number of components is chosen among ``components`` by held-out log-likelihood
(20 % of the draws), then refitted on all of them.  Not in the
paper (a deviation, like the standardisation a post-hoc step): training never uses
it; :meth:`econ_pyro.ECON.z_prior` is N(0, I) unless a fitted prior is applied, and
the model's ``z_t`` sites then carry the mixture.
The ELBO's z-term has no closed form against a mixture and is then estimated
from the guide's sample (``econ_pyro.infer.elbo``).
"""

from __future__ import annotations

import numpy as np
import torch

DEFAULT_COMPONENTS = (1, 2, 4, 8, 16, 32)


def fit_mixture(samples: torch.Tensor, components=DEFAULT_COMPONENTS, holdout: float = 0.2,
                seed: int = 0) -> dict:
    """A full-covariance Gaussian mixture fitted to ``samples`` [N, L] by EM.

    The number of components is the one of ``components`` (those with at least
    ``L + 1`` training points each on average) with the highest mean log-likelihood
    on a random ``holdout`` fraction of the samples; the chosen mixture is then
    refitted on all of them.  Returns ``{"weights": [C], "loc": [C, L], "scale_tril":
    [C, L, L], "heldout": {C: mean log-likelihood}}``.
    """
    from sklearn.mixture import GaussianMixture

    x = samples.detach().double().cpu().numpy()
    n, dim = x.shape
    if n < 2 * (dim + 1):
        raise ValueError(f"{n} samples are too few to fit a {dim}-dimensional mixture")
    if not 0 < holdout < 1:
        raise ValueError("holdout must be a fraction in (0, 1)")
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)
    n_test = max(1, int(round(holdout * n)))
    test, train = x[perm[:n_test]], x[perm[n_test:]]
    candidates = sorted({int(c) for c in components if 1 <= c and len(train) >= c * (dim + 1)})
    if not candidates:
        raise ValueError(f"no usable number of components among {list(components)} "
                         f"for {len(train)} training samples")

    def fit(data, c):
        return GaussianMixture(c, covariance_type="full", reg_covar=1e-5, n_init=1,
                               max_iter=300, random_state=seed).fit(data)

    heldout = {c: float(fit(train, c).score(test)) for c in candidates}
    best = max(candidates, key=lambda c: heldout[c])
    gm = fit(x, best)
    as_t = torch.as_tensor
    return {"weights": as_t(gm.weights_, dtype=torch.float32),
            "loc": as_t(gm.means_, dtype=torch.float32),
            "scale_tril": as_t(np.linalg.cholesky(gm.covariances_), dtype=torch.float32),
            "heldout": heldout}


def fit_latent_prior(econ, images: torch.Tensor | None = None, posteriors: dict | None = None,
                     draws: int = 4, min_wins: int = 20, components=DEFAULT_COMPONENTS,
                     front: bool = True, seed: int = 0, batch_size: int = 250,
                     gt_regions: torch.Tensor | None = None) -> dict:
    """Each expert's mixture prior (module doc), fitted in the latent space of the
    standardisation the experts have now, on ``draws`` draws from each posterior of the
    steps the expert won in a decomposition of ``images`` (or on ``posteriors``, those of
    :func:`econ_pyro.latents.winning_posteriors`, of u).

    An expert's wins split into two parts, fitted apart and joined with the weights of
    their shares of its wins: background steps (t = 1) and object steps (t > 1); with
    ``front`` the object part is fitted on the front-most steps (t = T) if the expert won
    at least ``min_wins`` of them, else on all its object steps.  A part with fewer than
    ``min_wins`` wins is left out; an expert with no part left keeps N(0, I).  Mixtures
    with fewer components than the largest are padded with components of weight 0.
    Returns ``{"weights": [K, C], "loc": [K, C, L], "scale_tril": [K, C, L, L],
    "components": [K], "wins": [K], "fitted_on": [K] (wins used), "heldout": [K lists of
    {C: held-out log-likelihood}, one per part]}``."""
    if draws < 1:
        raise ValueError("draws must be >= 1")
    if posteriors is None:
        if images is None:
            raise ValueError("give images or posteriors")
        from .latents import winning_posteriors  # (latents imports generate, which imports us)

        posteriors = winning_posteriors(econ, images, batch_size, gt_regions)
    K, L, T = len(econ.experts), econ.config.latent_dim, econ.config.n_steps
    standard = {"weights": torch.ones(1), "loc": torch.zeros(1, L),
                "scale_tril": torch.eye(L)[None]}
    fitted, wins, used, heldout = [], [0] * K, [0] * K, [[] for _ in range(K)]
    for k in range(K):
        mu, var, step = posteriors.get(k, (torch.zeros(0, L), torch.zeros(0, L),
                                           torch.zeros(0, dtype=torch.long)))
        wins[k] = len(mu)
        ex = econ.experts.experts[k]
        loc, scale = ex.latent_loc.detach().cpu(), ex.latent_scale.detach().cpu()
        g = torch.Generator().manual_seed(seed * 1009 + k)  # each expert's fit on its own
        parts = []
        for objects in (False, True):
            part = step > 1 if objects else step == 1
            share = int(part.sum())
            if share < min_wins:
                continue
            if objects and front and int((step == T).sum()) >= min_wins:
                part = step == T  # the unoccluded objects (module doc)
            if int(part.sum()) * draws < 2 * (L + 1):  # too few draws for any mixture
                continue
            eps = torch.randn(draws, int(part.sum()), L, generator=g)
            u = mu[part].cpu() + var[part].cpu().sqrt() * eps  # draws from the posteriors
            fit = fit_mixture(((u - loc) / scale).reshape(-1, L), components, seed=seed)
            heldout[k].append(fit.pop("heldout"))
            used[k] += int(part.sum())
            parts.append((share, fit))
        if not parts:
            fitted.append(standard)
            continue
        total = sum(share for share, _ in parts)
        fitted.append({"weights": torch.cat([share / total * f["weights"] for share, f in parts]),
                       "loc": torch.cat([f["loc"] for _, f in parts]),
                       "scale_tril": torch.cat([f["scale_tril"] for _, f in parts])})
    C = max(len(f["weights"]) for f in fitted)
    weights = torch.zeros(K, C)
    locs = torch.zeros(K, C, L)
    trils = torch.eye(L).repeat(K, C, 1, 1)
    for k, f in enumerate(fitted):
        c = len(f["weights"])
        weights[k, :c], locs[k, :c], trils[k, :c] = f["weights"], f["loc"], f["scale_tril"]
    return {"weights": weights, "loc": locs, "scale_tril": trils,
            "components": [len(f["weights"]) for f in fitted], "wins": wins,
            "fitted_on": used, "heldout": heldout}


def apply_latent_prior(econ, prior: dict | None) -> None:
    """Give ``econ``'s model the fitted prior (from :func:`fit_latent_prior`); ``None``:
    back to the paper's N(0, I)."""
    if prior is None:
        econ.prior_weights = econ.prior_loc = econ.prior_scale_tril = None
        return
    K, L = len(econ.experts), econ.config.latent_dim
    w, loc, tril = (torch.as_tensor(prior[n], dtype=torch.float32).to(econ.device)
                    for n in ("weights", "loc", "scale_tril"))
    if loc.shape[0] != K or loc.shape[-1] != L:
        raise ValueError(f"the prior is for {loc.shape[0]} experts with latent size "
                         f"{loc.shape[-1]}; the model has {K} and {L}")
    econ.prior_weights, econ.prior_loc, econ.prior_scale_tril = \
        w / w.sum(-1, keepdim=True), loc, tril


def draw_latents(econ, experts: torch.Tensor, eps: torch.Tensor, generator=None,
                 temperature: float = 1.0) -> torch.Tensor:
    """z [n, T, L] for the expert order ``experts`` [n, T] from standard normal noise ``eps``
    [n, T, L]: ``temperature * eps`` under N(0, I); with a fitted prior a component c is
    drawn per step (``generator``) and z = m_kc + temperature * S_kc^(1/2) eps."""
    if econ.prior_weights is None:
        return temperature * eps
    k = experts.cpu()
    w, loc, tril = (a.cpu() for a in (econ.prior_weights, econ.prior_loc, econ.prior_scale_tril))
    c = torch.multinomial(w[k].reshape(-1, w.shape[-1]), 1, generator=generator).reshape(k.shape)
    return loc[k, c] + temperature * (tril[k, c] @ eps.unsqueeze(-1)).squeeze(-1)
