"""Dense matmul (2048^2) in fp32 and bf16 and one 64->64 3x3 conv (32 px, batch 32,
channels_last) in both precisions, median of 10 after 2 warm-ups, torch's threads.
Run in session 20 right after the sweep (bench-sweep2-s20.txt), nothing else running;
the sweep of later code measures the bf16 matmul itself."""
import statistics
import time

import torch


def rate(fn, flop, reps=10):
    for _ in range(2):
        fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return flop / statistics.median(ts) / 1e9


print("threads", torch.get_num_threads())
n = 2048
for d in (torch.float32, torch.bfloat16, torch.float32, torch.bfloat16):
    a, b = torch.randn(n, n, dtype=d), torch.randn(n, n, dtype=d)
    print(d, f"{rate(lambda a=a, b=b: a @ b, 2 * n**3):.1f} GFLOP/s")
x, w = torch.randn(32, 64, 32, 32), torch.randn(64, 64, 3, 3)
for d in (torch.float32, torch.bfloat16):
    xx = x.to(d).contiguous(memory_format=torch.channels_last)
    ww = w.to(d).contiguous(memory_format=torch.channels_last)
    r = rate(lambda xx=xx, ww=ww: torch.nn.functional.conv2d(xx, ww, padding=1),
             2 * 32 * 64 * 64 * 9 * 32 * 32)
    print("conv 64ch cl", d, f"{r:.1f} GFLOP/s")
