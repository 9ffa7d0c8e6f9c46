"""usage: merge_checks.py RUN [RUN ...] -- every merge check (restart_check) of each attempt of
a run (abandoned attempts first, from RUN/attempts/), one line per attempt: step, the share of
validation scenes in which one expert won two or more object steps, and the verdict."""
import json
import sys
from pathlib import Path

for run in map(Path, sys.argv[1:]):
    for metrics in [*sorted(run.glob("attempts/*/metrics.jsonl")), run / "metrics.jsonl"]:
        checks = [d for d in map(json.loads, metrics.open()) if "restart_check" in d]
        line = ", ".join(f"{d['step']}: {d['restart_check']['merged_share']:.2f}"
                         + (" RESTART" if d["restart_check"]["restart"] else "")
                         for d in checks)
        print(f"{metrics.parent}: {line or 'no check'}")
