"""Latent standardisation (econ_pyro.latents): an exact reparametrisation that moves each
expert's aggregate posterior onto the prior N(0, I)."""

import json

import pytest
import torch
from click.testing import CliRunner

import econ_pyro
from econ_pyro import ECONELBO
from econ_pyro.cli.main import cli
from econ_pyro.data import ProceduralScenes, SceneConfig
from econ_pyro.generate import decompose
from econ_pyro.latents import (
    aggregate_posterior,
    apply_standardisation,
    fit_standardisation,
    standardise_latents,
)

from .conftest import make_econ


@pytest.fixture
def images():
    return ProceduralScenes(SceneConfig(image_size=16), batch_size=60, seed=4).batch(0)["image"]


def _shifted(econ):
    """A model whose posteriors sit away from the prior (encoder mean outputs + 2)."""
    for e in econ.experts.experts:
        with torch.no_grad():
            e.encoder.fc2.bias[:e.latent_loc.numel()] += 2.0
    return econ


def _decomp(econ, x):
    torch.manual_seed(0)
    return decompose(econ, x, posterior_mean=True)


def _l_z(econ, x):
    torch.manual_seed(0)
    with torch.no_grad():
        return ECONELBO().compute(econ.model, econ.guide, x).L_z.sum()


def test_standardisation_leaves_decompositions_and_lowers_the_latent_kl(images):
    econ = _shifted(make_econ(competition="deterministic"))
    before, kl_before = _decomp(econ, images), _l_z(econ, images)
    fitted = standardise_latents(econ, images, min_wins=1)  # fit and apply
    after, kl_after = _decomp(econ, images), _l_z(econ, images)
    for k in ("regions", "shapes", "appearance", "experts", "reconstruction"):
        torch.testing.assert_close(after[k], before[k], rtol=0, atol=1e-5, msg=k)
    assert kl_after < kl_before
    # the fitted map is the minimiser of the expected latent KL: moving it raises the KL
    for k, tweak in (("loc", lambda v: v + 0.2), ("scale", lambda v: v * 1.2),
                     ("scale", lambda v: v / 1.2)):
        apply_standardisation(econ, {**fitted, k: tweak(fitted[k].clone())})
        assert _l_z(econ, images) > kl_after, k


