import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from econ_pyro import decompose, sample
from econ_pyro.cli.main import cli
from econ_pyro.layers import paint

from .conftest import make_econ


def test_sample_honours_expert_order_any_length():
    econ = make_econ()
    for order in ([2, 0, 1], [1, 1, 0, 2, 2, 1], [0]):
        s = sample(econ, experts=order, n=5, seed=1)
        assert s["experts"].tolist() == [order] * 5
        T = len(order)
        assert s["shapes"].shape == (5, T, 16, 16) and s["appearances"].shape == (5, T, 3, 16, 16)
        for t, k in enumerate(order):
            app, m = econ.experts.experts[k].decode(s["z"][:, t])
            torch.testing.assert_close(s["shapes"][:, t:t + 1], m)
            torch.testing.assert_close(s["appearances"][:, t], app)
        layers = [torch.ones_like(s["shapes"][:, :1])] + [s["shapes"][:, t:t + 1]
                                                           for t in range(1, T)]
        torch.testing.assert_close(s["images"], paint(layers, list(s["appearances"].unbind(1))))


def test_sample_seeded_and_random_order():
    econ = make_econ()
    a = sample(econ, n=6, seed=3)
    b = sample(econ, n=6, seed=3)
    assert torch.equal(a["images"], b["images"]) and torch.equal(a["experts"], b["experts"])
    assert a["experts"].shape == (6, 3)
    assert sample(econ, n=4, n_steps=5, seed=0)["experts"].shape == (4, 5)
    t0 = sample(econ, experts=[0, 1], n=200, temperature=0.0, seed=0)
    assert torch.equal(t0["z"], torch.zeros_like(t0["z"]))
    with pytest.raises(ValueError, match="out of range"):
        sample(econ, experts=[0, 7], n=2)


def test_decompose_arrays(tiny_batch):
    econ = make_econ()
    d = decompose(econ, tiny_batch)
    N, T = tiny_batch.shape[0], 3
    assert d["regions"].shape == (N, T, 16, 16) and d["appearance"].shape == (N, T, 3, 16, 16)
    assert d["experts"].shape == (N, T) and d["scope"].shape == (N, T, 16, 16)
    torch.testing.assert_close(d["scope"][:, 0], torch.ones(N, 16, 16))
    torch.testing.assert_close(d["regions"][:, -1], d["scope"][:, -1])  # last step: scope
    torch.testing.assert_close(d["regions"].sum(1), torch.ones(N, 16, 16), atol=1e-5, rtol=0)
    recon = (d["regions"][:, :, None] * d["appearance"]).sum(1)
    torch.testing.assert_close(d["reconstruction"], recon)
    torch.manual_seed(0)
    d2 = decompose(econ, tiny_batch, batch_size=4)  # batching does not change the winners
    assert torch.equal(d["experts"], d2["experts"])
    with pytest.raises(ValueError, match="trained at 16x16"):
        decompose(econ, torch.rand(2, 3, 32, 32))


def test_cli_sample(smoke_run, tmp_path):
    for extra in ([], ["--per-expert"], ["--layers"], ["--experts", "3,3,0,1,2"]):
        out = tmp_path / f"s{len(extra)}{'-'.join(extra)}.png"
        res = CliRunner().invoke(cli, ["sample", str(smoke_run), "--n", "4", "--out", str(out),
                                       *extra])
        assert res.exit_code == 0, res.output
        assert Image.open(out).size[0] > 0 and out.with_suffix(".npz").exists()
    z = np.load(tmp_path / "s2--experts-3,3,0,1,2.npz")
    assert z["experts"].tolist() == [[3, 3, 0, 1, 2]] * 4
    res = CliRunner().invoke(cli, ["sample", str(smoke_run), "--experts", "0,9",
                                   "--out", str(tmp_path / "x.png")])
    assert res.exit_code != 0 and "out of range" in res.output


