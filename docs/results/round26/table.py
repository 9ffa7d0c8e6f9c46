"""Round 26: one table row per held-out evaluation (ev/*.json, written by econ-pyro evaluate).
usage: python table.py ev/RUN.json ..."""
import json
import sys


def val(m, key):
    v = m[key]
    return v["mean"] if isinstance(v, dict) else v


print("| run | FG-ARI | purity | distinct | bg last | depth | occl. amodal | count | MSE "
      "| class x expert |")
print("|---|---|---|---|---|---|---|---|---|---|")
for path in sys.argv[1:]:
    m = json.load(open(path))
    sp = m["specialisation"]
    print(f"| {path.split('/')[-1].removesuffix('.json')} | {val(m, 'fg_ari'):.3f} | "
          f"{sp['purity']:.3f} | {'yes' if sp['distinct_experts'] else 'no'} | "
          f"{val(m, 'background_last'):.3f} | {val(m, 'depth_order_accuracy'):.3f} | "
          f"{val(m, 'amodal_iou_occluded'):.3f} | {val(m, 'object_count_accuracy'):.3f} | "
          f"{val(m, 'mse'):.4f} | `{json.dumps(sp['contingency']).replace(' ', '')}` |")
