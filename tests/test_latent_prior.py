"""The fitted mixture prior of z_t (econ_pyro.latent_prior): EM fit with held-out choice of
the number of components, the model's z_t sites, prior sampling, the ELBO's z-term."""

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from pyro import poutine
from scipy.stats import multivariate_normal

import econ_pyro
from econ_pyro import ECONELBO
from econ_pyro.cli.main import cli
from econ_pyro.data import ProceduralScenes, SceneConfig
from econ_pyro.generate import sample
from econ_pyro.latent_prior import apply_latent_prior, fit_latent_prior, fit_mixture
from econ_pyro.latents import winning_posteriors

from .conftest import make_econ

MEANS = np.array([[-4.0, 0.0], [4.0, 0.0], [0.0, 5.0]])


def _three_clusters(n, seed):
    rng = np.random.default_rng(seed)
    c = rng.integers(0, 3, n)
    return torch.as_tensor(MEANS[c] + 0.5 * rng.standard_normal((n, 2)))


def _prior(K=3, L=2, locs=None, scale=1.0, weights=None):
    """A hand-made prior: one component per expert at ``locs[k]`` (or given ``weights`` over
    several components, all at 0)."""
    if weights is None:
        locs = torch.zeros(K, L) if locs is None else torch.as_tensor(locs, dtype=torch.float32)
        return {"weights": torch.ones(K, 1), "loc": locs[:, None],
                "scale_tril": scale * torch.eye(L).repeat(K, 1, 1, 1)}
    C = len(weights)
    return {"weights": torch.tensor(weights).repeat(K, 1),
            "loc": torch.arange(C, dtype=torch.float32)[None, :, None].expand(K, C, L) * 10,
            "scale_tril": scale * torch.eye(L).repeat(K, C, 1, 1)}


def test_fit_mixture_finds_the_clusters_by_held_out_likelihood():
    fit = fit_mixture(_three_clusters(3000, 0), components=(1, 2, 3))
    assert max(fit["heldout"], key=fit["heldout"].get) == 3 and len(fit["weights"]) == 3
    assert fit["heldout"][3] > fit["heldout"][1] + 1.0
    order = torch.argsort(fit["loc"][:, 0] + 0.01 * fit["loc"][:, 1])  # -4, 0, 4 along x
    assert torch.allclose(fit["loc"][order], torch.tensor(MEANS[[0, 2, 1]], dtype=torch.float32),
                          atol=0.1)
    cov = fit["scale_tril"] @ fit["scale_tril"].transpose(-1, -2)
    assert torch.allclose(cov, 0.25 * torch.eye(2).expand(3, 2, 2), atol=0.04)
    assert torch.allclose(fit["weights"], torch.full((3,), 1 / 3), atol=0.04)
    # on fresh data as good as the true density
    x = _three_clusters(2000, 1).numpy()
    true = np.log(np.mean([multivariate_normal(m, 0.25).pdf(x) for m in MEANS], 0)).mean()
    mix = np.log(sum(w * multivariate_normal(m, (s @ s.T).numpy()).pdf(x) for w, m, s in
                     zip(fit["weights"].numpy(), fit["loc"].numpy(), fit["scale_tril"],
                         strict=True))).mean()
    assert mix > true - 0.02


def test_fit_mixture_rejects_bad_input():
    with pytest.raises(ValueError, match="too few"):
        fit_mixture(torch.randn(4, 2))
    with pytest.raises(ValueError, match="holdout"):
        fit_mixture(torch.randn(100, 2), holdout=1.0)
    with pytest.raises(ValueError, match="components"):
        fit_mixture(torch.randn(100, 2), components=(0, 500))


def test_z_prior_is_the_paper_normal_or_the_mixture_per_expert():
    econ = make_econ()
    k = torch.tensor([0, 2, 1, 2])
    z = torch.randn(4, 2)
    std = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
    assert torch.allclose(econ.z_prior(k).log_prob(z).expand(4), std)
    prior = {"weights": torch.tensor([[1.0, 0.0], [0.2, 0.8], [0.5, 0.5]]),
             "loc": torch.randn(3, 2, 2),
             "scale_tril": torch.tril(torch.rand(3, 2, 2, 2) + 0.5)}
    apply_latent_prior(econ, prior)
    hand = [np.log(sum(float(prior["weights"][e, c]) * multivariate_normal(
        prior["loc"][e, c].numpy(), (prior["scale_tril"][e, c] @ prior["scale_tril"][e, c].T)
        .numpy()).pdf(zi.numpy()) for c in range(2))) for e, zi in zip(k.tolist(), z, strict=True)]
    assert torch.allclose(econ.z_prior(k).log_prob(z), torch.tensor(hand, dtype=torch.float32),
                          atol=1e-4)
    apply_latent_prior(econ, None)  # back to N(0, I)
    assert torch.allclose(econ.z_prior(k).log_prob(z).expand(4), std)
    with pytest.raises(ValueError, match="experts"):
        apply_latent_prior(econ, _prior(K=2))


