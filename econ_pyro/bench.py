"""Training-step benchmark: Pyro step vs the same step in plain torch, loop vs vmap experts.

Prints a table and writes JSON.  Also measures the machine's own dense matmul
throughput in the same run and counts the step's FLOPs with FlopCounterMode
(conv/matmul only), so figures can be compared across machines.

    econ-pyro bench --sizes 32 64 --nets paper --out bench.json
    econ-pyro bench --sweep --out sweep.json   (one axis at a time, see SWEEP)
    python -m econ_pyro.bench ...            (same)

``--sweep`` runs every configuration in its own process, so peak memory (RSS on
CPU, ``torch.cuda.max_memory_allocated`` on GPU) and ``torch.compile`` state are
per configuration.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import pyro
import torch
from torch.utils.flop_counter import FlopCounterMode

from .competition import compete, winner_region
from .config import EXPERT_STRATEGIES, ECONConfig
from .data import ProceduralScenes, SceneConfig
from .distributions import normal_kl, reparametrise
from .econ import ECON
from .infer import ECONELBO, train_step
from .layers import appearance_nll, next_scope, region_kl

NETS = {
    "paper": {"attention_channels": (32, 64, 64, 64), "vae_layers": 4, "vae_features": 32,
              "latent_dim": 2},
    "cpu": {"attention_channels": (8, 16, 16), "vae_layers": 3, "vae_features": 16,
            "latent_dim": 3},
}


def plain_loss(econ: ECON, x: torch.Tensor) -> torch.Tensor:
    """Eq. 13 with the competition, written without Pyro (same helpers, same work)."""
    cfg = econ.config
    scope = torch.ones_like(x[:, :1])
    total = 0.0
    for t in range(cfg.n_steps, 0, -1):
        scores = compete(econ, x, scope, t).scores
        k = econ.competition.distribution(scores.T).sample()
        region = winner_region(econ, k, x, scope, t)
        mu, logvar = econ.experts.select("encode", k, x, region)
        z = reparametrise(mu, logvar)
        appearance, shape = econ.experts.select("decode", k, z)
        total = total + appearance_nll(x, region, appearance, cfg.sigma_x) \
            + cfg.beta * normal_kl(mu, logvar).sum(-1) + cfg.gamma * region_kl(region, scope, shape)
        scope = next_scope(scope, region)
    return total.mean()


def all_graphs_loss(econ: ECON, x: torch.Tensor) -> torch.Tensor:
    """The alternative design: every expert's step runs *with* autograd and the
    winner's loss is picked from the K computed ones (no recompute, K graphs kept)."""
    cfg, K = econ.config, len(econ.experts)
    scope = torch.ones_like(x[:, :1])
    total = 0.0
    for t in range(cfg.n_steps, 0, -1):
        regions = scope.expand(K, *scope.shape) if t == 1 \
            else econ.experts.all("attend", x, scope)
        mu, logvar = econ.experts.all("encode", x, regions, per_expert=(False, True))
        z = reparametrise(mu, logvar)
        appearance, shape = econ.experts.all("decode", z, per_expert=(True,))
        l_x = appearance_nll(x, regions, appearance, cfg.sigma_x)  # [K, B]
        l_r = region_kl(regions, scope, shape)
        scores = econ.competition.score(l_x.detach(), l_r.detach(),
                                        regions.detach().flatten(-3).sum(-1),
                                        scope.detach().flatten(-3).sum(-1))
        k = econ.competition.distribution(scores.T).sample()
        losses = l_x + cfg.beta * normal_kl(mu, logvar).sum(-1) + cfg.gamma * l_r
        total = total + losses.gather(0, k[None])[0]
        region = regions.gather(0, k.view(1, -1, 1, 1, 1).expand(1, *regions.shape[1:]))[0]
        scope = next_scope(scope, region)
    return total.mean()


def param_sites_step(econ, opt, x):
    """``train_step`` as it was before session 10: model and guide call ``pyro.module``
    (a param site and a param-store lookup per parameter, twice per step)."""
    opt.zero_grad(set_to_none=True)
    loss = ECONELBO().compute(econ.model, econ.guide, x).loss
    loss.backward()
    opt.step()
    return loss


def plain_step(econ, opt, x, loss_fn=plain_loss):
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(econ, x)
    loss.backward()
    opt.step()
    return loss


