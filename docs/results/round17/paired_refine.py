"""Paired comparison of refinement under the fitted mixture prior against N(0, I) on the
same occluded objects (per-object occluded amodal IoU from `econ-pyro evaluate --refine 30`
with and without --standard-prior; ev/*-r30-{fitted,std}.json).  Usage (from this folder):
python paired_refine.py"""
import json

import numpy as np

for m in ["cpu-unique", "fin-s13", "fin-s14"]:
    a, b = (np.array(json.load(open(f"ev/{m}-r30-{v}.json"))["per_object"]["amodal_iou_occluded"],
                     dtype=float) for v in ("std", "fitted"))
    d = b - a
    d = d[~np.isnan(d)]
    rng = np.random.default_rng(0)
    boot = [rng.choice(d, len(d)).mean() for _ in range(2000)]
    lo, hi = np.percentile(boot, [2.5, 97.5])
    print(f"{m:11s} {len(d)} occluded objects: fitted - N(0, I) mean {d.mean():+.4f} "
          f"(bootstrap 95% [{lo:+.4f}, {hi:+.4f}]); lower by > 0.05 in "
          f"{np.mean(d < -0.05):.3f}, higher by > 0.05 in {np.mean(d > 0.05):.3f}")