def test_prior_samples_follow_each_experts_mixture_and_honour_condition():
    econ = make_econ()
    locs = torch.tensor([[5.0, 0.0], [0.0, -5.0], [-5.0, 5.0]])
    apply_latent_prior(econ, _prior(locs=locs, scale=1e-3))
    s = sample(econ, experts=[1, 0, 2], n=5, seed=3)
    assert torch.allclose(s["z"], locs[[1, 0, 2]].expand(5, 3, 2), atol=0.01)
    # the model's z_t sites carry the mixture of the conditioned expert
    trace = poutine.trace(poutine.condition(econ.model, data={"k_1": torch.tensor([2])})
                          ).get_trace(batch_size=1)
    assert torch.allclose(trace.nodes["z_1"]["value"], locs[2], atol=0.01)
    # components are drawn with their weights (0.3 / 0.7; means 0 and 10 apart)
    apply_latent_prior(econ, _prior(weights=[0.3, 0.7], scale=0.1))
    z = sample(econ, experts=[0], n=4000, seed=0)["z"][:, 0, 0]
    frac = float((z > 5).float().mean())
    assert abs(frac - 0.7) < 4 * (0.21 / 4000) ** 0.5
    # temperature scales each component's spread, not the distance between them
    cold = sample(econ, experts=[0], n=4000, seed=0, temperature=0.5)["z"][:, 0, 0]
    hot = z[z > 5]
    assert abs(float(cold[cold > 5].std()) / float(hot.std()) - 0.5) < 0.05


def test_elbo_estimates_the_z_term_against_a_mixture(tiny_batch):
    econ = make_econ()
    apply_latent_prior(econ, _prior(weights=[0.4, 0.6], scale=2.0))
    torch.manual_seed(1)
    res = ECONELBO().compute(econ.model, econ.guide, tiny_batch)
    for t in (1, 2, 3):
        q = res.guide_trace.nodes[f"z_{t}"]
        v = q["value"]
        k = res.model_trace.nodes[f"k_{t}"]["value"]
        hand = q["fn"].log_prob(v) - econ.z_prior(k).log_prob(v)
        assert torch.allclose(res.L_z[t - 1], hand.mean(), atol=1e-5)
    # one component equal to N(0, I): the estimate averages to the analytic KL
    apply_latent_prior(econ, _prior())
    x = tiny_batch.repeat(40, 1, 1, 1)
    torch.manual_seed(2)
    mc = ECONELBO().compute(econ.model, econ.guide, x).L_z
    apply_latent_prior(econ, None)
    torch.manual_seed(2)
    exact = ECONELBO().compute(econ.model, econ.guide, x).L_z
    assert torch.allclose(mc, exact, rtol=0.1, atol=0.05)


def test_fit_latent_prior_fits_winners_and_leaves_rare_experts_standard():
    econ = make_econ(competition="deterministic")
    x = ProceduralScenes(SceneConfig(image_size=16), batch_size=40, seed=4).batch(0)["image"]
    torch.manual_seed(0)
    post = winning_posteriors(econ, x)
    wins = {k: len(m) for k, (m, *_) in post.items()}
    min_wins = 10
    assert min(wins.get(k, 0) for k in range(3)) < min_wins <= max(wins.values())
    prior = fit_latent_prior(econ, posteriors=post, min_wins=min_wins, components=(1, 2),
                             draws=50, front=False)
    K, C = 3, max(prior["components"])
    assert prior["weights"].shape == (K, C) and prior["loc"].shape == (K, C, 2)
    assert prior["wins"] == [wins.get(k, 0) for k in range(K)]
    for k in range(K):
        c = prior["components"][k]
        assert torch.allclose(prior["weights"][k].sum(), torch.tensor(1.0))
        assert torch.all(prior["weights"][k, c:] == 0)
        if prior["wins"][k] < min_wins:  # kept at N(0, I)
            assert c == 1 and torch.equal(prior["loc"][k, 0], torch.zeros(2))
            assert torch.equal(prior["scale_tril"][k, 0], torch.eye(2))
        else:  # mixture mean = mean of the draws (EM) ~ that of the posterior means
            mean = (prior["weights"][k, :c, None] * prior["loc"][k, :c]).sum(0)
            assert torch.allclose(mean, post[k][0].mean(0), atol=0.1)
    # same seed, same fit; images give the same as their posteriors
    torch.manual_seed(0)
    again = fit_latent_prior(econ, x, min_wins=min_wins, components=(1, 2), draws=50,
                             front=False)
    assert torch.allclose(again["loc"], prior["loc"]) and again["components"] == prior["components"]
    with pytest.raises(ValueError, match="draws"):
        fit_latent_prior(econ, x, draws=0)
    with pytest.raises(ValueError, match="images or posteriors"):
        fit_latent_prior(econ)


