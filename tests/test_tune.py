"""`econ-pyro tune` (issue #10): space checks always; a tiny real search when Ray is installed."""

import csv
import json
import sys

import pytest
from click.testing import CliRunner

from econ_pyro.cli.main import cli
from econ_pyro.config import ConfigError
from econ_pyro.tuning import SPACES, load_space, rank_agreement, trial_config

TINY = {"base": "smoke",
        "space": {"model.gamma": {"loguniform": [0.3, 3.0]},
                  "model.latent_dim": {"randint": [2, 3]}},
        "fixed": {"train.max_steps": 20, "train.eval_every": 10, "train.snapshot_every": 0}}


def test_paper_spaces_are_valid():
    for name in SPACES:
        spec = load_space(name)
        assert spec["base"] == name
        assert {"model.latent_dim", "model.gamma", "model.beta"} <= set(spec["space"])


def test_trial_config_applies_fixed_then_sampled():
    cfg = trial_config(load_space(TINY), {"model.gamma": 2.5, "model.latent_dim": 3})
    assert cfg["preset"] == "smoke"
    assert cfg["model"]["gamma"] == 2.5 and cfg["model"]["latent_dim"] == 3
    assert cfg["train"]["max_steps"] == 20


@pytest.mark.parametrize("space,msg", [
    ({"base": "smoke", "space": {"model.nope": {"uniform": [0, 1]}}}, "unknown config key"),
    ({"base": "smoke", "space": {"model.gamma": {"normal": [0, 1]}}}, "must be one of"),
    ({"base": "smoke", "space": {"model.gamma": {"loguniform": [0, 1]}}}, "bad arguments"),
    ({"base": "smoke", "space": {"model.gamma": {"uniform": [2, 1]}}}, "bad arguments"),
    ({"base": "smoke", "space": {}}, "non-empty 'space'"),
    ({"base": "nope", "space": {"model.gamma": {"uniform": [1, 2]}}}, "preset"),
])
def test_bad_space_is_a_clear_error(space, msg):
    with pytest.raises(ConfigError, match=msg):
        load_space(space)


def test_bad_space_file_via_cli(tmp_path):
    pytest.importorskip("ray.tune", reason="ray[tune] not installed (pip install '.[tune]')")
    f = tmp_path / "space.json"
    f.write_text(json.dumps({"base": "smoke", "space": {"model.gamma": {"between": [1, 2]}}}))
    res = CliRunner().invoke(cli, ["tune", "--space", str(f), "--out", str(tmp_path / "s")])
    assert res.exit_code != 0
    assert "must be one of" in res.output
    res = CliRunner().invoke(cli, ["tune", "--space", str(tmp_path / "missing.json"),
                                   "--out", str(tmp_path / "s")])
    assert res.exit_code != 0 and "does not exist" in res.output


def test_without_ray_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    res = CliRunner().invoke(cli, ["tune", "--space", "paper-unique", "--out", str(tmp_path)])
    assert res.exit_code != 0
    assert "pip install 'econ-pyro[tune]'" in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_rank_agreement():
    rows = [{"best_val_loss": v, "fg_ari": a} for v, a in [(1, 0.9), (2, 0.8), (3, 0.5)]]
    assert rank_agreement(rows) == pytest.approx(1.0)
    rows[0]["fg_ari"] = 0.1
    assert rank_agreement(rows) < 1.0
    assert rank_agreement(rows[:2]) is None


def _tiny_search(space, out):
    import ray

    try:
        return CliRunner().invoke(cli, ["tune", "--space", str(space), "--trials", "2",
                                        "--out", str(out), "--cpus-per-trial", "1",
                                        "--no-asha"])
    finally:
        ray.shutdown()


def test_tiny_search_end_to_end(tmp_path):
    pytest.importorskip("ray.tune", reason="ray[tune] not installed (pip install '.[tune]')")
    space = tmp_path / "space.json"
    space.write_text(json.dumps(TINY))
    out = tmp_path / "search"
    res = _tiny_search(space, out)
    assert res.exit_code == 0, res.output
    rows = json.loads((out / "results.json").read_text())
    assert len(rows) == 2 and all(r["status"] == "ok" for r in rows), rows
    for r in rows:
        assert r["evals"] == 2 and r["steps"] == 20
        assert 0.3 <= r["model.gamma"] <= 3.0 and r["model.latent_dim"] in (2, 3)
        assert "fg_ari" in r and "purity" in r
    with open(out / "results.csv") as f:
        table = list(csv.DictReader(f))
    assert sorted(float(r["best_val_loss"]) for r in table) == \
        pytest.approx(sorted(r["best_val_loss"] for r in rows))
    assert (out / "summary.png").stat().st_size > 0
    best = json.loads((out / "best_config.json").read_text())
    assert best["model"]["gamma"] == min(rows, key=lambda r: r["best_val_loss"])["model.gamma"]
    # each trial is an ordinary run folder
    assert all((out / "runs" / r["trial"] / "last.pt").exists() for r in rows)
    # the same command again restores the finished search instead of starting anew
    res = _tiny_search(space, out)
    assert res.exit_code == 0, res.output
    assert "resuming the search" in res.output
    assert len(json.loads((out / "results.json").read_text())) == 2
    # the best config is accepted by train --config
    res = CliRunner().invoke(cli, ["train", "--config", str(out / "best_config.json"),
                                   "--max-steps", "2", "--out", str(tmp_path / "again")])
    assert res.exit_code == 0, res.output