def test_cli_decompose(smoke_run, tmp_path):
    res = CliRunner().invoke(cli, ["data", "generate", "--n", "5", "--size", "16",
                                   "--out", str(tmp_path / "d")])
    assert res.exit_code == 0
    res = CliRunner().invoke(cli, ["decompose", str(smoke_run), "--data", str(tmp_path / "d"),
                                   "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    z = np.load(tmp_path / "o" / "decomposition.npz")
    assert z["regions"].shape == (5, 4, 16, 16) and z["reconstruction"].shape == (5, 3, 16, 16)
    assert len(list((tmp_path / "o" / "panels").glob("*.png"))) == 5
    png = tmp_path / "d" / "images" / "000000.png"
    res = CliRunner().invoke(cli, ["decompose", str(smoke_run), str(png), "--out",
                                   str(tmp_path / "o2")])
    assert res.exit_code == 0, res.output


def test_cli_figures_and_bad_inputs(smoke_run, tmp_path):
    res = CliRunner().invoke(cli, ["figures", str(smoke_run), "--out", str(tmp_path / "f")])
    assert res.exit_code == 0, res.output
    names = {p.name for p in (tmp_path / "f").glob("*.png")}
    assert {"per_expert.png", "layers.png", "samples.png", "decomposition_0.png",
            "ood_0.png", "ood_1.png"} <= names
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    res = CliRunner().invoke(cli, ["sample", str(bad), "--out", str(tmp_path / "x.png")])
    assert res.exit_code != 0 and "cannot load checkpoint" in res.output
    res = CliRunner().invoke(cli, ["decompose", str(smoke_run), "--out", str(tmp_path / "o")])
    assert res.exit_code != 0 and "give IMAGES or --data" in res.output
    (tmp_path / "empty").mkdir()
    res = CliRunner().invoke(cli, ["decompose", str(smoke_run), "--data", str(tmp_path / "empty"),
                                   "--out", str(tmp_path / "o")])
    assert res.exit_code != 0 and "no PNG" in res.output
    res = CliRunner().invoke(cli, ["data", "generate", "--n", "3", "--size", "32",
                                   "--out", str(tmp_path / "d32")])
    res = CliRunner().invoke(cli, ["decompose", str(smoke_run), "--data", str(tmp_path / "d32"),
                                   "--out", str(tmp_path / "o")])
    assert res.exit_code != 0 and "trained at 16x16" in res.output
    assert "Traceback" not in res.output


def test_decompose_with_ground_truth_regions_uses_them():
    from econ_pyro import ECON
    from econ_pyro.data import ProceduralScenes, SceneConfig

    from .conftest import tiny_config

    econ = ECON(tiny_config(n_experts=1, n_steps=4)).eval()
    b = ProceduralScenes(SceneConfig(image_size=16), batch_size=5, seed=3).batch(0)
    d = decompose(econ, b["image"], gt_regions=b["visible"])
    # inference index i is layer t = T - i; visible masks partition the image
    torch.testing.assert_close(d["regions"], b["visible"].flip(1))


def _traced_decomposition(econ, x, deterministic, gt_regions=None):
    """Reference: trace the guide, replay the model against it, read the sites."""
    from pyro import poutine

    from econ_pyro.generate import competition_mode

    T = econ.config.n_steps
    kw = {} if gt_regions is None else {"gt_regions": gt_regions}
    with torch.no_grad(), competition_mode(econ, "deterministic" if deterministic
                                           else "stochastic"):
        g = poutine.trace(econ.guide).get_trace(x, **kw)
        m = poutine.trace(poutine.replay(econ.model, trace=g)).get_trace(x, **kw)
    steps = range(T, 0, -1)
    return {"regions": torch.cat([g.nodes[f"r_{t}"]["value"] for t in steps], 1),
            "shapes": torch.cat([m.nodes[f"shape_{t}"]["value"] for t in steps], 1),
            "appearance": torch.stack([m.nodes[f"appearance_{t}"]["value"] for t in steps], 1),
            "experts": torch.stack([g.nodes[f"k_{t}"]["value"] for t in steps], 1),
            "z_loc": torch.stack([g.nodes[f"z_{t}"]["fn"].base_dist.loc for t in steps], 1)}


@pytest.mark.parametrize("case", ["deterministic", "stochastic", "gt_regions", "background"])
def test_fast_decompose_equals_traced_guide_and_replayed_model(case):
    from econ_pyro import ECON
    from econ_pyro.data import ProceduralScenes, SceneConfig

    from .conftest import tiny_config

    kw = {"background_expert": 0} if case == "background" else {}
    econ = ECON(tiny_config(n_steps=4, **kw)).eval()
    econ.competition.temperature = 30.0  # soft enough that sampling matters
    b = ProceduralScenes(SceneConfig(image_size=16), batch_size=12, seed=5).batch(0)
    gt = b["visible"] if case == "gt_regions" else None
    det = case != "stochastic"
    torch.manual_seed(11)
    ref = _traced_decomposition(econ, b["image"], det, gt)
    torch.manual_seed(11)
    fast = decompose(econ, b["image"], deterministic=det, gt_regions=gt)
    assert torch.equal(fast["experts"], ref["experts"])
    for key in ("regions", "shapes", "appearance", "z_loc"):
        torch.testing.assert_close(fast[key], ref[key], atol=1e-5, rtol=1e-4)
    if case == "stochastic":  # the sampled competition really chose other experts
        torch.manual_seed(12)
        other = decompose(econ, b["image"], deterministic=False)
        assert not torch.equal(other["experts"], fast["experts"])


def test_decompose_at_the_posterior_mean():
    """posterior_mean: the winners and regions are those of the sampled decomposition
    (deterministic competition); shapes and appearances are the decoder at z_loc."""
    econ = make_econ()
    x = torch.rand(6, 3, 16, 16)
    torch.manual_seed(3)
    sampled = decompose(econ, x)
    torch.manual_seed(3)
    mean = decompose(econ, x, posterior_mean=True)
    assert torch.equal(sampled["experts"], mean["experts"])
    torch.testing.assert_close(sampled["regions"], mean["regions"])
    torch.testing.assert_close(sampled["z_loc"], mean["z_loc"])
    for i in range(mean["experts"].shape[1]):  # inference steps t = T..1
        k, z = mean["experts"][:, i], mean["z_loc"][:, i]
        appearance, shape = econ.experts.select("decode", k, z)
        torch.testing.assert_close(mean["shapes"][:, i:i + 1], shape)
        torch.testing.assert_close(mean["appearance"][:, i], appearance)
    assert not torch.allclose(sampled["shapes"], mean["shapes"])


@pytest.mark.parametrize("background_expert", [None, 2])
def test_decompose_returns_every_proposal(background_expert):
    """proposals=True: every expert's score and region per step; the winner is the argmin of
    the scores (deterministic) and its proposal is the step's region; the decomposition is the
    one without proposals (same random numbers).  With a reserved background expert the
    others cannot win the last step (+inf) nor it an object step, and at the last step only
    its region (the scope) is proposed."""
    econ = make_econ(background_expert=background_expert)
    x = torch.rand(5, 3, 16, 16)
    torch.manual_seed(3)
    plain = decompose(econ, x)
    torch.manual_seed(3)
    d = decompose(econ, x, proposals=True)
    assert set(d) == set(plain) | {"scores", "proposal_regions"}
    for key in plain:
        torch.testing.assert_close(d[key], plain[key])
    N, T, K = 5, 3, 3
    assert d["scores"].shape == (N, T, K) and d["proposal_regions"].shape == (N, T, K, 16, 16)
    assert torch.equal(d["scores"].argmin(-1), d["experts"])
    n = torch.arange(N)
    for i in range(T):
        torch.testing.assert_close(d["proposal_regions"][n, i, d["experts"][:, i]],
                                   d["regions"][:, i])
    if background_expert is None:
        assert torch.isfinite(d["scores"]).all()
        # last step: every expert proposes the remaining scope
        for e in range(K):
            torch.testing.assert_close(d["proposal_regions"][:, -1, e], d["scope"][:, -1])
    else:
        b = background_expert
        assert torch.isinf(d["scores"][:, :-1, b]).all()  # no object step for it
        assert torch.isinf(d["scores"][:, -1, :b]).all() and (d["scores"][:, -1, b] == 0).all()
        assert (d["proposal_regions"][:, :-1, b] == 0).all()
        assert (d["proposal_regions"][:, -1, :b] == 0).all()
        assert (d["experts"][:, -1] == b).all()
