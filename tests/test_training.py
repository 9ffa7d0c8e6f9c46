import json
import math
import os
import signal
import subprocess
import sys
import time
import types

import pytest
import torch
from click.testing import CliRunner

from econ_pyro.cli.main import cli
from econ_pyro.training import TrainingError, load, resolve_config, train
from econ_pyro.training import trainer as trainer_mod

from .conftest import scripted_validation


def _smoke(**train_kw):
    cfg = resolve_config("smoke")
    cfg["train"].update(train_kw)
    return cfg


def _losses(run):
    recs = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()]
    return [(r["step"], r["loss"]) for r in recs if "loss" in r], recs


def test_smoke_train_writes_run(tmp_path):
    res = CliRunner().invoke(cli, ["train", "--preset", "smoke", "--set", "snapshot_every=10",
                                   "--out", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    run = tmp_path / "r"
    assert sorted(p.name for p in (run / "snapshots").glob("*.png")) == [
        "step_0000010.png", "step_0000020.png"]
    for f in ("last.pt", "best.pt", "config.json", "metrics.jsonl"):
        assert (run / f).exists(), f
    losses, recs = _losses(run)
    assert [s for s, _ in losses] == [5, 10, 15, 20]
    assert all(math.isfinite(v) for _, v in losses)
    dash = [r["dashboard"] for r in recs if "dashboard" in r]
    assert len(dash) == 2 and 0 <= dash[0]["fg_ari"] <= 1 and len(dash[0]["contingency"]) == 4
    assert "shape_class_accuracy" in dash[0] and "occluded_before_occluder" in dash[0]
    assert "FG-ARI" in res.output and "purity" in res.output
    assert len(recs[0]["winners"]) == 4 and len(recs[0]["winners"][0]) == 4
    econ = load(run)
    assert econ.config.image_size == 16 and not econ.training


def test_resume_reproduces_uninterrupted_run(tmp_path):
    train(_smoke(max_steps=20), tmp_path / "a", log=lambda *_: None)
    train(_smoke(max_steps=10), tmp_path / "b", log=lambda *_: None)
    # a run started before a trainer option existed still resumes (defaults fill it in)
    saved = json.loads((tmp_path / "b" / "config.json").read_text())
    del saved["train"]["dashboard"]
    (tmp_path / "b" / "config.json").write_text(json.dumps(saved))
    res = CliRunner().invoke(cli, ["train", "--resume", str(tmp_path / "b"), "--max-steps", "20"])
    assert res.exit_code == 0, res.output
    a, _ = _losses(tmp_path / "a")
    b, _ = _losses(tmp_path / "b")
    assert a == b
    wa = torch.load(tmp_path / "a" / "last.pt", weights_only=True)["model"]
    wb = torch.load(tmp_path / "b" / "last.pt", weights_only=True)["model"]
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def test_sigint_saves_resumable_checkpoint(tmp_path):
    run = tmp_path / "r"
    proc = subprocess.Popen([sys.executable, "-m", "econ_pyro.cli", "train", "--preset", "smoke",
                             "--max-steps", "100000", "--out", str(run)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 120
    while not (run / "metrics.jsonl").exists() and time.time() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out
    assert "interrupted (SIGINT)" in out and "Traceback" not in out
    ckpt = torch.load(run / "last.pt", weights_only=True)
    assert ckpt["state"]["step"] >= 5
    res = CliRunner().invoke(cli, ["train", "--resume", str(run),
                                   "--max-steps", str(ckpt["state"]["step"] + 2)])
    assert res.exit_code == 0, res.output


def _nan_at(monkeypatch, bad_calls):
    real = trainer_mod.ECONELBO.compute
    calls = {"n": 0}

    def compute(self, *a, **kw):
        res = real(self, *a, **kw)
        calls["n"] += 1
        if calls["n"] in bad_calls:
            res.loss = res.loss * float("nan")
        return res
    monkeypatch.setattr(trainer_mod.ECONELBO, "compute", compute)


def test_nan_stops_and_keeps_last_good_checkpoint(tmp_path, monkeypatch):
    # calls 1-10 train, call 11 validates at step 10, call 12 trains step 10, 13 is step 11
    _nan_at(monkeypatch, {14})
    with pytest.raises(TrainingError, match="non-finite .* at step 12"):
        train(_smoke(max_steps=30), tmp_path / "r", log=lambda *_: None)
    ckpt = torch.load(tmp_path / "r" / "last.pt", weights_only=True)
    assert ckpt["state"]["step"] == 10
    assert all(torch.isfinite(v).all() for v in ckpt["model"].values())


def test_nan_skip_mode(tmp_path, monkeypatch):
    _nan_at(monkeypatch, {3})
    logs = []
    state = train(_smoke(max_steps=8, nan="skip"), tmp_path / "r", log=logs.append)
    assert state["step"] == 8 and any("skipped" in line for line in logs)


@pytest.mark.parametrize("args, msg", [
    (["--set", "model.nonsense=1"], "unknown config key"),
    (["--set", "model.beta=-1"], "beta, gamma, lam must be >= 0"),
    (["--set", "train.lr=0"], "train.lr must be a positive number"),
    (["--set", "model.score=foo"], "score must be one of"),
    (["--set", "train.autocast=fp8"], "train.autocast must be"),
    (["--preset", "nope"], "unknown preset"),
    (["--data", "/nonexistent/folder"], "does not exist"),
    (["--config", "/nonexistent.json"], "does not exist"),
])
def test_bad_train_input(tmp_path, args, msg):
    res = CliRunner().invoke(cli, ["train", "--preset", "smoke", *args, "--out",
                                   str(tmp_path / "r")] if args[0] != "--preset"
                             else ["train", *args, "--out", str(tmp_path / "r")])
    assert res.exit_code != 0
    assert msg in res.output, res.output
    assert "Traceback" not in res.output and res.output.strip().count("\n") == 0


def test_dry_run_prints_resolved_config():
    res = CliRunner().invoke(cli, ["train", "--preset", "smoke", "--set", "beta=2.5", "--dry-run"])
    assert res.exit_code == 0
    cfg = json.loads(res.output)
    assert cfg["model"]["beta"] == 2.5 and cfg["preset"] == "smoke"


def test_train_on_image_folder(tmp_path):
    res = CliRunner().invoke(cli, ["data", "generate", "--n", "20", "--size", "16",
                                   "--out", str(tmp_path / "d")])
    assert res.exit_code == 0
    os.remove(tmp_path / "d" / "gt.npz")  # a plain PNG folder now
    res = CliRunner().invoke(cli, ["train", "--preset", "smoke", "--data", str(tmp_path / "d"),
                                   "--max-steps", "3", "--out", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output


def test_two_rank_gloo_ddp_keeps_ranks_identical(tmp_path):
    run = tmp_path / "ddp"
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           "--nnodes", "1", "--nproc_per_node", "2", "-m", "econ_pyro.cli",
                           "train", "--preset", "smoke", "--max-steps", "6", "--out", str(run),
                           "--set", "train.restart_merged_at=3"],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "parameters identical across 2 ranks: True" in proc.stdout
    assert proc.stdout.count("stopped: max_steps after 6 steps") == 1  # only rank 0 logs
    assert (run / "last.pt").exists()
    # a restart needs one process per run: switched off with a warning (the default preset
    # sets one), not an error
    assert proc.stdout.count("train.restart_merged_at is not supported with torchrun") == 1
    assert json.loads((run / "config.json").read_text())["train"]["restart_merged_at"] is None


def test_bf16_autocast_smoke(tmp_path):
    state = train(_smoke(max_steps=3, autocast="bf16"), tmp_path / "r", log=lambda *_: None)
    assert state["step"] == 3
    assert torch.load(tmp_path / "r" / "last.pt", weights_only=True)["model"]


@pytest.mark.slow
def test_compiled_nets_train(tmp_path):
    state = train(_smoke(max_steps=3, compile=True), tmp_path / "r", log=lambda *_: None)
    assert state["step"] == 3


def test_dead_expert_monitor_fires(tmp_path, monkeypatch):
    real = trainer_mod.ECONELBO.compute

    def only_expert_zero_wins(self, *a, **kw):
        res = real(self, *a, **kw)
        res.winners = torch.zeros_like(res.winners)
        return res
    monkeypatch.setattr(trainer_mod.ECONELBO, "compute", only_expert_zero_wins)
    logs = []
    train(_smoke(max_steps=10, dead_after=5), tmp_path / "r", log=logs.append)
    warned = [line for line in logs if line.startswith("warning: expert")]
    assert {line.split()[2] for line in warned} == {"1", "2", "3"}
    _, recs = _losses(tmp_path / "r")
    assert recs[0]["idle_experts"] == [1, 2, 3]


def test_train_on_generated_dataset_folder_keeps_ground_truth(tmp_path):
    res = CliRunner().invoke(cli, ["data", "generate", "--n", "30", "--size", "16", "--kind",
                                   "random", "--out", str(tmp_path / "d")])
    assert res.exit_code == 0
    res = CliRunner().invoke(cli, ["train", "--preset", "smoke", "--data", str(tmp_path / "d"),
                                   "--set", "data.kind=random", "--max-steps", "10",
                                   "--out", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    _, recs = _losses(tmp_path / "r")
    assert any("dashboard" in r for r in recs)  # validation split has ground truth
    from econ_pyro.training import training_kind
    assert training_kind(load(tmp_path / "r" / "last.pt")) == "random"  # from the checkpoint


@pytest.mark.parametrize("flag", [True, False])
def test_channels_last_option_and_load(tmp_path, flag):
    """train.channels_last puts the CPU nets in channels_last format (same values);
    load() always returns channels_last weights."""
    from econ_pyro.training.trainer import Trainer

    tr = Trainer(_smoke(max_steps=2, channels_last=flag), tmp_path / "r", log=lambda *_: None)
    w = tr.econ.experts.experts[0].attention.down[0][0].weight
    assert w.is_contiguous(memory_format=torch.channels_last) == flag
    assert w.is_contiguous() != flag  # a 3x3 conv weight cannot be both
    tr.run()
    loaded = load(tmp_path / "r").experts.experts[0].attention.down[0][0].weight
    assert loaded.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(loaded, tr.econ.experts.experts[0].attention.down[0][0].weight)


def test_channels_last_must_be_bool():
    from econ_pyro.config import ConfigError

    with pytest.raises(ConfigError, match="channels_last"):
        resolve_config("smoke", sets=["train.channels_last=3"])


def test_tensorboard_writer_gets_scalars_and_is_closed(tmp_path, monkeypatch):
    """The writer is created lazily, receives the logged scalars and is closed (flushed)
    when the run stops; tensorboard itself is an optional extra, so a stand-in records."""
    calls = {"scalars": [], "closed": 0}

    class Writer:
        def __init__(self, logdir):
            calls["logdir"] = logdir

        def add_scalar(self, tag, value, step):
            calls["scalars"].append((tag, step))

        def close(self):
            calls["closed"] += 1

    fake = types.ModuleType("torch.utils.tensorboard")
    fake.SummaryWriter = Writer
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", fake)
    train(_smoke(max_steps=4, tensorboard=True, log_every=2, eval_every=2),
          tmp_path / "r", log=lambda *_: None)
    assert calls["logdir"] == str(tmp_path / "r" / "tensorboard")
    tags = {t for t, _ in calls["scalars"]}
    assert {"loss", "val_loss", "L_x/t1", "winners/t4/expert0"} <= tags, tags
    assert ("loss", 2) in calls["scalars"] and ("loss", 4) in calls["scalars"]
    assert not any(t.startswith("idle_experts") for t in tags)
    assert calls["closed"] == 1


def _same_tensors(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_tensors(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same_tensors(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b)
    return a == b


@pytest.mark.parametrize("restore", [True, False])
def test_restore_best_on_decrease(tmp_path, monkeypatch, restore):
    """With train.restore_best_on_decrease a plateau decrease puts the weights and Adam
    moments back to best.pt's (the lr stays decreased; step and counters go on); without it
    the weights stay where the bad evaluations left them."""
    # evaluations at steps 2, 4, 6, 8: best at 4, then two bad ones -> decrease at step 8
    scripted_validation(monkeypatch, [3.0, 1.0, 2.0, 2.5])
    msgs = []
    state = train(_smoke(max_steps=8, eval_every=2, patience=2, dashboard=False,
                         snapshot_every=0, max_lr_decreases=100, standardise_latents=0,
                         restore_best_on_decrease=restore), tmp_path / "r", log=msgs.append)
    last = torch.load(tmp_path / "r" / "last.pt", weights_only=True)
    best = torch.load(tmp_path / "r" / "best.pt", weights_only=True)
    assert best["state"]["step"] == 4 and last["state"]["step"] == 8
    assert state["lr_decreases"] == 1
    lr = _smoke()["train"]["lr"] * _smoke()["train"]["lr_factor"]
    assert last["optimizer"]["param_groups"][0]["lr"] == pytest.approx(lr)
    assert _same_tensors(last["model"], best["model"]) is restore
    assert _same_tensors(last["optimizer"]["state"], best["optimizer"]["state"]) is restore
    assert state["restorations"] == ([[8, 4]] if restore else [])
    assert any("back to the best validation loss's (step 4" in m for m in msgs) is restore


def test_restore_best_then_training_goes_on(tmp_path, monkeypatch):
    """After the restore, training continues from the best weights at the lower lr: the
    next steps' losses differ from an otherwise identical run without the option, and the
    step count is not set back."""
    losses = [3.0, 1.0, 2.0, 2.5, 2.0, 2.0]
    runs = {}
    for restore in (True, False):
        scripted_validation(monkeypatch, losses)
        train(_smoke(max_steps=12, eval_every=2, patience=2, dashboard=False, snapshot_every=0,
                     max_lr_decreases=100, standardise_latents=0, log_every=2,
                     restore_best_on_decrease=restore), tmp_path / str(restore),
              log=lambda *_: None)
        runs[restore] = dict(_losses(tmp_path / str(restore))[0])
    assert sorted(runs[True]) == sorted(runs[False]) == [2, 4, 6, 8, 10, 12]
    assert all(runs[True][s] == runs[False][s] for s in (2, 4, 6, 8))  # identical up to it
    assert runs[True][10] != runs[False][10]


def test_restore_best_skips_another_model_config(tmp_path, monkeypatch):
    """A best.pt saved before the background reservation (another model config) is not
    restored: training goes on with a log line."""
    scripted_validation(monkeypatch, [1.0, 2.0, 2.5])  # best at 2; reserved at 4; decrease at 6
    msgs = []
    state = train(_smoke(max_steps=6, eval_every=2, patience=2, dashboard=False,
                         snapshot_every=0, max_lr_decreases=100, standardise_latents=0,
                         reserve_background_at=4, reserve_background_fresh_schedule=False,
                         restore_best_on_decrease=True), tmp_path / "r", log=msgs.append)
    assert state["lr_decreases"] == 1 and state["restorations"] == []
    assert any("no best checkpoint of this model config" in m for m in msgs)


def test_restore_best_must_be_bool():
    from econ_pyro.config import ConfigError

    with pytest.raises(ConfigError, match="restore_best_on_decrease must be true or false"):
        resolve_config("smoke", sets=["train.restore_best_on_decrease=3"])


def test_validation_competition_deterministic(tmp_path):
    """With validation_competition="deterministic" the validation loss does not depend on
    the competition temperature (the best-scoring expert wins), is the same at every call,
    leaves the training RNG stream and the training competition's mode alone; with
    "training" it draws winners at the temperature from the training stream."""
    import pyro

    pyro.set_rng_seed(0)
    tr = trainer_mod.Trainer(_smoke(validation_competition="deterministic"), tmp_path / "d",
                             log=lambda *_: None)
    comp = tr.econ.competition
    before = torch.get_rng_state()
    vals = []
    for tau in (1e-3, 1e6, 1e-3):
        comp.temperature = tau
        vals.append(tr.validate())
    assert vals[0] == vals[1] == vals[2]
    assert torch.equal(torch.get_rng_state(), before)
    assert comp.mode == "stochastic"
    tr.tr["validation_competition"] = "training"
    comp.temperature = 1e6  # (near-)uniform winners: far from the best-scoring ones
    hot = [tr.validate() for _ in range(3)]
    assert not torch.equal(torch.get_rng_state(), before)
    assert len(set(hot)) > 1 and min(hot) > vals[0]


def test_validation_competition_config():
    from econ_pyro.config import ConfigError

    with pytest.raises(ConfigError, match="validation_competition must be"):
        resolve_config("smoke", sets=["train.validation_competition=greedy"])


@pytest.mark.parametrize("hold", [None, 6])
def test_lr_schedule_from_holds_the_plateau_schedule(tmp_path, monkeypatch, hold):
    """With train.lr_schedule_from the evaluations up to that step count as neither good nor
    bad for the plateau schedule, which then starts afresh (best validation loss forgotten):
    the same validation losses that divide the lr twice from step 0 divide it not at all."""
    # evaluations at steps 2 ... 12; patience 2
    scripted_validation(monkeypatch, [1.0, 2.0, 3.0, 5.0, 4.0, 4.5])
    msgs = []
    state = train(_smoke(max_steps=12, eval_every=2, patience=2, dashboard=False,
                         snapshot_every=0, max_lr_decreases=100, standardise_latents=0,
                         lr_schedule_from=hold), tmp_path / "r", log=msgs.append)
    best = torch.load(tmp_path / "r" / "best.pt", weights_only=True)
    if hold is None:  # bad at 4, 6 -> decrease; bad at 8, 10 -> decrease
        assert state["lr_decreases"] == 2 and best["state"]["step"] == 2
    else:  # 8 and 10 improve on the forgotten best, 12 is one bad evaluation
        assert state["lr_decreases"] == 0 and best["state"]["step"] == 10
        assert state["best_val"] == 4.0 and state["bad_evals"] == 1
    assert any("(train.lr_schedule_from)" in m for m in msgs) is (hold is not None)


@pytest.mark.parametrize("value", [0, -3, 2.5, True, "soon"])
def test_bad_lr_schedule_from(value):
    from econ_pyro.config import ConfigError

    with pytest.raises(ConfigError, match="lr_schedule_from must be a step >= 1 or null"):
        resolve_config("smoke", sets=[f"train.lr_schedule_from={value}"])
