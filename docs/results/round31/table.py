"""Round 31: one line of metrics per group of evaluation JSONs (`econ-pyro evaluate --out`);
a comma-separated group gives mean +- sample sd over its files, then the single values.

usage: python table.py ev/a-s0-in.json,ev/a-s1-in.json ev/b-in.json ...
"""
import json
import statistics as st
import sys

METRICS = ["fg_ari", "background_last", "depth_order_accuracy", "amodal_iou_occluded",
           "object_count_accuracy"]


def row(paths):
    vals = {}
    for p in paths:
        d = json.load(open(p))
        for k in METRICS:
            vals.setdefault(k, []).append(d[k]["mean"])
        vals.setdefault("purity", []).append(d["specialisation"]["purity"])
        vals.setdefault("distinct", []).append(d["specialisation"]["distinct_experts"])
    out = []
    for k, v in vals.items():
        if k == "distinct":
            out.append(f"{k} {sum(v)}/{len(v)}")
        elif len(v) > 1:
            each = " / ".join(f"{x:.3f}" for x in v)
            out.append(f"{k} {st.mean(v):.3f} ± {st.stdev(v):.3f} ({each})")
        else:
            out.append(f"{k} {v[0]:.3f}")
    return "; ".join(out)


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(arg, "::", row(arg.split(",")))
