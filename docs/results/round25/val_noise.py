"""Round 25: how noisy is the validation loss that drives the plateau schedule, best.pt and
the rollback?  The same checkpoint's validation loss (the run's own 100 validation scenes, τ
300 as at the end of training, the trainer's `validate` code path) under 10 RNG seeds, and
the part of the spread that comes from the competition (deterministic competition, same seeds).

usage: python val_noise.py RUN... (run folders; their last.pt)
"""

import statistics
import sys

import pyro
import torch

from econ_pyro.training import trainer as tm


def main(runs):
    pyro.enable_validation(False)
    for run in runs:
        ckpt = tm.load_checkpoint(run)
        cfg, tr = ckpt["config"], ckpt["config"]["train"]
        econ = tm._econ_from(ckpt).train()
        econ.competition.temperature = tr["temperature_end"]
        data = tm._Data(cfg, cfg["model"]["image_size"], tr["batch_size"], tr["seed"],
                        tr["val_size"])
        for mode in ("stochastic", "deterministic"):
            econ.competition.mode = mode
            vals = []
            for s in range(10):
                torch.manual_seed(s)
                batches = ((b["image"], {}) for b in data.val_batches(tr["batch_size"]))
                vals.append(tm.validation_loss(tm.ECONELBO(), econ, batches))
            print(f"{run} (step {ckpt['state']['step']}), {mode} competition, 10 seeds: "
                  f"mean {statistics.mean(vals):.1f}  sd {statistics.stdev(vals):.1f}  "
                  f"min {min(vals):.1f}  max {max(vals):.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
