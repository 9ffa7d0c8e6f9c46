"""Round 25: every run of rounds 20-24 evaluated at its last and at its best checkpoint
(lowest validation loss; 1000 held-out scenes each, the same scenes).

usage: python best_vs_last.py RUNS_ROOT  (from docs/results; RUNS_ROOT holds r20 ... r24,
the run folders, for the checkpoints' steps; the evaluations are read from roundNN/ev/)
"""

import json
import sys
from pathlib import Path

import torch

RUNS = ["r24/def-s35", "r24/def-s36", "r24/cand-s33", "r24/cand-s34", "r24/spare-s34",
        "r24/cont10-s35", "r24/cont20-s35", "r24/mgtaker-s2021", "r24/mgspare-s2021",
        "r23/all-s31", "r23/all-s32", "r23/take-s30", "r23/taker-s30", "r22/both-s27",
        "r22/both-s28", "r22/both-s29", "r22/both-s30", "r22/mg-s14", "r22/mg-s2021",
        "r21/def-s25", "r21/def-s26", "r21/win-s14", "r21/win-s2021", "r20/hot-s13",
        "r20/hot-s14", "r20/hot-s2021", "r20/hot-s22"]
KEYS = ["fg_ari", "purity", "distinct", "background_last", "depth", "amodal_occl", "count", "mse"]


def metrics(path: Path) -> dict:
    m = json.loads(path.read_text())
    s = m["specialisation"]
    return {"fg_ari": m["fg_ari"]["mean"], "purity": s["purity"],
            "distinct": s["distinct_experts"], "background_last": m["background_last"]["mean"],
            "depth": m["depth_order_accuracy"]["mean"],
            "amodal_occl": m["amodal_iou_occluded"]["mean"],
            "count": m["object_count_accuracy"]["mean"], "mse": m["mse"]["mean"]}


def step(ckpt: Path) -> int:
    return int(torch.load(ckpt, map_location="cpu", weights_only=False)["state"]["step"])


def fmt(v) -> str:
    return ("yes" if v else "no") if isinstance(v, bool) else f"{v:.3f}"


def main(root: Path) -> None:
    here = Path(__file__).resolve().parent.parent
    print("| run | last step | best step | " + " | ".join(f"{k} last / best" for k in KEYS)
          + " |")
    print("|---" * (3 + len(KEYS)) + "|")
    better = {k: 0 for k in KEYS}
    worse = {k: 0 for k in KEYS}
    diffs = {k: [] for k in KEYS}
    n = 0
    for run in RUNS:
        rnd, name = run.split("/")
        last_ev = here / f"round{rnd[1:]}" / "ev" / f"{name}-r0.json"
        best_ev = here / "round25" / "ev" / f"{rnd}-{name}-best.json"
        if run == "r24/def-s35":  # evaluated at its best checkpoint in round 24 already
            best_ev = here / "round24" / "ev" / "def-s35-best-r0.json"
        a, b = metrics(last_ev), metrics(best_ev)
        ls, bs = step(root / run / "last.pt"), step(root / run / "best.pt")
        print(f"| {run} | {ls} | {bs} | "
              + " | ".join(f"{fmt(a[k])} / {fmt(b[k])}" for k in KEYS) + " |")
        if ls == bs:
            continue
        n += 1
        for k in KEYS:
            sign = -1 if k == "mse" else 1
            d = sign * (float(b[k]) - float(a[k]))
            diffs[k].append((d, run))
            better[k] += d > 1e-9
            worse[k] += d < -1e-9
    print(f"\nruns whose best checkpoint is not the last: {n}")
    for k in KEYS:
        print(f"{k}: best checkpoint better in {better[k]}, worse in {worse[k]}, "
              f"equal in {n - better[k] - worse[k]}; largest gain {max(diffs[k])[0]:+.3f} "
              f"({max(diffs[k])[1]}), largest loss {min(diffs[k])[0]:+.3f} ({min(diffs[k])[1]})"
              + (" (MSE: sign flipped, + is lower)" if k == "mse" else ""))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
