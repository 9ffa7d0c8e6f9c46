"""What the completion loss costs per training step (round 12).

The shipped cpu-unique model's training step (batch 32, the trainer's own step: ELBO,
backward, Adam) with and without `train.completion_loss`, interleaved so that whatever else
runs on the machine slows both alike; median of REPS each after 2 warm-up steps.

Run: OMP_NUM_THREADS=1 python docs/results/round12/completion_cost.py [REPS]
"""

import statistics
import sys
import time

import torch

from econ_pyro.training import resolve_config
from econ_pyro.training.trainer import Trainer

torch.set_num_threads(1)


def trainer(weight, out):
    cfg = resolve_config("cpu-unique", sets=[
        "train.init_from=cpu-unique", f"train.completion_loss={weight}", "train.val_size=4",
        "train.dashboard=false", "model.min_region=10", "train.temperature_start=null",
        "model.temperature=300"])
    return Trainer(cfg, out, log=lambda *_: None)


def main(reps):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        runs = {w: trainer(w, f"{d}/{w}") for w in (0.0, 1.0)}
        x, kw = runs[0.0]._inputs(runs[0.0].data.batch(0))
        times = {w: [] for w in runs}
        for i in range(reps + 2):
            for w, tr in runs.items():
                t0 = time.perf_counter()
                tr._step(x, kw)
                if i >= 2:
                    times[w].append(time.perf_counter() - t0)
        base, comp = (statistics.median(times[w]) for w in (0.0, 1.0))
        print(f"step without {base:.3f} s, with the completion loss {comp:.3f} s "
              f"(x {comp / base:.2f}), median of {reps}, batch 32, one thread")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
