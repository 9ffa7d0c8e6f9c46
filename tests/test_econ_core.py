"""ECON core: ELBO terms, trace structure, competition, gradients, layering, scope."""

import pyro
import pytest
import torch
from pyro import poutine

from econ_pyro import ECONELBO, ConfigError, sample, train_step
from econ_pyro.competition import Competition
from econ_pyro.handlers import force_experts, without_param_sites
from econ_pyro.layers import composite, paint, regions_from_shapes

from .conftest import make_econ, tiny_config


def _traces(econ, x, **kw):
    res = ECONELBO().compute(econ.model, econ.guide, x, **kw)
    return res, res.guide_trace, res.model_trace


def test_elbo_terms_equal_hand_computation(tiny_batch):
    econ = make_econ(beta=2.5, gamma=0.7, sigma_x=0.3)
    x = tiny_batch
    res, gt, mt = _traces(econ, x)
    T, s2 = 3, 0.3**2
    scope = torch.ones(x.shape[0], 1, 16, 16)
    total = torch.zeros(x.shape[0])
    for t in range(T, 0, -1):
        r = gt.nodes[f"r_{t}"]["value"]
        zq = gt.nodes[f"z_{t}"]["fn"].base_dist
        mu, m = mt.nodes[f"appearance_{t}"]["value"], mt.nodes[f"shape_{t}"]["value"]
        assert torch.equal(mt.nodes[f"z_{t}"]["value"], gt.nodes[f"z_{t}"]["value"])
        lx = (r * ((x - mu) ** 2).sum(1, keepdim=True)).sum((1, 2, 3)) / (2 * s2)
        lz = (0.5 * (zq.loc**2 + zq.scale**2 - 1 - torch.log(zq.scale**2))).sum(-1)
        p = (scope * m).clamp(1e-6, 1 - 1e-6)
        q = r
        kl = q * torch.log(q.clamp_min(1e-30) / p) + (1 - q) * torch.log((1 - q).clamp_min(1e-30)
                                                                         / (1 - p))
        lr = kl.sum((1, 2, 3))
        torch.testing.assert_close(res.L_x[t - 1], lx.mean(), rtol=1e-4, atol=1e-3)
        torch.testing.assert_close(res.L_z[t - 1], lz.mean(), rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(res.L_r[t - 1], lr.mean(), rtol=1e-4, atol=1e-3)
        total = total + lx + 2.5 * lz + 0.7 * lr
        scope = scope - r  # s_{t-1} = s_t (1 - a_t) with r = s_t a_t
    torch.testing.assert_close(res.loss, total.mean(), rtol=1e-5, atol=1e-3)


def test_trace_structure_and_replay(tiny_econ, tiny_batch):
    _, gt, mt = _traces(tiny_econ, tiny_batch)
    for t in (1, 2, 3):
        for name in (f"k_{t}", f"z_{t}", f"r_{t}"):
            assert name in gt.nodes and name in mt.nodes
            assert torch.equal(gt.nodes[name]["value"], mt.nodes[name]["value"])
        assert gt.nodes[f"z_{t}"]["fn"].event_shape == (2,)
        assert mt.nodes[f"r_{t}"]["fn"].event_shape == (1, 16, 16)
        assert f"x_{t}" in mt.nodes and gt.nodes[f"k_{t}"]["infer"]["is_competition"]


@pytest.mark.parametrize("which", ["beta", "gamma"])
def test_beta_gamma_scale_their_terms(tiny_batch, which):
    kw = {"competition": "deterministic"}
    econ = make_econ(**kw)
    pyro.set_rng_seed(3)
    ref = ECONELBO().compute(econ.model, econ.guide, tiny_batch)
    econ0 = make_econ(**kw, **{which: 0.0})
    pyro.set_rng_seed(3)
    res0 = ECONELBO().compute(econ0.model, econ0.guide, tiny_batch)
    kept = "L_r" if which == "beta" else "L_z"
    torch.testing.assert_close(res0.loss, (ref.L_x + getattr(ref, kept)).sum(), rtol=1e-5,
                               atol=1e-3)
    assert (getattr(ref, "L_z" if which == "beta" else "L_r").sum() > 0)


def test_deterministic_competition_picks_best_score(tiny_batch):
    econ = make_econ(competition="deterministic")
    _, gt, _ = _traces(econ, tiny_batch)
    for t in (1, 2, 3):
        site = gt.nodes[f"k_{t}"]
        assert torch.equal(site["value"], site["infer"]["scores"].argmin(-1))


def test_stochastic_competition_follows_softmax():
    torch.manual_seed(0)
    scores = torch.tensor([[10.0, 11.0, 12.5, 30.0]])
    for tau in (1.0, 2.0):
        comp = Competition(mode="stochastic", temperature=tau)
        n = 40000
        draws = comp.distribution(scores.expand(n, 4)).sample()
        freq = torch.bincount(draws, minlength=4).float() / n
        p = torch.softmax(-scores[0] / tau, 0)
        tol = 4 * torch.sqrt(p * (1 - p) / n) + 1e-4
        assert (freq - p).abs().le(tol).all(), (tau, freq, p)


def test_stochastic_competition_in_guide_uses_its_scores(tiny_batch):
    econ = make_econ(temperature=50.0)
    _, gt, _ = _traces(econ, tiny_batch)
    site = gt.nodes["k_3"]
    torch.testing.assert_close(site["fn"].probs, torch.softmax(-site["infer"]["scores"] / 50.0, -1))


def test_score_forms():
    l_x, l_r = torch.tensor([100.0, 50.0]), torch.tensor([3.0, 4.0])
    area, scope = torch.tensor([100.0, 50.0]), torch.tensor([200.0, 200.0])
    torch.testing.assert_close(Competition(lam=2.0).score(l_x, l_r, area, scope), 2 * l_x + l_r)
    torch.testing.assert_close(Competition(score_form="region").score(l_x, l_r, area, scope), l_r)
    # same error per attended pixel, half the area: the paper's sum prefers the smaller
    # region, the area-normalised score removes that advantage
    paper = Competition(score_form="paper").score(l_x, torch.zeros(2), area, scope)
    normed = Competition(score_form="area").score(l_x, torch.zeros(2), area, scope)
    assert paper[1] < paper[0]
    torch.testing.assert_close(normed[0], normed[1], rtol=0.02, atol=0)
    # area_power interpolates: 0 is the paper's sum, 1/2 the square root of the area ratio
    zero = Competition(score_form="area", area_power=0.0).score(l_x, l_r, area, scope)
    torch.testing.assert_close(zero, l_x + l_r)
    half = Competition(score_form="area", area_power=0.5).score(l_x, l_r, area, scope)
    torch.testing.assert_close(half, l_x * ((scope + 1) / (area + 1)).sqrt() + l_r)
    assert half[1] < half[0]  # equal error per pixel: still favours the smaller region


def test_min_region_bars_small_proposals():
    """A proposal attending fewer than min_region pixels loses to every larger one; in
    a scene where every proposal is that small nothing changes; 0 switches it off."""
    scores = torch.tensor([[1.0, 7.0], [5.0, 8.0], [3.0, 6.0]])  # [K = 3, B = 2]
    area = torch.tensor([[0.0, 2.0], [40.0, 3.0], [50.0, 1.0]])
    barred = Competition(min_region=30).bar_size(scores, area)
    assert torch.isinf(barred[0, 0]) and torch.equal(barred[1:, 0], scores[1:, 0])
    assert torch.equal(barred[:, 1], scores[:, 1])  # every proposal small: unchanged
    assert torch.equal(Competition().bar_size(scores, area), scores)
    k = Competition(mode="deterministic").distribution(barred.T).sample()
    assert k.tolist() == [2, 2]  # scene 0: best non-empty proposal; scene 1: best overall


def test_max_region_bars_large_proposals():
    """A proposal attending more than max_region pixels loses to every smaller one (the
    background at an object step); where all are that large (the last step: every expert
    takes the remaining scope) nothing changes; combined with min_region both bars hold."""
    scores = torch.tensor([[1.0, 7.0], [5.0, 8.0], [3.0, 6.0]])  # [K = 3, B = 2]
    area = torch.tensor([[600.0, 700.0], [40.0, 800.0], [50.0, 900.0]])
    barred = Competition(max_region=400).bar_size(scores, area)
    assert torch.isinf(barred[0, 0]) and torch.equal(barred[1:, 0], scores[1:, 0])
    assert torch.equal(barred[:, 1], scores[:, 1])  # every proposal large: unchanged
    k = Competition(mode="deterministic").distribution(barred.T).sample()
    assert k.tolist() == [2, 2]  # scene 0: the best proposal of object size
    both = Competition(min_region=45, max_region=400).bar_size(scores, area)
    assert torch.isinf(both[:2, 0]).all() and both[2, 0] == 3.0  # only 50 px is in range
    with pytest.raises(ConfigError, match="max_region"):
        tiny_config(max_region=-1.0)
    with pytest.raises(ConfigError, match="must exceed min_region"):
        tiny_config(min_region=10.0, max_region=5.0)


def test_max_region_reaches_the_competition_but_not_the_last_step(tiny_batch):
    from econ_pyro.competition import compete

    econ = make_econ()
    scope = torch.ones_like(tiny_batch[:, :1])
    area = compete(econ, tiny_batch, scope, 3).regions.flatten(-3).sum(-1)  # [K, B]
    econ = make_econ(max_region=float(area.median()))
    assert econ.competition.max_region == float(area.median())
    large = area > econ.competition.max_region
    assert (large.any(0) & (~large).any(0)).any()  # the case to test occurs
    p = compete(econ, tiny_batch, scope, 3)
    assert torch.isinf(p.scores[large & (~large).any(0, keepdim=True)]).all()
    assert torch.isfinite(p.scores[~large]).all()
    last = compete(econ, tiny_batch, scope, 1)  # the whole scope, larger than the bar
    assert torch.isfinite(last.scores).all()


def test_min_region_reaches_the_competition(tiny_batch):
    """model.min_region flows into compete(): proposals smaller than it get +inf scores
    in the scenes where some expert attends at least that many pixels, others keep theirs."""
    from econ_pyro.competition import compete

    econ = make_econ(min_region=20.0)
    assert econ.competition.min_region == 20.0
    scope = torch.ones_like(tiny_batch[:, :1])
    econ.competition.min_region = 0.0
    area = compete(econ, tiny_batch, scope, 3).regions.flatten(-3).sum(-1)  # [K, B]
    econ.competition.min_region = float(area.median())
    large = area >= econ.competition.min_region
    mixed = large.any(0) & (~large).any(0)
    assert mixed.any()  # the case to test occurs
    p = compete(econ, tiny_batch, scope, 3)
    assert torch.isinf(p.scores[~large & large.any(0, keepdim=True)]).all()
    assert torch.isfinite(p.scores[large]).all()
    with pytest.raises(ConfigError, match="min_region"):
        tiny_config(min_region=-1.0)


def test_deterministic_mode_samples_argmin():
    scores = torch.randn(500, 4)
    k = Competition(mode="deterministic").distribution(scores).sample()
    assert torch.equal(k, scores.argmin(-1))


def _forced(econ, winner: int, T=3):
    return force_experts({t: winner for t in range(1, T + 1)})(econ.guide)


def test_gradients_reach_only_winners(tiny_batch):
    econ = make_econ()
    res = ECONELBO().compute(econ.model, _forced(econ, 1), tiny_batch)
    res.loss.backward()
    for k, expert in enumerate(econ.experts.experts):
        grads = [p.grad for p in expert.parameters()]
        if k == 1:
            assert all(g is not None for g in grads)
            assert sum(g.abs().sum() for g in grads) > 0
        else:
            assert all(g is None for g in grads), k


def test_adam_leaves_losers_untouched(tiny_batch):
    econ = make_econ()
    opt = torch.optim.Adam(econ.parameters(), lr=1e-2)
    elbo = ECONELBO()
    # step 1: expert 0 wins (gets Adam moments); step 2: expert 2 wins everything
    for winner in (0, 2):
        before = [p.detach().clone() for p in econ.experts.experts[0].parameters()]
        opt.zero_grad(set_to_none=True)
        elbo.compute(econ.model, _forced(econ, winner), tiny_batch).loss.backward()
        opt.step()
    after = list(econ.experts.experts[0].parameters())
    assert all(torch.equal(a, b) for a, b in zip(after, before, strict=True))
    assert all(torch.equal(p, q) for p, q in zip(econ.experts.experts[1].parameters(),
                                                  make_econ().experts.experts[1].parameters(),
                                                  strict=True))


def test_train_step_only_updates_winners(tiny_batch):
    econ = make_econ(competition="deterministic")
    opt = torch.optim.Adam(econ.parameters(), lr=1e-2)
    before = [[p.detach().clone() for p in e.parameters()] for e in econ.experts.experts]
    res = train_step(econ, opt, tiny_batch)
    won = set(res.winners.unique().tolist())
    for k, e in enumerate(econ.experts.experts):
        changed = any(not torch.equal(p, b) for p, b in zip(e.parameters(), before[k], strict=True))
        assert changed == (k in won), (k, won)


def test_layering_equals_sequential_overwriting():
    torch.manual_seed(0)
    T, B = 5, 4
    shapes = [(torch.rand(B, 1, 8, 8) < 0.4).float() for _ in range(T)]
    shapes[0] = torch.ones_like(shapes[0])  # background covers everything
    apps = [torch.rand(B, 3, 8, 8) for _ in range(T)]
    regions = regions_from_shapes(shapes)
    torch.testing.assert_close(composite(regions, apps), paint(shapes, apps))
    torch.testing.assert_close(sum(regions), torch.ones(B, 1, 8, 8))  # binary: exactly 1


def test_prior_regions_are_layered(tiny_econ):
    tr = poutine.trace(tiny_econ.model).get_trace(batch_size=5)
    regions = [tr.nodes[f"r_{t}"]["value"] for t in (1, 2, 3)]
    assert all(((r == 0) | (r == 1)).all() for r in regions)
    assert (sum(regions) <= 1).all()  # visible parts never overlap
    out = tiny_econ.model(batch_size=2)
    assert out["x"].shape == (2, 3, 16, 16)


def test_last_step_uses_remaining_scope_and_regions_sum_to_one(tiny_econ, tiny_batch):
    _, gt, _ = _traces(tiny_econ, tiny_batch)
    scope = torch.ones(tiny_batch.shape[0], 1, 16, 16)
    total = torch.zeros_like(scope)
    for t in (3, 2, 1):
        r = gt.nodes[f"r_{t}"]["value"]
        assert (r <= scope + 1e-6).all()
        new = scope - r
        assert (new <= scope + 1e-7).all()  # scope is non-increasing
        if t == 1:
            torch.testing.assert_close(r, scope)
        total = total + r
        scope = new
    torch.testing.assert_close(total, torch.ones_like(total), atol=1e-5, rtol=0)


def test_condition_fixes_expert_order(tiny_econ):
    order = {"k_1": 2, "k_2": 0, "k_3": 1}
    data = {k: torch.full((4,), v) for k, v in order.items()}
    tr = poutine.trace(poutine.condition(tiny_econ.model, data=data)).get_trace(batch_size=4)
    for k, v in order.items():
        assert (tr.nodes[k]["value"] == v).all()
    # the decoded shape of layer 2 is expert 0's decoding of z_2
    z = tr.nodes["z_2"]["value"]
    _, m = tiny_econ.experts.experts[0].decode(z)
    torch.testing.assert_close(tr.nodes["shape_2"]["value"], m)


def test_select_matches_per_sample_loop(tiny_econ):
    z = torch.randn(7, 2)
    k = torch.tensor([2, 0, 1, 2, 2, 0, 1])
    app, m = tiny_econ.experts.select("decode", k, z)
    for b in range(7):
        a_ref, m_ref = tiny_econ.experts.experts[int(k[b])].decode(z[b:b + 1])
        torch.testing.assert_close(app[b:b + 1], a_ref)
        torch.testing.assert_close(m[b:b + 1], m_ref)


def test_vmap_strategy_matches_loop(tiny_batch):
    econ = make_econ()
    scope = torch.rand(tiny_batch.shape[0], 1, 16, 16)
    ref = econ.experts.all("attend", tiny_batch, scope)
    regions = ref
    mu_ref, lv_ref = econ.experts.all("encode", tiny_batch, regions, per_expert=(False, True))
    econ.experts.strategy = "vmap"
    with torch.no_grad():
        out = econ.experts.all("attend", tiny_batch, scope)
        mu, lv = econ.experts.all("encode", tiny_batch, regions, per_expert=(False, True))
    torch.testing.assert_close(out, ref.detach(), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(mu, mu_ref.detach(), rtol=1e-4, atol=1e-5)


def test_gt_supervision_uses_given_regions(tiny_batch):
    econ = make_econ(n_experts=1)
    gt_regions = torch.zeros(tiny_batch.shape[0], 3, 16, 16)
    gt_regions[:, 2, :8] = 1
    gt_regions[:, 1, 8:, :8] = 1
    _, gt, _ = _traces(econ, tiny_batch, gt_regions=gt_regions)
    torch.testing.assert_close(gt.nodes["r_3"]["value"], gt_regions[:, 2:3])
    torch.testing.assert_close(gt.nodes["r_2"]["value"], gt_regions[:, 1:2])


def test_svi_compatible(tiny_batch):
    econ = make_econ()
    before = [p.detach().clone() for p in econ.parameters()]
    svi = pyro.infer.SVI(econ.model, econ.guide, pyro.optim.Adam({"lr": 1e-3}), ECONELBO())
    loss = svi.step(tiny_batch)
    assert isinstance(loss, float) and loss > 0
    # the Pyro optimiser found the module's parameters through the param sites and moved them
    assert any(not torch.equal(b, p) for b, p in zip(before, econ.parameters(), strict=True))


def test_param_sites_skipped_only_inside_without_param_sites(tiny_batch):
    econ = make_econ()
    n_params = len(list(econ.parameters()))

    def param_sites():
        with poutine.trace(param_only=True) as tr:
            ECONELBO().compute(econ.model, econ.guide, tiny_batch)
        return set(tr.trace.nodes)

    assert len(param_sites()) == n_params  # pyro.module in model and guide
    with without_param_sites():
        assert param_sites() == set()
    assert len(param_sites()) == n_params  # restored on exit


def test_train_step_without_param_sites_equals_step_with_them(tiny_batch):
    """Skipping pyro.module changes nothing numerically: same loss, same updated weights
    (bench.param_sites_step is the step with pyro.module in model and guide)."""
    from econ_pyro.bench import param_sites_step

    results = []
    for step in (train_step, param_sites_step):
        econ = make_econ()
        opt = torch.optim.Adam(econ.parameters(), lr=1e-2)
        pyro.set_rng_seed(3)
        out = step(econ, opt, tiny_batch)
        loss = getattr(out, "loss", out)  # train_step returns an ELBOResult
        results.append((loss.detach(), [p.detach().clone() for p in econ.parameters()]))
    (l1, p1), (l2, p2) = results
    assert torch.equal(l1, l2)
    assert all(torch.equal(a, b) for a, b in zip(p1, p2, strict=True))


def test_smoke_fit_lowers_loss():
    from econ_pyro.data import ProceduralScenes, SceneConfig

    econ = make_econ(n_experts=2, n_steps=4, competition="deterministic")
    data = ProceduralScenes(SceneConfig(image_size=16), batch_size=16, seed=0)
    x = data.batch(0)["image"]
    pyro.enable_validation(False)
    opt = torch.optim.Adam(econ.parameters(), lr=3e-3)
    losses = [train_step(econ, opt, x).loss.item() for _ in range(200)]
    first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
    assert last < 0.8 * first, (first, last)
    assert all(map(lambda v: v == v, losses))  # no NaN


def test_region_kl_is_finite_with_finite_gradients_at_the_edges():
    from econ_pyro.distributions import bernoulli_kl

    q = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.3], requires_grad=True)
    p = torch.tensor([0.0, 1.0, 1.0, 0.0, 0.3], requires_grad=True)
    kl = bernoulli_kl(q, p)
    kl.sum().backward()
    assert torch.isfinite(kl).all()
    assert torch.isfinite(q.grad).all() and torch.isfinite(p.grad).all()
    assert kl[0] < 1e-5 and kl[1] < 1e-5 and kl[4].abs() < 1e-6
    ref = torch.distributions.kl_divergence(torch.distributions.Bernoulli(probs=torch.tensor(0.2)),
                                            torch.distributions.Bernoulli(probs=torch.tensor(0.7)))
    torch.testing.assert_close(bernoulli_kl(torch.tensor(0.2), torch.tensor(0.7)), ref)


