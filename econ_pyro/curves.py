"""Training curves: the dashboard metrics of a run against wall-clock minutes and steps.

Reads a run's ``metrics.jsonl`` (written by the trainer at every evaluation),
so it works on finished, interrupted and still-running runs alike.
"""

from __future__ import annotations

import json
from pathlib import Path

from .config import ConfigError

COLUMNS = ("fg_ari", "purity", "distinct_experts", "depth_order_accuracy",
           "background_last", "amodal_iou_occluded", "dead_experts")


def history(run) -> list[dict]:
    """One record per evaluation: step, minutes, validation loss and dashboard metrics."""
    path = Path(run) / "metrics.jsonl"
    if not path.is_file():
        raise ConfigError(f"{run} has no metrics.jsonl (not a run folder?)")
    rows = []
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        if "val_loss" not in rec:
            continue
        rows.append({"step": rec["step"], "minutes": rec["elapsed"] / 60,
                     "val_loss": rec["val_loss"], **rec.get("dashboard", {})})
    return rows


def first_reaching(rows: list[dict], purity: float = 0.9, fg_ari: float = 0.9,
                   distinct: bool = True) -> dict | None:
    """The first evaluation meeting the targets (distinct experts, purity, FG-ARI)."""
    for r in rows:
        if r.get("purity", 0) >= purity and r.get("fg_ari", 0) >= fg_ari and \
                (r.get("distinct_experts") or not distinct):
            return r
    return None


def format_history(rows: list[dict], every: int = 1) -> str:
    head = f"{'step':>6} {'min':>5} {'val loss':>9} " + " ".join(f"{c[:12]:>12}" for c in COLUMNS)
    lines = [head]
    for i, r in enumerate(rows):
        if i % every and i != len(rows) - 1:
            continue
        cells = []
        for c in COLUMNS:
            v = r.get(c, "")
            cells.append(f"{v:>12.3f}" if isinstance(v, float) else f"{v!s:>12}")
        lead = f"{r['step']:>6} {r['minutes']:>5.1f} {r['val_loss']:>9.1f} "
        lines.append(lead + " ".join(cells))
    return "\n".join(lines)


def plot(runs: dict[str, list[dict]], path) -> Path:
    """Validation loss, FG-ARI, purity, depth order and occluded amodal IoU vs minutes."""
    from .viz import pyplot

    plt = pyplot()

    keys = ("val_loss", "fg_ari", "purity", "depth_order_accuracy", "amodal_iou_occluded")
    fig, axes = plt.subplots(1, len(keys), figsize=(3.2 * len(keys), 2.8))
    for name, rows in runs.items():
        for ax, k in zip(axes, keys, strict=True):
            pts = [(r["minutes"], r[k]) for r in rows if k in r]
            if pts:
                ax.plot(*zip(*pts, strict=True), label=name, lw=1)
    for ax, k in zip(axes, keys, strict=True):
        ax.set_title(k, fontsize=9)
        ax.set_xlabel("minutes")
        if k == "val_loss":
            ax.set_yscale("log")
    axes[-1].legend(fontsize=7)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
