"""Training throughput of the three ddp_speed.sh runs from their metrics.jsonl: median of the
logged images/s (the global batch over the step time; steps 30-300) and the elapsed training
time at each evaluation.  Usage: ddp_rates.py RUNS_FOLDER"""
import json
import statistics
import sys
from pathlib import Path

for name in ("ddp-1p1t", "ddp-1p2t", "ddp-2p1t"):
    rows = [json.loads(line) for line in (Path(sys.argv[1]) / name / "metrics.jsonl").open()]
    steps = [r for r in rows if "images_per_s" in r][2:]
    evals = [round(r["elapsed"], 1) for r in rows if "val_loss" in r]
    rate = statistics.median(r["images_per_s"] for r in steps)
    print(f"{name}: median {rate:.1f} images/s, elapsed at the evaluations {evals} s")