def count_gflop(fn) -> float:
    """FLOPs (conv/matmul) of ``fn`` in GFLOP.

    FlopCounterMode's per-module tracking trips over modules run under
    ``no_grad`` inside a backward-tracked step, so only its operator counting
    is used here (module breakdown off).
    """
    fc = FlopCounterMode(display=False)
    fc.mod_tracker = contextlib.nullcontext()
    fc.mod_tracker.parents = ["Global"]
    with fc:
        fn()
    return fc.get_total_flops() / 1e9


def timeit(fn, reps: int, warmup: int = 2, sync=lambda: None) -> float:
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def timeit_interleaved(fns: dict, reps: int, warmup: int = 2, sync=lambda: None) -> dict:
    """Median seconds of each function in ``fns``, run in turn within every repetition, so
    that a drift of the machine's speed (other processes, frequency) hits all of them
    alike; also ``paired``: for each name, the median over repetitions of its time divided
    by the first function's time in the same repetition."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    sync()
    times = {k: [] for k in fns}
    for _ in range(reps):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            sync()
            times[k].append(time.perf_counter() - t)
    first = next(iter(fns))
    out = {k: statistics.median(v) for k, v in times.items()}
    out["paired"] = {k: statistics.median(a / b for a, b in zip(v, times[first], strict=True))
                     for k, v in times.items()}
    return out


def matmul_gflops(device, n=2048, reps=10, dtype=torch.float32) -> float:
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    sync = _sync(device)
    sec = timeit(lambda: a @ b, reps, sync=sync)
    return 2 * n**3 / sec / 1e9


def cpu_info() -> dict:
    info = {"machine": platform.machine(), "threads": torch.get_num_threads()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            key, _, val = line.partition(":")
            if key.strip() == "Model name":
                info["cpu"] = val.strip()
            if key.strip() == "Flags":
                flags = val.split()
                info["avx512f"] = "avx512f" in flags
                info["avx512_bf16"] = "avx512_bf16" in flags
                info["amx_bf16"] = "amx_bf16" in flags
    except OSError:
        pass
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name()
    return info


def _sync(device: torch.device):
    return torch.cuda.synchronize if device.type == "cuda" else (lambda: None)


def _setup(size, nets, strategy, K, T, B, device) -> tuple[ECON, torch.Tensor]:
    """A seeded model (near-uniform stochastic competition) and one batch of scenes."""
    pyro.set_rng_seed(0)
    pyro.enable_validation(False)
    cfg = ECONConfig(n_experts=K, n_steps=T, image_size=size, expert_strategy=strategy,
                     competition="stochastic", temperature=1e4, **NETS[nets])
    x = ProceduralScenes(SceneConfig(image_size=size), B, 0).batch(0)["image"]
    return ECON(cfg).to(device), x.to(device)


def bench_one(size, nets, strategy, K, T, B, reps, device, channels_last=None,
              with_breakdown: bool = False) -> dict:
    """One row of the table.  ``channels_last`` (None: on the CPU, as the trainer's
    default ``train.channels_last`` does): the nets' weights in that memory format.
    ``with_breakdown``: also :func:`breakdown` of the Pyro step (CPU)."""
    econ, x = _setup(size, nets, strategy, K, T, B, device)
    if channels_last is None:
        channels_last = torch.device(device).type == "cpu"
    if channels_last:
        econ.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(econ.parameters(), lr=1e-4)
    sync = _sync(device)
    gflop = count_gflop(lambda: train_step(econ, opt, x))
    t = timeit_interleaved({"plain": lambda: plain_step(econ, opt, x),
                            "pyro": lambda: train_step(econ, opt, x),
                            "pyro_param_sites": lambda: param_sites_step(econ, opt, x)},
                           reps, sync=sync)
    t_pyro, t_plain = t["pyro"], t["plain"]
    extra = breakdown(lambda: train_step(econ, opt, x), reps, gflop) if with_breakdown else {}
    return {**extra, "size": size, "nets": nets, "strategy": strategy, "K": K, "T": T, "B": B,
            "channels_last": channels_last, "s_per_step_pyro": t_pyro, "s_per_step_plain": t_plain,
            "s_per_step_pyro_param_sites": t["pyro_param_sites"],
            # the median over repetitions of (Pyro step / plain step in the same repetition)
            "pyro_overhead": t["paired"]["pyro"] - 1,
            "pyro_overhead_param_sites": t["paired"]["pyro_param_sites"] - 1,
            "images_per_s": B / t_pyro, "gflop_per_step": gflop, "gflops_achieved": gflop / t_pyro}


# ops that do the counted arithmetic (convolutions and matrix products, forward and backward)
ARITHMETIC_OPS = ("conv", "aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm")


def is_arithmetic(op: str) -> bool:
    return any(a in op for a in ARITHMETIC_OPS)


def breakdown(step, reps: int, gflop: float, top: int = 6) -> dict:
    """Where ``step``'s time goes: self CPU time of every op over ``reps`` calls
    (``torch.profiler``), split into the arithmetic that FlopCounterMode counts
    (convolutions, matrix products; :data:`ARITHMETIC_OPS`) and everything else.

    ``arithmetic_gflops`` = ``gflop`` per step over the arithmetic ops' time per step:
    the rate the step would reach if every other op (norms, element-wise, copies,
    concatenation, pooling, the optimiser, Python) took no time — the ceiling of the
    step with these library kernels.  The profiler adds a few microseconds per op,
    so the other ops' share is somewhat overstated.  CPU only (self CPU times)."""
    from torch.profiler import ProfilerActivity, profile

    step()  # warm
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(reps):
            step()
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events) / 1e6 / reps
    arith = sum(e.self_cpu_time_total for e in events if is_arithmetic(e.key)) / 1e6 / reps
    others = sorted((e for e in events if not is_arithmetic(e.key)),
                    key=lambda e: -e.self_cpu_time_total)[:top]
    return {"op_s_per_step": total, "arithmetic_s_per_step": arith,
            "arithmetic_share": arith / total, "arithmetic_gflops": gflop / arith,
            "top_other_ops": [(e.key, e.self_cpu_time_total / 1e6 / reps / total)
                              for e in others]}


