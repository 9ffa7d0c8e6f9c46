"""Round 33: paired differences between two evaluations of the same held-out scenes.

Both JSONs must come from `econ-pyro evaluate` with the same scenes (same --n, seed and data
options): each scene's FG-ARI (`per_scene`) and each object's occluded amodal IoU
(`per_object`) are then paired, and the mean difference B - A is printed with a 95 % interval
(normal approximation over scenes / objects).  The interval covers the scene-to-scene noise
of this one comparison, not the run-to-run spread of training.

usage: python paired_diff.py A.json B.json [B2.json ...]
"""

import json
import math
import sys


def paired(a, b):
    d = [y - x for x, y in zip(a, b, strict=True) if x == x and y == y]  # skip nan pairs
    n = len(d)
    mean = sum(d) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in d) / (n - 1))
    return mean, 1.96 * sd / math.sqrt(n), n


def load(path):
    with open(path) as f:
        return json.load(f)


def main(paths):
    base = load(paths[0])
    for p in paths[1:]:
        other = load(p)
        parts = []
        for group, key in (("per_scene", "fg_ari"), ("per_object", "amodal_iou_occluded")):
            m, h, n = paired(base[group][key], other[group][key])
            parts.append(f"{key} {m:+.4f} ± {h:.4f} (n {n})")
        print(f"{p} - {paths[0]}: " + ";  ".join(parts))


if __name__ == "__main__":
    main(sys.argv[1:])