def test_reparametrise_draws_from_the_posterior_with_pathwise_gradients():
    """z = mu + eps exp(logvar / 2): the moments of N(mu, exp(logvar)), and the gradients of
    the pathwise estimator (dz/dmu = 1, dz/dlogvar = (z - mu) / 2)."""
    from econ_pyro.distributions import reparametrise

    pyro.set_rng_seed(0)
    mu = torch.tensor([1.5, -2.0]).repeat(200_000, 1).requires_grad_()
    logvar = torch.tensor([0.0, 2 * torch.tensor(0.3).log().item()]).repeat(200_000, 1)
    logvar.requires_grad_()
    z = reparametrise(mu, logvar)
    torch.testing.assert_close(z.mean(0), torch.tensor([1.5, -2.0]), atol=0.01, rtol=0)
    torch.testing.assert_close(z.std(0), torch.tensor([1.0, 0.3]), atol=0.01, rtol=0)
    z.sum().backward()
    assert torch.equal(mu.grad, torch.ones_like(mu))
    torch.testing.assert_close(logvar.grad, (z - mu).detach() / 2)


def test_background_expert_explains_exactly_the_last_step(tiny_batch):
    econ = make_econ(background_expert=1, temperature=1e6)  # near-uniform competition
    for _ in range(5):
        _, gt, mt = _traces(econ, tiny_batch)
        assert gt.nodes["k_1"]["value"].eq(1).all()
        for t in (2, 3):
            assert gt.nodes[f"k_{t}"]["value"].ne(1).all()
            assert torch.isinf(gt.nodes[f"k_{t}"]["infer"]["scores"][:, 1]).all()
    # the model's prior agrees: p(k_1) is one-hot, p(k_t > 1) excludes the background
    torch.testing.assert_close(mt.nodes["k_1"]["fn"].probs[0], torch.tensor([0.0, 1.0, 0.0]))
    torch.testing.assert_close(mt.nodes["k_2"]["fn"].probs[0], torch.tensor([0.5, 0.0, 0.5]))
    s = sample(econ, n=50, seed=0)
    assert s["experts"][:, 0].eq(1).all() and s["experts"][:, 1:].ne(1).all()


