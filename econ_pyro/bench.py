"""Training-step benchmark: Pyro step vs the same step in plain torch, loop vs vmap experts.

Prints a table and writes JSON.  Also measures the machine's own dense matmul
throughput in the same run and counts the step's FLOPs with FlopCounterMode
(conv/matmul only), so figures can be compared across machines.

    econ-pyro bench --sizes 32 64 --nets paper --out bench.json
    python -m econ_pyro.bench ...            (same)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import statistics
import subprocess
import time

import pyro
import torch
from torch.utils.flop_counter import FlopCounterMode

from .competition import expert_scores
from .config import ECONConfig
from .data import ProceduralScenes, SceneConfig
from .distributions import normal_kl
from .econ import ECON
from .infer import train_step
from .layers import appearance_nll, next_scope, region_kl

NETS = {
    "paper": {"attention_channels": (32, 64, 64, 64), "vae_layers": 4, "vae_features": 32,
              "latent_dim": 2},
    "cpu": {"attention_channels": (8, 16, 16), "vae_layers": 3, "vae_features": 16,
            "latent_dim": 3},
}


def plain_loss(econ: ECON, x: torch.Tensor) -> torch.Tensor:
    """Eq. 13 with the competition, written without Pyro (same helpers, same work)."""
    cfg, K = econ.config, len(econ.experts)
    scope = torch.ones_like(x[:, :1])
    total = 0.0
    for t in range(cfg.n_steps, 0, -1):
        with torch.no_grad():
            regions = scope.expand(K, *scope.shape) if t == 1 \
                else econ.experts.all("attend", x, scope)
            scores = expert_scores(econ, x, scope, regions)
        k = econ.competition.distribution(scores.T).sample()
        region = scope if t == 1 else econ.experts.select("attend", k, x, scope)
        mu, logvar = econ.experts.select("encode", k, x, region)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        appearance, shape = econ.experts.select("decode", k, z)
        total = total + appearance_nll(x, region, appearance, cfg.sigma_x) \
            + cfg.beta * normal_kl(mu, logvar).sum(-1) + cfg.gamma * region_kl(region, scope, shape)
        scope = next_scope(scope, region)
    return total.mean()


def plain_step(econ, opt, x):
    opt.zero_grad(set_to_none=True)
    loss = plain_loss(econ, x)
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


def matmul_gflops(device, n=2048, reps=10) -> float:
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
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


def bench_one(size, nets, strategy, K, T, B, reps, device) -> dict:
    pyro.set_rng_seed(0)
    pyro.enable_validation(False)
    cfg = ECONConfig(n_experts=K, n_steps=T, image_size=size, expert_strategy=strategy,
                     competition="stochastic", temperature=1e4, **NETS[nets])
    econ = ECON(cfg).to(device)
    opt = torch.optim.Adam(econ.parameters(), lr=1e-4)
    x = ProceduralScenes(SceneConfig(image_size=size), B, 0).batch(0)["image"].to(device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    gflop = count_gflop(lambda: train_step(econ, opt, x))
    t_pyro = timeit(lambda: train_step(econ, opt, x), reps, sync=sync)
    t_plain = timeit(lambda: plain_step(econ, opt, x), reps, sync=sync)
    return {"size": size, "nets": nets, "strategy": strategy, "K": K, "T": T, "B": B,
            "s_per_step_pyro": t_pyro, "s_per_step_plain": t_plain,
            "pyro_overhead": t_pyro / t_plain - 1, "images_per_s": B / t_pyro,
            "gflop_per_step": gflop, "gflops_achieved": gflop / t_pyro}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="econ-pyro bench", description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[32, 64])
    ap.add_argument("--nets", nargs="+", default=["paper"], choices=list(NETS))
    ap.add_argument("--strategies", nargs="+", default=["loop", "vmap"])
    ap.add_argument("-K", type=int, default=4)
    ap.add_argument("-T", type=int, default=4)
    ap.add_argument("-B", type=int, default=32)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    ap.add_argument("--out", default=None, help="write results as JSON here")
    args = ap.parse_args(argv)
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    info = cpu_info()
    peak = statistics.median(matmul_gflops(device) for _ in range(3))
    print(json.dumps(info))
    print(f"dense fp32 matmul 2048^2: {peak:.1f} GFLOP/s (median of 3)")
    rows = []
    hdr = (f"{'size':>4} {'nets':>6} {'strategy':>8} {'s/step pyro':>11} {'s/step torch':>12} "
           f"{'pyro ovh':>8} {'img/s':>7} {'GFLOP':>7} {'GFLOP/s':>8} {'of peak':>7}")
    print(hdr)
    for size in args.sizes:
        for nets in args.nets:
            for strategy in args.strategies:
                r = bench_one(size, nets, strategy, args.K, args.T, args.B, args.reps, device)
                r["fraction_of_matmul_peak"] = r["gflops_achieved"] / peak
                rows.append(r)
                print(f"{size:>4} {nets:>6} {strategy:>8} {r['s_per_step_pyro']:>11.3f} "
                      f"{r['s_per_step_plain']:>12.3f} {r['pyro_overhead']:>8.1%} "
                      f"{r['images_per_s']:>7.1f} {r['gflop_per_step']:>7.1f} "
                      f"{r['gflops_achieved']:>8.1f} {r['fraction_of_matmul_peak']:>7.2f}",
                      flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"machine": info, "matmul_gflops": peak, "results": rows}, f, indent=2)


if __name__ == "__main__":
    main()
