"""Table of the round-11 order experiment: one row per evaluation JSON in a folder
(``econ-pyro evaluate --out``), plus means over the seeds of each variant.

usage: python order_table.py FOLDER
"""
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

COLS = [("FG-ARI", lambda d: d["fg_ari"]["mean"]),
        ("purity", lambda d: d["specialisation"]["purity"]),
        ("distinct", lambda d: int(d["specialisation"]["distinct_experts"])),
        ("bg last", lambda d: d["background_last"]["mean"]),
        ("depth", lambda d: d["depth_order_accuracy"]["mean"]),
        ("amodal occl", lambda d: d["amodal_iou_occluded"]["mean"]),
        ("hidden rec", lambda d: d["hidden_recall"]["mean"]),
        ("count", lambda d: d["object_count_accuracy"]["mean"]),
        ("MSE", lambda d: d["mse"]["mean"]),
        ("shape cls", lambda d: d["shape_class_accuracy"]["mean"])]


def main(folder):
    rows, groups = {}, defaultdict(list)
    for f in sorted(Path(folder).glob("*.json")):
        d = json.loads(f.read_text())
        if "fg_ari" not in d:  # not an evaluation (e.g. gpu-bench.json)
            continue
        rows[f.stem] = [fn(d) for _, fn in COLS]
        variant = f.stem.split("-s")[0] + ("-own" if f.stem.endswith("-own") else "")
        groups[variant].append(rows[f.stem])
    print("| run | " + " | ".join(c for c, _ in COLS) + " |")
    print("|---" * (len(COLS) + 1) + "|")
    for name, vals in rows.items():
        print(f"| {name} | " + " | ".join(f"{v:.4f}" if c == "MSE" else f"{v:.3f}"
                                           for (c, _), v in zip(COLS, vals, strict=True)) + " |")
    print()
    print("| variant (seeds) | " + " | ".join(c for c, _ in COLS) + " |")
    print("|---" * (len(COLS) + 1) + "|")
    for g, vals in groups.items():
        cells = []
        for i, (c, _) in enumerate(COLS):
            xs = [v[i] for v in vals]
            m = statistics.mean(xs)
            sd = statistics.pstdev(xs) if len(xs) > 1 else 0.0
            cells.append(f"{m:.4f}" if c == "MSE" else f"{m:.3f} ± {sd:.3f}")
        print(f"| {g} ({len(vals)}) | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
