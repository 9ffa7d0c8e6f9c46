"""Evaluate a trained model on scenes with ground truth (decompose, then measure)."""

from __future__ import annotations

import numpy as np
import torch

from .data import Scenes, scenes_to_tensors
from .generate import decompose
from .metrics import evaluate_decomposition


def evaluate(econ, scenes: Scenes, deterministic: bool = True, n_steps: int | None = None,
             seed: int = 0, baselines: bool = True) -> dict:
    """Metrics of ``econ`` on ``scenes`` (see :func:`metrics.evaluate_decomposition`)."""
    x = scenes_to_tensors(scenes)["image"]
    torch.manual_seed(seed)
    d = decompose(econ, x, deterministic=deterministic, n_steps=n_steps)
    pred = {k: v.numpy() for k, v in d.items()}
    out = evaluate_decomposition(scenes.arrays(), pred, econ.config.n_experts, seed=seed,
                                 baselines=baselines)
    out["dead_experts"] = [k for k in range(econ.config.n_experts)
                           if not np.any(pred["experts"] == k)]
    return out


def dashboard(m: dict) -> dict:
    """The few numbers that tell whether experts specialise (for training logs)."""
    sp = m["specialisation"]
    return {"fg_ari": m["fg_ari"]["mean"], "ari": m["ari"]["mean"],
            "amodal_iou_occluded": m.get("amodal_iou_occluded", {}).get("mean", float("nan")),
            "depth_order_accuracy": m["depth_order_accuracy"]["mean"],
            "purity": sp["purity"], "matched_accuracy": sp["matched_accuracy"],
            "distinct_experts": sp["distinct_experts"], "dead_experts": m["dead_experts"],
            "contingency": sp["contingency"]}


def format_table(m: dict) -> str:
    lines = [f"{'metric':<32} {'mean':>8} {'sd':>8} {'n':>6}"]
    for k, v in m.items():
        if isinstance(v, dict) and "mean" in v:
            sd = v.get("sd", float("nan"))
            n = v.get("n", "")
            lines.append(f"{k:<32} {v['mean']:>8.3f} {sd:>8.3f} {n!s:>6}")
    sp = m["specialisation"]
    lines.append(f"{'expert purity':<32} {sp['purity']:>8.3f}")
    lines.append(f"{'matched class accuracy':<32} {sp['matched_accuracy']:>8.3f}")
    lines.append(f"{'distinct expert per class':<32} {sp['distinct_experts']!s:>8}")
    lines.append(f"{'dead experts':<32} {m.get('dead_experts')!s:>8}")
    lines.append("class x expert (rows: background, circle, square, triangle, ...):")
    lines += ["  " + " ".join(f"{c:6d}" for c in row) for row in sp["contingency"]]
    return "\n".join(lines)