def conv_gflops(device, reps=10) -> float:
    """Throughput of one representative 3x3 conv (64 -> 64 channels, 32 x 32, batch 32)."""
    x = torch.randn(32, 64, 32, 32, device=device)
    w = torch.randn(64, 64, 3, 3, device=device)
    sync = _sync(device)
    sec = timeit(lambda: torch.nn.functional.conv2d(x, w, padding=1), reps, sync=sync)
    return 2 * 32 * 64 * 64 * 9 * 32 * 32 / sec / 1e9


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


BASE = {"size": 32, "nets": "cpu", "strategy": "loop", "K": 4, "T": 4, "B": 32,
        "threads": None, "variant": "none"}
SWEEP = [("K", [1, 2, 8]), ("T", [2, 6]), ("size", [64]), ("B", [8]), ("strategy", ["vmap"]),
         ("variant", ["all_graphs", "channels_last", "bf16", "channels_last+bf16", "compile"]),
         ("threads", [1])]
VARIANTS = ("none", "all_graphs", "channels_last", "bf16", "channels_last+bf16", "compile")


def variant_parts(variant: str) -> set[str]:
    """The changes a sweep variant makes ("channels_last+bf16" -> both)."""
    return set(variant.split("+"))


def measure(spec: dict, reps: int = 3, device="cpu") -> dict:
    """One sweep configuration (run in a fresh process by ``--sweep``)."""
    device = torch.device(device)
    if spec["threads"]:
        torch.set_num_threads(spec["threads"])
    econ, x = _setup(spec["size"], spec["nets"], spec["strategy"], spec["K"], spec["T"],
                     spec["B"], device)
    variant, parts = spec["variant"], variant_parts(spec["variant"])
    if "channels_last" in parts:  # the trainer's CPU layout
        econ = econ.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    if variant == "compile":
        for expert in econ.experts.experts:
            for net in (expert.attention, expert.encoder, expert.decoder):
                net.compile()
    opt = torch.optim.Adam(econ.parameters(), lr=1e-4)
    sync = _sync(device)
    if variant == "all_graphs":
        def step():
            return plain_step(econ, opt, x, all_graphs_loss)
    else:
        def step():
            with torch.autocast(device.type, dtype=torch.bfloat16,
                                enabled="bf16" in parts):
                return train_step(econ, opt, x)
    rss0 = _rss_mb()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    gflop = count_gflop(step)
    t = timeit(step, reps, sync=sync)
    row = {**spec, "threads": torch.get_num_threads(), "s_per_step": t,
           "images_per_s": spec["B"] / t, "gflop_per_step": gflop, "gflops_achieved": gflop / t,
           "rss_before_mb": rss0,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if device.type == "cuda":
        row["cuda_max_allocated_mb"] = torch.cuda.max_memory_allocated() / 2**20
    if variant == "none" and spec == {**BASE, "nets": spec["nets"]}:
        row["s_per_step_plain"] = timeit(lambda: plain_step(econ, opt, x), reps, sync=sync)
        row["pyro_overhead"] = t / row["s_per_step_plain"] - 1
    return row


def grouped_conv_rates(K: int = 4, B: int = 32, reps: int = 20) -> list[dict]:
    """Would vectorising the K experts into grouped convolutions pay?  Times K separate
    3x3 convs against one ``groups=K`` conv on the CPU nets' layer shapes (no grad)."""
    rows = []
    for c_in, c_out, side in ((4, 8, 32), (24, 8, 32), (8, 16, 16), (32, 16, 8), (16, 16, 16)):
        xs = [torch.randn(B, c_in, side, side) for _ in range(K)]
        ws = [torch.randn(c_out, c_in, 3, 3) for _ in range(K)]
        xg, wg = torch.cat(xs, 1), torch.cat(ws, 0)
        def separate(xs=xs, ws=ws):
            return [torch.nn.functional.conv2d(x, w, padding=1)
                    for x, w in zip(xs, ws, strict=True)]

        def grouped(xg=xg, wg=wg):
            return torch.nn.functional.conv2d(xg, wg, padding=1, groups=K)
        with torch.no_grad():
            sep, grp = timeit(separate, reps), timeit(grouped, reps)
        flop = 2 * K * B * c_out * c_in * 9 * side * side
        rows.append({"c_in": c_in, "c_out": c_out, "side": side, "separate_ms": sep * 1e3,
                     "grouped_ms": grp * 1e3, "separate_gflops": flop / sep / 1e9,
                     "grouped_gflops": flop / grp / 1e9})
    return rows


def decompose_rate(nets: str, size: int = 32, n: int = 512, device="cpu",
                   channels_last: bool = True) -> float:
    """Images/s of ``decompose`` (batch 64, no grad); by default with the weights in
    channels_last format, as ``econ_pyro.load`` returns a model.  ``nets``: a key of
    ``NETS`` (fresh random weights), or a trained model (a pretrained name such as
    ``"cpu-unique"``, a run folder or a checkpoint; loaded with ``econ_pyro.load``)."""
    from .generate import decompose

    if nets in NETS:
        econ = ECON(ECONConfig(image_size=size, **NETS[nets])).to(device).eval()
    else:
        from .training import load

        econ = load(nets).to(device)
        size = econ.config.image_size
    if channels_last:
        econ.to(memory_format=torch.channels_last)
    x = ProceduralScenes(SceneConfig(image_size=size), n, 0).batch(0)["image"]
    decompose(econ, x[:64])  # warm-up
    t = time.perf_counter()
    decompose(econ, x)
    return n / (time.perf_counter() - t)


def sweep_specs(nets_list) -> list[dict]:
    specs = []
    for nets in nets_list:
        specs.append({**BASE, "nets": nets})
        for key, values in SWEEP:
            specs += [{**BASE, "nets": nets, key: v} for v in values]
    return specs


def run_sweep(nets_list, reps, device, out=None) -> dict:
    info = cpu_info()
    dev = torch.device(device)
    peak = statistics.median(matmul_gflops(dev) for _ in range(3))
    # the bf16 variants are compared with the bf16 matmul: on CPUs with avx512_bf16 / AMX it
    # runs at 2x or more of the fp32 figure, so "of fp32 matmul" would flatter them
    peak_bf16 = statistics.median(matmul_gflops(dev, dtype=torch.bfloat16) for _ in range(3))
    conv = statistics.median(conv_gflops(dev) for _ in range(3))
    print(json.dumps(info))
    print(f"dense matmul 2048^2: fp32 {peak:.1f} GFLOP/s, bf16 {peak_bf16:.1f} GFLOP/s; "
          f"3x3 conv 64ch 32px fp32: {conv:.1f} GFLOP/s")
    if not (info.get("avx512_bf16") or info.get("amx_bf16")) and dev.type == "cpu":
        print("note: this CPU has no avx512_bf16/amx: bf16 autocast will be slow")
    print("'of mm': GFLOP/s over the matmul figure of the step's precision (bf16 rows: bf16)")
    hdr = (f"{'nets':>5} {'size':>4} {'K':>2} {'T':>2} {'B':>3} {'thr':>3} {'strategy':>8} "
           f"{'variant':>18} {'s/step':>7} {'img/s':>6} {'GFLOP/s':>8} {'of mm':>5} "
           f"{'peak RSS MB':>11} {'step MB':>7} {'pyro ovh':>8}")
    print(hdr)
    rows = []
    for spec in sweep_specs(nets_list):
        cmd = [sys.executable, "-m", "econ_pyro.bench", "--one", json.dumps(spec),
               "--reps", str(reps), "--device", device]
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"})
        if proc.returncode != 0:
            print(f"{spec}: failed: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        bf16 = "bf16" in variant_parts(r["variant"])
        r["fraction_of_fp32_matmul_peak"] = r["gflops_achieved"] / peak
        r["fraction_of_matmul_peak"] = r["gflops_achieved"] / (peak_bf16 if bf16 else peak)
        r["fraction_of_conv_peak"] = r["gflops_achieved"] / conv
        rows.append(r)
        ovh = f"{r['pyro_overhead']:>8.1%}" if "pyro_overhead" in r else f"{'':>8}"
        print(f"{r['nets']:>5} {r['size']:>4} {r['K']:>2} {r['T']:>2} {r['B']:>3} "
              f"{r['threads']:>3} {r['strategy']:>8} {r['variant']:>18} {r['s_per_step']:>7.3f} "
              f"{r['images_per_s']:>6.1f} {r['gflops_achieved']:>8.1f} "
              f"{r['fraction_of_matmul_peak']:>5.2f} {r['peak_rss_mb']:>11.0f} "
              f"{r['peak_rss_mb'] - r['rss_before_mb']:>7.0f} {ovh}", flush=True)
    dec = {nets: decompose_rate(nets, device=device) for nets in nets_list}
    dec_contiguous = {nets: decompose_rate(nets, device=device, channels_last=False)
                      for nets in nets_list}
    for nets, rate in dec.items():
        print(f"decompose ({nets} nets, 32x32, batch 64, no grad): {rate:.0f} images/s "
              f"(weights channels_last; contiguous: {dec_contiguous[nets]:.0f})")
    groups = grouped_conv_rates() if dev.type == "cpu" else []
    for g in groups:
        print(f"3x3 conv {g['c_in']:>2}->{g['c_out']:>2} ch at {g['side']:>2}px, K=4, B=32: "
              f"4 separate {g['separate_ms']:.2f} ms ({g['separate_gflops']:.0f} GFLOP/s), "
              f"grouped {g['grouped_ms']:.2f} ms ({g['grouped_gflops']:.0f} GFLOP/s)")
    res = {"machine": info, "matmul_gflops": peak, "matmul_gflops_bf16": peak_bf16,
           "conv_gflops": conv, "results": rows,
           "decompose_images_per_s": dec, "decompose_images_per_s_contiguous": dec_contiguous,
           "grouped_conv": groups}
    if out:
        with open(out, "w") as f:
            json.dump(res, f, indent=2)
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(prog="econ-pyro bench", description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[32, 64],
                    help="image sides in pixels (default: 32 64)")
    ap.add_argument("--nets", nargs="+", default=["paper"], choices=list(NETS),
                    help="network sizes: paper = App. C.2 (U-Net 32-64-64-64), cpu = the CPU "
                         "presets' (8-16-16) (default: paper)")
    ap.add_argument("--strategies", nargs="+", default=list(EXPERT_STRATEGIES),
                    choices=EXPERT_STRATEGIES,
                    help="how the K experts run in the competition: loop = one after the "
                         "other, vmap = torch.func over stacked weights (default: both)")
    ap.add_argument("-K", type=int, default=4, help="number of experts (default: 4)")
    ap.add_argument("-T", type=int, default=4, help="number of layers / steps (default: 4)")
    ap.add_argument("-B", type=int, default=32, help="batch size (default: 32)")
    ap.add_argument("--reps", type=int, default=5,
                    help="timed repetitions per configuration; the median is reported "
                         "(default: 5)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu",
                    help="torch device (default: cuda if available, else cpu)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    ap.add_argument("--out", default=None, help="write results as JSON here")
    ap.add_argument("--sweep", action="store_true",
                    help="one-axis-at-a-time sweep (K, T, size, batch, strategy, all-graphs, "
                         "channels_last, bf16, both, compile, threads) for the --nets given, each "
                         "configuration in its own process; plus decompose images/s")
    ap.add_argument("--decompose", nargs="+", default=[], metavar="MODEL",
                    help="also time decompose (512 scenes, batch 64, --reps times) of these "
                         "models: cpu / paper (fresh weights), a pretrained name (e.g. "
                         "cpu-unique), a run folder or a checkpoint")
    ap.add_argument("--contiguous", action="store_true",
                    help="time the training step with the nets in the contiguous memory format "
                         "(the bench before session 14); default: as the trainer runs them "
                         "(channels_last on the CPU)")
    ap.add_argument("--breakdown", action="store_true",
                    help="also profile the step (CPU): the share of its op time in convolutions "
                         "and matrix products, their own GFLOP/s (the step's ceiling if every "
                         "other op were free) and the largest other ops")
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)  # a sweep worker
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(measure(json.loads(args.one), args.reps, args.device)))
        return
    if args.sweep:
        run_sweep(args.nets, args.reps, args.device, args.out)
        return
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    info = cpu_info()
    peak = statistics.median(matmul_gflops(device) for _ in range(3))
    print(json.dumps(info))
    print(f"dense fp32 matmul 2048^2: {peak:.1f} GFLOP/s (median of 3)")
    rows = []
    hdr = (f"{'size':>4} {'nets':>6} {'strategy':>8} {'s/step pyro':>11} {'s/step torch':>12} "
           f"{'pyro ovh':>8} {'(w/ params)':>11} {'img/s':>7} {'GFLOP':>7} {'GFLOP/s':>8} "
           f"{'of peak':>7}")
    print(hdr)
    for size in args.sizes:
        for nets in args.nets:
            for strategy in args.strategies:
                r = bench_one(size, nets, strategy, args.K, args.T, args.B, args.reps, device,
                              channels_last=False if args.contiguous else None,
                              with_breakdown=args.breakdown and device.type == "cpu")
                r["fraction_of_matmul_peak"] = r["gflops_achieved"] / peak
                rows.append(r)
                print(f"{size:>4} {nets:>6} {strategy:>8} {r['s_per_step_pyro']:>11.3f} "
                      f"{r['s_per_step_plain']:>12.3f} {r['pyro_overhead']:>8.1%} "
                      f"{r['pyro_overhead_param_sites']:>11.1%} {r['images_per_s']:>7.1f} "
                      f"{r['gflop_per_step']:>7.1f} "
                      f"{r['gflops_achieved']:>8.1f} {r['fraction_of_matmul_peak']:>7.2f}",
                      flush=True)
                if "arithmetic_share" in r:
                    r["arithmetic_fraction_of_matmul_peak"] = r["arithmetic_gflops"] / peak
                    print(f"      breakdown: convolutions + matrix products "
                          f"{r['arithmetic_share']:.0%} of the profiled op time, at "
                          f"{r['arithmetic_gflops']:.1f} GFLOP/s = "
                          f"{r['arithmetic_fraction_of_matmul_peak']:.2f} of matmul (the "
                          "ceiling with every other op free); largest others: "
                          + ", ".join(f"{k.removeprefix('aten::')} {v:.1%}"
                                      for k, v in r["top_other_ops"]), flush=True)
    dec = {m: [] for m in args.decompose}
    for _ in range(args.reps if dec else 0):  # the models interleaved, rep by rep
        for m in dec:
            dec[m].append(decompose_rate(m, device=device))
    for m, rates in dec.items():
        print(f"decompose {m} (its image size, batch 64, no grad): "
              + " / ".join(f"{r:.1f}" for r in rates)
              + f" -> median {statistics.median(rates):.1f} images/s")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"machine": info, "matmul_gflops": peak, "results": rows,
                       "decompose_images_per_s": dec}, f, indent=2)


if __name__ == "__main__":
    main()
