import importlib.util

import numpy as np
import pytest
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
