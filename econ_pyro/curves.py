"""Training curves: the dashboard metrics of a run against wall-clock minutes and steps.

Reads a run's ``metrics.jsonl`` (written by the trainer at every evaluation),
so it works on finished, interrupted and still-running runs alike.
"""

from __future__ import annotations

import json
from pathlib import Path

from .config import ConfigError

COLUMNS = ("fg_ari", "purity", "distinct_experts", "depth_order_accuracy",
           "background_last", "amodal_iou_occluded", "dead_experts", "merge_share")
# the label-free checks that decompose the validation scenes and record merge_check's share
CHECKS = ("restart_check", "split_check", "reservation_check")


def restarts(run) -> list[dict]:
    """The run's abandoned attempts (``train.restart_merged_at`` / ``restart_unreserved_at``),
    oldest first, from its config.json: step, seed, elapsed seconds, reason, ..."""
    path = Path(run) / "config.json"
    return json.loads(path.read_text()).get("restarts", []) if path.is_file() else []


def history(run) -> list[dict]:
    """One record per evaluation of the run's current attempt: step, minutes, validation
    loss and dashboard metrics.  Minutes count from the start of the run, so after a restart
    they include the abandoned attempts' training time; steps are the attempt's.  Where a
    label-free check (``CHECKS``) ran at the step, ``merge_share``: the share of validation
    scenes in which one expert won two or more object steps (a merged run nears 1)."""
    path = Path(run) / "metrics.jsonl"
    if not path.is_file():
        raise ConfigError(f"{run} has no metrics.jsonl (not a run folder?)")
    before = sum(r["elapsed"] for r in restarts(run))
    records = [json.loads(line) for line in path.read_text().splitlines()]
    shares = {r["step"]: r[k]["merged_share"] for r in records for k in CHECKS
              if "merged_share" in r.get(k, {})}
    rows = []
    for rec in records:
        if "val_loss" not in rec:
            continue
        share = {"merge_share": shares[rec["step"]]} if rec["step"] in shares else {}
        rows.append({"step": rec["step"], "minutes": (rec["elapsed"] + before) / 60,
                     "val_loss": rec["val_loss"], **rec.get("dashboard", {}), **share})
    return rows


def meets(r: dict, purity: float = 0.9, fg_ari: float = 0.9, distinct: bool = True) -> bool:
    """Whether an evaluation meets the targets (distinct experts, purity, FG-ARI)."""
    return (r.get("purity", 0) >= purity and r.get("fg_ari", 0) >= fg_ari
            and bool(r.get("distinct_experts") or not distinct))


def first_reaching(rows: list[dict], **targets) -> dict | None:
    """The first evaluation meeting the targets (``meets``), or None."""
    return next((r for r in rows if meets(r, **targets)), None)


def held_after(rows: list[dict], first: dict, **targets) -> tuple[int, int]:
    """Of the evaluations from ``first`` on, how many meet the targets, and how many there
    are: a run that met them once may lose them again."""
    later = rows[rows.index(first):]
    return sum(meets(r, **targets) for r in later), len(later)


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