def test_fit_latent_prior_uses_the_front_wins_and_keeps_backgrounds_apart():
    """T = 3.  Expert 0 won 40 front steps (t = 3) at +3 and 40 occluded ones (t = 2) at -3:
    fitted on its front wins.  Expert 1 won 5 front steps and 40 at t = 2: on all of them.
    Expert 2 won 30 background steps (t = 1) at (0, 5) and 90 front ones at (5, 0): two
    parts weighted 1 : 3, as the K = 1 model draws backgrounds and objects."""
    econ = make_econ()
    L, g = 2, torch.Generator().manual_seed(0)

    def wins(*groups):  # (t, n, loc) per group
        mu = torch.cat([torch.tensor(loc) + 0.1 * torch.randn(n, L, generator=g)
                        for _, n, loc in groups])
        step = torch.cat([torch.full((n,), t) for t, n, _ in groups])
        return mu, torch.full_like(mu, 0.01), step

    post = {0: wins((3, 40, [3.0, 3.0]), (2, 40, [-3.0, -3.0])),
            1: wins((3, 5, [3.0, 3.0]), (2, 40, [-3.0, -3.0])),
            2: wins((1, 30, [0.0, 5.0]), (3, 90, [5.0, 0.0]))}
    on = fit_latent_prior(econ, posteriors=post, components=(1,))
    off = fit_latent_prior(econ, posteriors=post, components=(1,), front=False)
    assert on["fitted_on"] == [40, 45, 120] and off["fitted_on"] == [80, 45, 120]
    assert on["components"] == [1, 1, 2]
    assert torch.allclose(on["loc"][0, 0], torch.full((L,), 3.0), atol=0.1)
    assert torch.allclose(off["loc"][0, 0], torch.zeros(L), atol=0.2)
    assert torch.allclose(on["loc"][1], off["loc"][1])  # too few front wins: all of them
    assert torch.allclose(on["weights"][2], torch.tensor([0.25, 0.75]))
    assert torch.allclose(on["loc"][2], torch.tensor([[0.0, 5.0], [5.0, 0.0]]), atol=0.1)
    # every part below min_wins: N(0, I)
    few = fit_latent_prior(econ, posteriors={0: wins((1, 10, [1.0, 1.0]), (3, 10, [2.0, 2.0]))},
                           components=(1,))
    assert few["fitted_on"][0] == 0 and torch.equal(few["loc"][0, 0], torch.zeros(L))
    # too few draws for any mixture (2 wins x 1 draw in 2-D): N(0, I), no error
    tiny = fit_latent_prior(econ, posteriors={0: wins((3, 2, [1.0, 1.0]))}, min_wins=1,
                            draws=1)
    assert tiny["fitted_on"][0] == 0 and torch.equal(tiny["loc"][0, 0], torch.zeros(L))


def test_cli_standard_prior_flag(smoke_run, tmp_path):
    fitted = econ_pyro.load(smoke_run)
    assert fitted.prior_weights is not None
    outs = {}
    for flag in ([], ["--standard-prior"]):
        out = tmp_path / f"s{len(flag)}.png"
        res = CliRunner().invoke(cli, ["sample", str(smoke_run), "--experts", "0,1", "--n", "3",
                                       "--out", str(out), *flag])
        assert res.exit_code == 0, res.output
        outs[bool(flag)] = np.load(out.with_suffix(".npz"))["z"]
    # the same noise: N(0, I) gives it back unchanged, the mixture moves it
    assert not np.allclose(outs[True], outs[False])
    res = CliRunner().invoke(cli, ["evaluate", str(smoke_run), "--n", "8", "--controlled", "3",
                                   "--standard-prior"])
    assert res.exit_code == 0, res.output
    assert "N(0, I)" in res.output
