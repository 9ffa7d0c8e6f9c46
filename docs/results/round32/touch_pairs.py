"""Round 32: are the random-colour pairs a model merges touching or apart?

Round 31's colour_pairs.py split the pair statistic (objects with >= 10 visible pixels each,
held-out random-colour scenes, seed 12345; a pair is *split* when round 28's `object_steps`
gives the two objects different inference steps) by the RGB distance of the two colours.
Here each distance bin is split again by whether the two visible masks touch
(8-neighbourhood), whatever the classes: round 29's one-part push can act only on merged
pairs that do not touch.

usage: python touch_pairs.py MODEL... [--objects 3] [--n-steps 4] [--n 1000]
"""
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "round28"))
sys.path.insert(0, str(HERE.parent / "round31"))
from colour_pairs import BINS, colour_distance, each_model  # noqa: E402
from pairs_split import decomposed_objects, touching  # noqa: E402


def touch_table(econ, scenes, n_steps):
    """{(bin, "touching"/"apart"): (share split, pairs)} and the share of merged pairs that
    touch."""
    _, vis, step, big = decomposed_objects(econ, scenes, n_steps)
    dist, split, touch = [], [], []
    o = vis.shape[1]
    for i in range(o):
        for j in range(i + 1, o):
            ok = big[:, i] & big[:, j]
            dist.append(colour_distance(scenes, i, j)[ok])
            split.append((step[:, i] != step[:, j])[ok])
            touch.append(touching(vis, i, j)[ok])
    dist, split, touch = (torch.cat(v).numpy() for v in (dist, split, touch))
    rows = {}
    for lo, hi in zip(BINS[:-1], BINS[1:], strict=True):
        for name, t in (("touching", touch), ("apart", ~touch)):
            m = (dist >= lo) & (dist < hi) & t
            rows[(f"{lo}-{hi}", name)] = (float(split[m].mean()) if m.any() else float("nan"),
                                          int(m.sum()))
    merged = ~split
    return rows, float(touch[merged].mean()), int(merged.sum()), int(len(split))


def report(name, econ, scenes, n_steps) -> None:
    rows, touch_merged, merged, pairs = touch_table(econ, scenes, n_steps)
    print(name + ":")
    for (b, kind), (v, n) in rows.items():
        print(f"  {b:>8} {kind:<9} {v:.3f} ({n})")
    print(f"  merged pairs {merged} of {pairs}; of them touching {touch_merged:.3f}")


def main():
    each_model("share of object pairs taken in separate steps by RGB distance, touching / "
               "apart (pairs)", report)


if __name__ == "__main__":
    main()