def test_fitted_map_equals_hand_computed_moments(images):
    econ = _shifted(make_econ(competition="deterministic"))
    torch.manual_seed(1)  # the competition scores the experts' sampled latents
    stats = aggregate_posterior(econ, images)
    # by hand: the guide's posteriors of the winners, grouped by expert
    from pyro import poutine

    from econ_pyro.generate import competition_mode

    torch.manual_seed(1)
    with torch.no_grad(), competition_mode(econ, "deterministic"):
        tr = poutine.trace(econ.guide).get_trace(images)
    for k, st in stats.items():
        mus, vars_ = [], []
        for t in range(1, econ.config.n_steps + 1):
            sel = tr.nodes[f"k_{t}"]["value"] == k
            q = tr.nodes[f"z_{t}"]["fn"].base_dist
            mus.append(q.loc[sel])
            vars_.append(q.scale[sel] ** 2)
        mu, var = torch.cat(mus), torch.cat(vars_)
        assert st["n"] == len(mu)
        torch.testing.assert_close(st["mean"], mu.mean(0), rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(st["var"], mu.var(0, unbiased=False), rtol=1e-3, atol=1e-5)
        torch.testing.assert_close(st["posterior_var"], var.mean(0), rtol=1e-4, atol=1e-6)
    torch.manual_seed(1)
    fitted = fit_standardisation(econ, images, min_wins=1)
    for k, st in stats.items():
        torch.testing.assert_close(fitted["loc"][k], st["mean"])
        torch.testing.assert_close(fitted["scale"][k], (st["var"] + st["posterior_var"]).sqrt())
    # after applying it: the nets' u statistics are unchanged (an exact reparametrisation),
    # and the posteriors of z average to N(0, I) per expert
    apply_standardisation(econ, fitted)
    torch.manual_seed(1)
    again = aggregate_posterior(econ, images)
    torch.manual_seed(1)
    with torch.no_grad(), competition_mode(econ, "deterministic"):
        tr = poutine.trace(econ.guide).get_trace(images)
    for k, st in stats.items():
        torch.testing.assert_close(again[k]["mean"], st["mean"], rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(again[k]["var"], st["var"], rtol=1e-3, atol=1e-5)
        locs, scales = zip(*[(q.loc[sel], q.scale[sel]) for t in range(1, 4)
                             for sel, q in [(tr.nodes[f"k_{t}"]["value"] == k,
                                             tr.nodes[f"z_{t}"]["fn"].base_dist)]], strict=True)
        loc, scale = torch.cat(locs), torch.cat(scales)
        torch.testing.assert_close(loc.mean(0), torch.zeros(2), atol=1e-4, rtol=0)
        second = loc.var(0, unbiased=False) + (scale ** 2).mean(0)
        torch.testing.assert_close(second, torch.ones(2), atol=1e-4, rtol=0)


def test_prior_samples_decode_through_the_map():
    econ = make_econ()
    e = econ.experts.experts[1]
    loc, scale = torch.tensor([1.5, -0.5]), torch.tensor([0.5, 2.0])
    apply_standardisation(econ, {"loc": torch.stack([loc] * 3), "scale": torch.stack([scale] * 3)})
    z = torch.randn(5, 2)
    torch.testing.assert_close(e.decode(z)[1], e.decoder(loc + scale * z)[1])
    s = econ_pyro.sample(econ, experts=[1, 1, 1], n=5, seed=3)
    torch.testing.assert_close(s["shapes"][:, 2], e.decoder(loc + scale * s["z"][:, 2])[1][:, 0])
    apply_standardisation(econ, None)  # back to the identity
    assert torch.equal(e.latent_loc, torch.zeros(2)) and torch.equal(e.latent_scale, torch.ones(2))


def test_training_stores_it_and_load_applies_it(tmp_path):
    run = tmp_path / "r"
    res = CliRunner().invoke(cli, ["train", "--preset", "smoke", "--max-steps", "10",
                                   "--out", str(run)])
    assert res.exit_code == 0, res.output
    assert "latent standardisation of" in res.output
    ckpt = torch.load(run / "last.pt", weights_only=True)
    fitted = ckpt["latents"]
    assert fitted["n_images"] == 64 and fitted["loc"].shape == (4, 2)
    on, off = econ_pyro.load(run), econ_pyro.load(run, standardised=False)
    for k, e in enumerate(on.experts.experts):
        assert torch.equal(e.latent_loc, fitted["loc"][k])
        assert torch.equal(e.latent_scale, fitted["scale"][k])
    assert all(torch.equal(e.latent_loc, torch.zeros(2)) for e in off.experts.experts)
    assert "latent" not in " ".join(ckpt["model"])  # weights and map kept apart
    # the mixture prior (econ_pyro.latent_prior) is fitted with it and given to the model
    prior = ckpt["latent_prior"]
    assert prior["loc"].shape[::2] == (4, 2) and len(prior["components"]) == 4
    assert torch.equal(on.prior_loc, prior["loc"]) and off.prior_weights is None
    assert econ_pyro.load(run, fitted_prior=False).prior_weights is None
    # an old run without it: the command adds it to last.pt and best.pt
    for name in ("last", "best"):
        c = torch.load(run / f"{name}.pt", weights_only=True)
        del c["latents"]
        torch.save(c, run / f"{name}.pt")
    res = CliRunner().invoke(cli, ["standardise", str(run), "--n", "32"])
    assert res.exit_code == 0, res.output
    for name in ("last", "best"):
        assert torch.load(run / f"{name}.pt", weights_only=True)["latents"]["n_images"] == 32
    res = CliRunner().invoke(cli, ["export", str(run), str(tmp_path / "m.pt")])
    assert res.exit_code == 0, res.output
    exported = torch.load(tmp_path / "m.pt", weights_only=True)
    assert exported["latents"]["n_images"] == 32 and "latent_prior" in exported
    res = CliRunner().invoke(cli, ["standardise", str(run), "--n", "0"])
    assert res.exit_code != 0 and "--n" in res.output
    res = CliRunner().invoke(cli, ["standardise", str(tmp_path)])
    assert res.exit_code != 0 and "no checkpoint" in res.output


def test_off_switch(tmp_path):
    run = tmp_path / "r"
    res = CliRunner().invoke(cli, ["train", "--preset", "smoke", "--max-steps", "5", "--set",
                                   "train.standardise_latents=0", "--out", str(run)])
    assert res.exit_code == 0, res.output
    assert "latents" not in torch.load(run / "last.pt", weights_only=True)
    assert json.loads((run / "config.json").read_text())["train"]["standardise_latents"] == 0
    res = CliRunner().invoke(cli, ["train", "--preset", "smoke", "--set",
                                   "train.standardise_latents=-1", "--out", str(tmp_path / "b")])
    assert res.exit_code != 0 and "standardise_latents" in res.output


def test_a_run_trained_with_ground_truth_regions_is_fitted_with_them(tmp_path):
    """The K = 1 model (monet-k1) never trains its attention: its standardisation must see
    the ground-truth regions it was trained with, as its decompositions do."""
    run = tmp_path / "r"
    res = CliRunner().invoke(cli, ["train", "--preset", "smoke", "--max-steps", "4", "--set",
                                   "model.n_experts=1", "--set", "train.supervise_regions=true",
                                   "--out", str(run)])
    assert res.exit_code == 0, res.output
    fitted = torch.load(run / "last.pt", weights_only=True)["latents"]
    econ = econ_pyro.load(run, standardised=False)
    from econ_pyro.training.trainer import _Data

    cfg = json.loads((run / "config.json").read_text())
    batch = _Data(cfg, 16, 8, cfg["train"]["seed"], 8).fit_batch(64)
    torch.manual_seed(0)
    with_gt = fit_standardisation(econ, batch["image"], gt_regions=batch["visible"])
    torch.testing.assert_close(fitted["loc"], with_gt["loc"])
    torch.testing.assert_close(fitted["scale"], with_gt["scale"])
    without = fit_standardisation(econ, batch["image"])
    assert not torch.allclose(without["loc"], with_gt["loc"])


def test_ctrl_c_during_the_fit_only_skips_it(tmp_path, monkeypatch):
    from econ_pyro.training import config as tconfig
    from econ_pyro.training import trainer

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(trainer, "standardise_checkpoint", interrupted)
    lines = []
    cfg = tconfig.resolve_config("smoke", sets=["train.max_steps=4"])
    state = trainer.train(cfg, tmp_path / "r", log=lines.append)
    assert state["step"] == 4
    assert any("latent standardisation skipped" in str(line) for line in lines)
    ckpt = torch.load(tmp_path / "r" / "last.pt", weights_only=True)
    assert "latents" not in ckpt and ckpt["state"]["step"] == 4
