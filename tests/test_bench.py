"""The benchmark's reference steps compute the same objective as the Pyro step."""

import pytest
import torch

from econ_pyro import ECONELBO
from econ_pyro.bench import BASE, all_graphs_loss, measure, plain_loss, sweep_specs

from .conftest import make_econ


@pytest.mark.parametrize("loss_fn", [plain_loss, all_graphs_loss])
def test_reference_losses_match_the_elbo_for_one_expert(tiny_batch, loss_fn, monkeypatch):
    # K = 1: no competition randomness; the only noise is z's reparametrisation, so with
    # z's noise switched off (z = latent mean) every implementation gives the same number
    econ = make_econ(n_experts=1)
    monkeypatch.setattr(torch, "randn_like", torch.zeros_like)
    monkeypatch.setattr(torch.distributions.Normal, "rsample",
                        lambda self, sample_shape=(): self.loc + 0 * self.scale)
    ref = ECONELBO().compute(econ.model, econ.guide, tiny_batch).loss
    got = loss_fn(econ, tiny_batch)
    torch.testing.assert_close(got, ref, rtol=1e-5, atol=1e-3)


def test_all_graphs_loss_keeps_every_experts_graph(tiny_batch):
    # unlike the Pyro step, every expert's forward pass is part of the graph: even an
    # expert that wins nothing receives a (zero) gradient tensor instead of None
    econ = make_econ(n_experts=3, competition="deterministic")
    all_graphs_loss(econ, tiny_batch).backward()
    for e in econ.experts.experts:
        assert all(p.grad is not None and torch.isfinite(p.grad).all()
                   for p in e.attention.parameters())


def test_measure_one_configuration():
    spec = {**BASE, "size": 16, "K": 2, "T": 2, "B": 2, "threads": 1, "variant": "all_graphs"}
    row = measure(spec, reps=1)
    assert row["s_per_step"] > 0 and row["gflop_per_step"] > 0
    assert row["peak_rss_mb"] >= row["rss_before_mb"] > 0


def test_sweep_varies_one_axis_at_a_time():
    specs = sweep_specs(["cpu"])
    assert specs[0] == {**BASE, "nets": "cpu"}
    for s in specs[1:]:
        assert sum(s[k] != BASE[k] for k in BASE if k != "nets") == 1


def test_decompose_rate_of_fresh_nets_and_a_shipped_model():
    from econ_pyro.bench import decompose_rate

    assert decompose_rate("cpu", n=64) > 0
    assert decompose_rate("cpu-unique", n=64) > 0  # a pretrained name, via econ_pyro.load


def test_interleaved_timing_runs_each_function_in_turn(monkeypatch):
    from econ_pyro import bench

    clock = iter(range(1000))
    monkeypatch.setattr(bench.time, "perf_counter", lambda: next(clock))
    calls = []
    fns = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}
    out = bench.timeit_interleaved(fns, reps=3, warmup=1)
    assert calls == ["a", "b"] * 4  # warm-up, then a, b in every repetition
    assert out["a"] == out["b"] == 1 and out["paired"] == {"a": 1.0, "b": 1.0}


@pytest.fixture
def first_weight(monkeypatch):
    """Records the models the benchmark builds; returns a function giving the first
    convolution weight of the first one (its memory format is the nets')."""
    from econ_pyro import bench

    built, real_setup = [], bench._setup

    def setup(*args):
        econ, x = real_setup(*args)
        built.append(econ)
        return econ, x
    monkeypatch.setattr(bench, "_setup", setup)
    return lambda: built[0].experts.experts[0].attention.down[0][0].weight


@pytest.mark.parametrize("channels_last", [None, False])
def test_bench_times_the_step_in_the_trainers_memory_format(first_weight, channels_last):
    """By default the CPU step is timed with the weights in channels_last, as the trainer
    runs it (train.channels_last); --contiguous keeps the contiguous format."""
    from econ_pyro import bench

    row = bench.bench_one(16, "cpu", "loop", 2, 2, 2, 1, torch.device("cpu"),
                           channels_last=channels_last)
    w = first_weight()
    assert row["channels_last"] is (channels_last is None)
    assert w.is_contiguous(memory_format=torch.channels_last) is (channels_last is None)
    assert w.is_contiguous() is (channels_last is False)


@pytest.mark.parametrize("variant, layout, bf16", [("channels_last", True, False),
                                                   ("bf16", False, True),
                                                   ("channels_last+bf16", True, True)])
