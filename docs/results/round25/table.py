"""Markdown rows of round 25's evaluations.  usage: python table.py LABEL=EVAL.json ..."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from best_vs_last import KEYS, fmt, metrics  # noqa: E402


def row(label: str, path: str) -> str:
    m = metrics(Path(path))
    c = json.loads(Path(path).read_text()).get("controlled_generation") or {}
    ctl = c.get("layer_class_accuracy")
    return (f"| {label} | " + " | ".join(fmt(m[k]) for k in KEYS)
            + f" | {'' if ctl is None else fmt(ctl)} |")


print("| run | " + " | ".join(KEYS) + " | controlled |")
print("|---" * (len(KEYS) + 2) + "|")
for arg in sys.argv[1:]:
    print(row(*arg.split("=", 1)))