def test_competition_runs_only_the_allowed_experts(tiny_batch):
    """With a reserved background expert the object steps do not run it at all; the
    allowed experts' proposals are those of their own nets, and the winner's slot holds
    them."""
    from econ_pyro.competition import compete

    econ = make_econ(background_expert=1)
    calls = []
    for k, e in enumerate(econ.experts.experts):
        e.attention.register_forward_hook(lambda *a, k=k: calls.append(k))
    scope = torch.ones_like(tiny_batch[:, :1])
    p = compete(econ, tiny_batch, scope, 3)
    assert calls == [0, 2]
    assert torch.isinf(p.scores[1]).all() and torch.isfinite(p.scores[[0, 2]]).all()
    assert p.regions.shape[0] == 3 and not p.regions[1].any()
    with torch.no_grad():
        for k in (0, 2):
            torch.testing.assert_close(p.regions[k],
                                       econ.experts.experts[k].attend(tiny_batch, scope))
    region, z_loc, _ = p.winner(torch.full((len(tiny_batch),), 2))
    torch.testing.assert_close(region, p.regions[2])
    calls.clear()
    assert compete(econ, tiny_batch, scope, 1).regions is None  # only expert 1: no work
    assert calls == []


def test_bad_background_expert():
    with pytest.raises(ConfigError, match="background_expert"):
        tiny_config(background_expert=3)
