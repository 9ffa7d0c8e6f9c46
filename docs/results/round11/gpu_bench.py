"""A short GPU bench (#8): the training step of the CPU nets (32 px) and the paper nets
(64 px) through Pyro and in plain torch, and ``torch.cuda.max_memory_allocated`` of
the step against the number of experts K and steps T, with the competition without
autograd (default) and with every expert's graph kept (``all_graphs``).

usage: python gpu_bench.py OUT.json [--check]   (--check: a seconds-long CPU run of the
same code, small sizes, to test the script)
"""
import gc
import json
import sys

import torch

from econ_pyro import bench

CHECK = "--check" in sys.argv
dev = torch.device("cpu" if CHECK else "cuda")
SIZE, NETS, REPS = (32, "cpu", 1) if CHECK else (64, "paper", 3)
out = {"gpu": "cpu check" if CHECK else torch.cuda.get_device_name(),
       "torch": torch.__version__,
       "matmul_gflops_fp32": bench.matmul_gflops(dev, n=512 if CHECK else 8192, reps=5)}
print(f"{out['gpu']}: fp32 matmul {512 if CHECK else 8192}^2 "
      f"{out['matmul_gflops_fp32']:.0f} GFLOP/s", flush=True)
out["steps"] = []
for size, nets in ((32, "cpu"),) + (() if CHECK else ((64, "paper"),)):
    r = bench.bench_one(size, nets, "loop", 4, 4, 32, REPS + 2, dev)
    out["steps"].append(r)
    print(f"step {size}px {nets}: pyro {r['s_per_step_pyro']*1e3:.1f} ms, plain "
          f"{r['s_per_step_plain']*1e3:.1f} ms, overhead {r['pyro_overhead']:+.1%}, "
          f"{r['images_per_s']:.0f} img/s, {r['gflops_achieved']:.0f} GFLOP/s", flush=True)
out["memory"] = []
Ks = (1, 2) if CHECK else (1, 2, 4, 8)
specs = [{**bench.BASE, "size": SIZE, "nets": NETS, "K": k} for k in Ks]
specs += [{**bench.BASE, "size": SIZE, "nets": NETS, "T": t} for t in (2, 6)]
specs += [{**bench.BASE, "size": SIZE, "nets": NETS, "K": k, "variant": "all_graphs"}
          for k in Ks]
for spec in specs:
    gc.collect()
    if not CHECK:
        torch.cuda.empty_cache()
    before = 0.0 if CHECK else torch.cuda.memory_allocated() / 2**20
    r = bench.measure(spec, reps=REPS, device=dev.type)
    r["allocated_before_mb"] = before
    out["memory"].append(r)
    mem = r.get("cuda_max_allocated_mb", r["peak_rss_mb"]) - before
    print(f"{SIZE}px {NETS} K={spec['K']} T={spec['T']} {spec['variant']:>10}: "
          f"{r['s_per_step']*1e3:.1f} ms/step, max allocated {mem:.0f} MiB", flush=True)
with open(sys.argv[1], "w") as f:
    json.dump(out, f, indent=2)
