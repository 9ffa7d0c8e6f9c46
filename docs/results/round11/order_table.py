"""Table of the round-11 order experiment: one row per evaluation JSON in a folder
(``econ-pyro evaluate --out``), plus mean ± sd over the seeds of each variant (the
across-runs aggregate of ``econ-pyro evaluate RUN RUN ...``, but with the population sd,
as published in round 11; the library now reports the sample sd).

usage: python order_table.py FOLDER
"""
import json
import sys
from collections import defaultdict
from pathlib import Path

from econ_pyro.cli.evaluate import aggregate

# (column, metric key): a per-run {"mean": ...} metric, or a specialisation entry
COLS = [("FG-ARI", "fg_ari"), ("purity", "purity"), ("distinct", "distinct_experts"),
        ("bg last", "background_last"), ("depth", "depth_order_accuracy"),
        ("amodal occl", "amodal_iou_occluded"), ("hidden rec", "hidden_recall"),
        ("count", "object_count_accuracy"), ("MSE", "mse"),
        ("shape cls", "shape_class_accuracy")]


def value(d: dict, key: str) -> float:
    return float(d["specialisation"][key]) if key in d["specialisation"] else d[key]["mean"]


def cell(col: str, v: float, sd: float | None = None) -> str:
    if col == "MSE":
        return f"{v:.4f}"
    return f"{v:.3f}" if sd is None else f"{v:.3f} ± {sd:.3f}"


def main(folder):
    rows, groups = {}, defaultdict(list)
    for f in sorted(Path(folder).glob("*.json")):
        d = json.loads(f.read_text())
        if "fg_ari" not in d:  # not an evaluation (e.g. gpu-bench.json)
            continue
        rows[f.stem] = d
        variant = f.stem.split("-s")[0] + ("-own" if f.stem.endswith("-own") else "")
        groups[variant].append(d)
    head = "| " + " | ".join(c for c, _ in COLS) + " |"
    rule = "|---" * (len(COLS) + 1) + "|"
    print("| run " + head + "\n" + rule)
    for name, d in rows.items():
        print(f"| {name} | " + " | ".join(cell(c, value(d, k)) for c, k in COLS) + " |")
    print()
    print("| variant (seeds) " + head + "\n" + rule)
    for g, results in groups.items():
        agg = aggregate(results, ddof=0)  # population sd, as published in round 11
        print(f"| {g} ({len(results)}) | "
              + " | ".join(cell(c, agg[k]["mean"], agg[k]["sd"]) for c, k in COLS) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
