"""Training curves read from a run folder (`econ_pyro.curves`, `econ-pyro curves`)."""
import json

import pytest
from click.testing import CliRunner

from econ_pyro import curves
from econ_pyro.cli.main import cli


def _run(path, evals, restarts=None):
    """A run folder with one evaluation record per (step, elapsed, purity, distinct) and
    training-step records between them (which the curves skip)."""
    path.mkdir()
    lines = []
    for step, elapsed, purity, distinct in evals:
        lines.append({"step": step, "loss": 1.0, "elapsed": elapsed})
        lines.append({"step": step, "val_loss": 100.0 - step, "elapsed": elapsed,
                      "dashboard": {"fg_ari": 0.95, "purity": purity,
                                    "distinct_experts": distinct}})
    (path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    cfg = {"train": {"seed": 1000}}
    if restarts is not None:
        cfg["restarts"] = restarts
    (path / "config.json").write_text(json.dumps(cfg))
    return path


EVALS = [(100, 60.0, 0.5, False), (200, 120.0, 0.95, True), (300, 180.0, 0.95, False),
         (400, 240.0, 0.92, True)]


def test_history_targets_and_hold(tmp_path):
    rows = curves.history(_run(tmp_path / "r", EVALS))
    assert [(r["step"], r["minutes"], r["val_loss"]) for r in rows] == \
        [(100, 1.0, 0.0), (200, 2.0, -100.0), (300, 3.0, -200.0), (400, 4.0, -300.0)]
    hit = curves.first_reaching(rows)
    assert hit["step"] == 200
    assert curves.held_after(rows, hit) == (2, 3)  # lost distinct experts at step 300
    assert curves.first_reaching(rows, purity=0.96) is None
    assert curves.first_reaching(rows, distinct=False)["step"] == 200


def test_merge_share_of_the_checks(tmp_path):
    """The merge share of whichever label-free check ran at an evaluation step is in that
    step's row (and the CLI's column); steps without a check have none."""
    run = _run(tmp_path / "r", EVALS)
    extra = [{"step": 200, "restart_check": {"merged_share": 0.25, "restart": False}},
             {"step": 300, "split_check": {"merged_share": 0.5, "split": False}},
             {"step": 400, "reservation_check": {"merged_share": 0.75, "passed": True}},
             {"step": 400, "reservation_check_without_share": {}}]
    with (run / "metrics.jsonl").open("a") as f:
        f.write("".join(json.dumps(r) + "\n" for r in extra))
    rows = curves.history(run)
    assert [r.get("merge_share") for r in rows] == [None, 0.25, 0.5, 0.75]
    out = CliRunner().invoke(cli, ["curves", str(run)])
    assert out.exit_code == 0, out.output
    assert "merge_share" in out.output and out.output.count("0.750") == 1


def test_minutes_count_abandoned_attempts(tmp_path):
    """After a restart the minutes include the abandoned attempts' training time (the
    new attempt's own clock starts at 0)."""
    restarts = [{"step": 1000, "seed": 0, "elapsed": 600.0, "reason": "merged"},
                {"step": 1200, "seed": 1000, "elapsed": 300.0, "reason": "merged"}]
    run = _run(tmp_path / "r", EVALS, restarts)
    assert curves.restarts(run) == restarts
    assert [r["minutes"] for r in curves.history(run)] == [16.0, 17.0, 18.0, 19.0]
    out = CliRunner().invoke(cli, ["curves", str(run)])
    assert out.exit_code == 0, out.output
    assert "seed 0 abandoned at step 1000 (10.0 min, merged)" in out.output
    assert "seed 1000 abandoned at step 1200 (5.0 min, merged)" in out.output
    assert "first met at step 200, 17.0 min; met at 2 of the 3 evaluations" in out.output


def test_curves_cli_errors_and_not_met(tmp_path):
    (tmp_path / "empty").mkdir()
    out = CliRunner().invoke(cli, ["curves", str(tmp_path / "empty")])
    assert out.exit_code != 0 and "no metrics.jsonl" in out.output
    run = _run(tmp_path / "r", [(100, 60.0, 0.5, False)])
    out = CliRunner().invoke(cli, ["curves", str(run)])
    assert out.exit_code == 0 and out.output.rstrip().endswith("not met")
    with pytest.raises(Exception, match="no metrics.jsonl"):
        curves.history(tmp_path / "empty")
