"""Markdown rows from `econ-pyro evaluate --out` JSON files: python table.py ev/*.json"""
import json
import sys
from pathlib import Path

COLS = [("FG-ARI", "fg_ari"), ("bg last", "background_last"), ("depth", "depth_order_accuracy"),
        ("amodal occl.", "amodal_iou_occluded"), ("amodal all", "amodal_iou"),
        ("hidden recall", "hidden_recall"), ("count", "object_count_accuracy"), ("MSE", "mse"),
        ("shape class", "shape_class_accuracy")]


def row(path: Path) -> str:
    d = json.loads(path.read_text())
    sp = d["specialisation"]
    cells = [path.stem, f"{d['fg_ari']['mean']:.3f}", f"{sp['purity']:.3f}",
             "yes" if sp["distinct_experts"] else "no"]
    cells += [f"{d[k]['mean']:.4f}" if k == "mse" else f"{d[k]['mean']:.3f}" for _, k in COLS[1:]]
    cg = d.get("controlled_generation") or {}
    acc = cg.get("layer_class_accuracy", cg.get("accuracy"))
    cells.append(f"{acc:.3f}" if isinstance(acc, float) else "")
    cells.append(str(d.get("dead_experts", [])) if d.get("dead_experts") else "none")
    cells.append("`" + json.dumps(sp["contingency"]).replace(" ", "") + "`")
    return "| " + " | ".join(cells) + " |"


if __name__ == "__main__":
    head = ["run", "FG-ARI", "purity", "distinct"] + [c for c, _ in COLS[1:]] + [
        "controlled", "dead", "class × expert"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for p in sys.argv[1:]:
        print(row(Path(p)))
