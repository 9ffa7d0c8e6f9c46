import json

import pytest
from click.testing import CliRunner

from econ_pyro.cli.main import cli

COMMANDS = [[], ["data"], ["data", "generate"], ["train"], ["sample"], ["decompose"], ["figures"],
            ["inspect", "trace"], ["inspect", "latents"], ["inspect", "graph"],
            ["evaluate"], ["inspect"], ["bench"]]


@pytest.mark.parametrize("cmd", COMMANDS)
def test_help(cmd):
    res = CliRunner().invoke(cli, [*cmd, "--help"])
    assert res.exit_code == 0, res.output
    assert "usage:" in res.output.lower()


def test_generate_round_trip(tmp_path):
    out = tmp_path / "ds"
    res = CliRunner().invoke(cli, ["data", "generate", "--n", "12", "--size", "32", "--seed", "3",
                                   "--kind", "random", "--objects", "4-5", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "wrote 12 scenes" in res.output
    meta = json.loads((out / "meta.json").read_text())
    assert meta["generator"]["min_objects"] == 4 and meta["generator"]["kind"] == "random"
    assert len(list((out / "images").glob("*.png"))) == 12


@pytest.mark.parametrize("args, msg", [
    (["--kind", "nope"], "unknown dataset kind"),
    (["--n", "0"], "must be positive"),
    (["--n", "-3"], "must be positive"),
    (["--size", "8"], "too small"),
    (["--objects", "x"], "expected N or MIN-MAX"),
])
def test_generate_bad_input(tmp_path, args, msg):
    out = tmp_path / "ds"
    res = CliRunner().invoke(cli, ["data", "generate", "--n", "4", *args, "--out", str(out)])
    assert res.exit_code != 0
    assert msg in res.output
    assert "Traceback" not in res.output
    assert not out.exists()  # nothing half-written


def test_generate_refuses_non_empty(tmp_path):
    (tmp_path / "f").write_text("x")
    res = CliRunner().invoke(cli, ["data", "generate", "--n", "4", "--out", str(tmp_path)])
    assert res.exit_code != 0 and "not empty" in res.output
    assert res.output.count("\n") == 1