def test_sweep_variants_set_layout_and_autocast(monkeypatch, first_weight, variant, layout,
                                                bf16):
    """The combined variant times the step as the trainer runs it with train.autocast=bf16:
    channels_last weights (the CPU default) and bfloat16 autocast."""
    from econ_pyro import bench

    autocasts, real_autocast = [], torch.autocast

    def autocast(*args, **kw):
        autocasts.append(kw.get("enabled", True))
        return real_autocast(*args, **kw)
    monkeypatch.setattr(bench.torch, "autocast", autocast)
    spec = {**BASE, "size": 16, "K": 2, "T": 2, "B": 2, "threads": 1, "variant": variant}
    assert bench.measure(spec, reps=1)["s_per_step"] > 0
    w = first_weight()
    assert w.is_contiguous(memory_format=torch.channels_last) is layout
    assert autocasts and set(autocasts) == {bf16}


def test_sweep_compares_bf16_rows_with_the_bf16_matmul(monkeypatch):
    """A bf16 step's GFLOP/s is read against the bf16 matmul figure, an fp32 step's against
    the fp32 one; the fp32 fraction is kept for every row."""
    import json
    import subprocess

    from econ_pyro import bench

    monkeypatch.setattr(bench, "matmul_gflops",
                        lambda dev, dtype=torch.float32, **kw: 400.0 if dtype == torch.bfloat16
                        else 100.0)
    monkeypatch.setattr(bench, "conv_gflops", lambda dev: 50.0)
    monkeypatch.setattr(bench, "decompose_rate", lambda *a, **kw: 1.0)
    monkeypatch.setattr(bench, "grouped_conv_rates", lambda: [])
    monkeypatch.setattr(bench, "sweep_specs", lambda nets: [
        {**BASE, "variant": "channels_last"}, {**BASE, "variant": "channels_last+bf16"}])

    real_run = subprocess.run

    def run(cmd, **kw):
        if "--one" not in cmd:  # e.g. lscpu for the machine's description
            return real_run(cmd, **kw)
        spec = json.loads(cmd[cmd.index("--one") + 1])
        row = {**spec, "threads": 2, "s_per_step": 1.0, "images_per_s": 32.0,
               "gflop_per_step": 80.0, "gflops_achieved": 80.0, "rss_before_mb": 1.0,
               "peak_rss_mb": 2.0}
        return subprocess.CompletedProcess(cmd, 0, json.dumps(row) + "\n", "")
    monkeypatch.setattr(bench.subprocess, "run", run)
    res = bench.run_sweep(["cpu"], reps=1, device="cpu")
    fp32, bf16 = res["results"]
    assert res["matmul_gflops_bf16"] == 400.0
    assert fp32["fraction_of_matmul_peak"] == fp32["fraction_of_fp32_matmul_peak"] == 0.8
    assert bf16["fraction_of_matmul_peak"] == 0.2 and bf16["fraction_of_fp32_matmul_peak"] == 0.8


def test_breakdown_splits_the_step_into_arithmetic_and_other_ops():
    from econ_pyro.bench import breakdown, is_arithmetic

    assert is_arithmetic("aten::mkldnn_convolution") and is_arithmetic("aten::convolution_backward")
    assert is_arithmetic("aten::addmm") and is_arithmetic("aten::bmm")
    assert not is_arithmetic("aten::mul") and not is_arithmetic("aten::copy_")
    x, w = torch.randn(8, 16, 32, 32), torch.randn(16, 16, 3, 3)

    def conv_only():
        torch.nn.functional.conv2d(x, w, padding=1)

    def mostly_elementwise():
        torch.nn.functional.conv2d(x[:1, :, :4, :4], w, padding=1)
        y = x
        for _ in range(20):
            y = torch.exp(y * 0.5)

    a, b = breakdown(conv_only, 3, 1.0), breakdown(mostly_elementwise, 3, 1.0)
    assert a["arithmetic_share"] > 0.8 > 0.2 > b["arithmetic_share"] > 0
    assert b["top_other_ops"][0][0] in ("aten::exp", "aten::mul")
    assert all(not is_arithmetic(k) for k, _ in b["top_other_ops"])
    # the ceiling is the counted work over the arithmetic ops' own time
    assert a["arithmetic_gflops"] == pytest.approx(1.0 / a["arithmetic_s_per_step"])
    assert b["arithmetic_s_per_step"] < b["op_s_per_step"]


@pytest.mark.parametrize("argv", [["--strategies", "grouped"], ["--nets", "huge"]])
def test_bench_refuses_unknown_strategies_and_nets(argv, capsys):
    from econ_pyro.bench import main

    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2 and "invalid choice" in capsys.readouterr().err
