import importlib.util

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from econ_pyro.cli.main import cli


@pytest.fixture
def run(smoke_run):
    return smoke_run


def test_inspect_trace(run):
    res = CliRunner().invoke(cli, ["inspect", "trace", str(run)])
    assert res.exit_code == 0, res.output
    for site in ("k_4", "z_4", "r_4", "x_4", "shape_1"):
        assert site in res.output
    assert "loss (eq. 13, negated ELBO)" in res.output


def test_inspect_latents_netcdf_reads_back(run, tmp_path):
    import arviz as az

    out = tmp_path / "lat.nc"
    res = CliRunner().invoke(cli, ["inspect", "latents", str(run), "--n", "12",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    idata = az.from_netcdf(out)
    assert idata.posterior["z_loc"].shape == (1, 12, 4, 2)
    assert idata.posterior["z_scale"].values.min() > 0
    e = idata.posterior["expert"].values
    assert e.min() >= 0 and e.max() < 4
    assert np.isfinite(idata.sample_stats["L_r"].values).all()
    assert (tmp_path / "lat.png").exists()


def test_inspect_graph(run, tmp_path):
    res = CliRunner().invoke(cli, ["inspect", "graph", str(run), "--out", str(tmp_path / "g.png")])
    if importlib.util.find_spec("graphviz") is None:
        assert res.exit_code != 0 and "needs graphviz" in res.output
    else:
        assert res.exit_code == 0, res.output


def test_competition_table_by_hand():
    """competition_table's numbers against the same quantities written out per scene from
    decompose(proposals=True) and the ground truth."""
    from econ_pyro import decompose
    from econ_pyro.data import SceneConfig, SceneDataset
    from econ_pyro.inspection import competition_table

    from .conftest import make_econ

    econ = make_econ(background_expert=2)
    g = SceneDataset.generate(7, SceneConfig(image_size=16), seed=4).tensors
    text, table = competition_table(econ, g["image"], g["visible"], g["classes"],
                                    class_names={0: "background"})
    with torch.random.fork_rng():
        torch.manual_seed(0)
        d = decompose(econ, g["image"], proposals=True)
    N, T, K = d["scores"].shape
    assert [s["t"] for s in table["steps"]] == [3, 2, 1]
    for i, step in enumerate(table["steps"]):
        k = d["experts"][:, i]
        assert step["wins"] == [int((k == e).sum()) for e in range(K)]
        for e in range(K):
            rows = [j for j in range(N) if torch.isfinite(d["scores"][j, i, e])]
            if not rows:  # not allowed at this step: reported as 0
                assert step["area"][e] == 0 and step["score"][e] == 0
                continue
            prop = d["proposal_regions"][rows, i, e]
            area = prop.sum((-2, -1))
            bg = torch.stack([(prop[a] * g["visible"][j][g["classes"][j] == 0].sum(0)).sum()
                              for a, j in enumerate(rows)])
            win = d["scores"][rows, i].gather(1, k[rows, None])[:, 0]
            assert step["area"][e] == pytest.approx(area.mean().item(), rel=1e-5)
            assert step["score"][e] == pytest.approx(d["scores"][rows, i, e].mean().item(),
                                                     rel=1e-5)
            assert step["excess"][e] == pytest.approx(
                (d["scores"][rows, i, e] - win).mean().item(), rel=1e-5, abs=1e-4)
            assert step["on_background"][e] == pytest.approx(
                (bg / area.clamp_min(1e-6)).mean().item(), rel=1e-5, abs=1e-6)
        # the class most of each winner's region covers, counted over the scenes
        top = []
        for j in range(N):
            r = d["proposal_regions"][j, i, k[j]]
            per_class = [float((r * g["visible"][j][g["classes"][j] == c].sum(0)).sum())
                         for c in range(int(g["classes"].max()) + 1)]
            top.append(max(range(len(per_class)), key=per_class.__getitem__))
        assert step["winner_class"] == [top.count(c) for c in range(len(step["winner_class"]))]
        assert sum(step["winner_class"]) == N
    assert "t=1: winners" in text and "expert 0: not allowed at this step" in text
    with pytest.raises(ValueError, match="both"):
        competition_table(econ, g["image"], g["visible"])


def test_inspect_competition_cli(run, tmp_path):
    import json

    out = tmp_path / "c.json"
    res = CliRunner().invoke(cli, ["inspect", "competition", str(run), "--n", "6",
                                   "--json", str(out)])
    assert res.exit_code == 0, res.output
    steps = json.loads(out.read_text())["steps"]
    assert [s["t"] for s in steps] == [4, 3, 2, 1]
    assert all(sum(s["wins"]) == 6 and sum(s["winner_class"]) == 6 for s in steps)
    assert "on background" in res.output
    res = CliRunner().invoke(cli, ["inspect", "competition", str(run), "--n", "0"])
    assert res.exit_code != 0 and "at least 1" in res.output
    res = CliRunner().invoke(cli, ["inspect", "competition", str(run), "--kind", "nope"])
    assert res.exit_code != 0 and "unknown dataset kind" in res.output
