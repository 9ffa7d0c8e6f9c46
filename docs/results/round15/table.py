"""Markdown rows of evaluations (round 15).  Usage: python table.py LABEL=EVAL.json ..."""

import json
import sys


def row(name, path):
    m = json.load(open(path))
    c = {k: v["amodal_iou"] for k, v in m["occluded_by_class"].items()}
    return (f"| {name} | {m['fg_ari']['mean']:.3f} | {m['specialisation']['purity']:.3f} | "
            f"{m['depth_order_accuracy']['mean']:.3f} | "
            f"{m['amodal_iou_occluded']['mean']:.3f} / {m['amodal_iou']['mean']:.3f} | "
            f"{c['1']:.3f} / {c['2']:.3f} / {c['3']:.3f} | "
            f"{m['hidden_recall']['mean']:.3f} | {m['shape_class_accuracy']['mean']:.3f} | "
            f"{m['object_count_accuracy']['mean']:.3f} | {m['mse']['mean']:.4f} |")


print("| model, decoded latent | FG-ARI | purity | depth | amodal occl. / all | occl. circle / "
      "square / triangle | hidden recall | shape class | count | MSE |")
print("|---|---|---|---|---|---|---|---|---|---|")
for arg in sys.argv[1:]:
    print(row(*arg.split("=")))
