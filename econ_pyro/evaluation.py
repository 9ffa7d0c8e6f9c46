"""Evaluate a trained model on scenes with ground truth (decompose, then measure)."""

from __future__ import annotations

import numpy as np
import torch

from .data import Scenes, scenes_to_tensors
from .generate import decompose, sample
from .layers import regions_from_shapes
from .metrics import MIN_LAYER_PIXELS, classify_shapes, evaluate_decomposition


def controlled_generation(econ, assignment: dict, object_classes, n: int = 200,
                          seed: int = 0) -> dict:
    """Sample scenes with a chosen expert order and check what the layers show.

    ``assignment`` maps class -> expert (class 0 = background), e.g. the
    Hungarian assignment of :func:`metrics.specialisation`.  The background's
    expert comes first, then each object class's expert once, in a random order
    per scene.  Each object layer's shape (m~ > 0.5) is classified by the
    nearest-template classifier; reported: the fraction of object layers showing
    the class their expert stands for, the fraction of scenes in which every
    object keeps at least ``MIN_LAYER_PIXELS`` visible pixels, and the latent prior
    sampled (``"N(0, I)"`` or ``"fitted mixture"``, ``econ_pyro.latent_prior``).
    """
    prior = "N(0, I)" if econ.prior_weights is None else "fitted mixture"
    objs = [c for c in object_classes if c in assignment]
    if 0 not in assignment or not objs:
        return {"layer_class_accuracy": float("nan"), "all_objects_visible": float("nan"),
                "n": 0, "prior": prior}
    rng = np.random.default_rng(seed)
    correct = total = visible_ok = 0
    for i in range(n):
        order = [int(c) for c in rng.permutation(objs)]
        s = sample(econ, experts=[assignment[0]] + [assignment[c] for c in order], n=1,
                   seed=seed * 100_003 + i)
        shapes = (s["shapes"][0, 1:] > 0.5).cpu().numpy()
        pred = classify_shapes(shapes, list(object_classes))
        correct += int((pred == np.array(order)).sum())
        total += len(order)
        layers = [torch.ones_like(s["shapes"][:, :1])] + \
            [(s["shapes"][:, t:t + 1] > 0.5).float() for t in range(1, len(order) + 1)]
        vis = [r.sum().item() for r in regions_from_shapes(layers)[1:]]
        visible_ok += int(all(v >= MIN_LAYER_PIXELS for v in vis))
    return {"layer_class_accuracy": correct / total, "all_objects_visible": visible_ok / n,
            "n": n, "prior": prior}


def _supervised(econ) -> bool:
    return bool(getattr(econ, "run_config", {}).get("train", {}).get("supervise_regions"))


def evaluate(econ, scenes: Scenes, deterministic: bool = True, n_steps: int | None = None,
             seed: int = 0, baselines: bool = True, controlled: int = 0, refine: int = 0,
             refine_lr: float = 0.1, posterior_mean: bool = False) -> dict:
    """Metrics of ``econ`` on ``scenes`` (see :func:`metrics.evaluate_decomposition`);
    with ``controlled > 0`` also :func:`controlled_generation` on that many samples;
    ``refine`` / ``refine_lr``: refine the winners' latents; ``posterior_mean``: decode the
    winners' posterior means instead of samples (see :func:`generate.decompose`)."""
    tensors = scenes_to_tensors(scenes)
    # a model trained with ground-truth regions (K = 1, Fig. 5) is evaluated with them too
    gt = tensors["visible"] if _supervised(econ) else None
    with torch.random.fork_rng(devices=[]):  # seeded, without touching the caller's RNG
        torch.manual_seed(seed)
        d = decompose(econ, tensors["image"], deterministic=deterministic, n_steps=n_steps,
                      gt_regions=gt, refine=refine, refine_lr=refine_lr,
                      posterior_mean=posterior_mean)
    pred = {k: v.numpy() for k, v in d.items()}
    out = evaluate_decomposition(scenes.arrays(), pred, econ.config.n_experts, seed=seed,
                                 baselines=baselines)
    out["dead_experts"] = [k for k in range(econ.config.n_experts)
                           if not np.any(pred["experts"] == k)]
    if controlled:
        present = scenes.classes[scenes.classes > 0]
        out["controlled_generation"] = controlled_generation(
            econ, out["specialisation"]["assignment"], sorted(set(present.tolist())),
            n=controlled, seed=seed)
    return out


def dashboard(m: dict) -> dict:
    """The few numbers that tell whether experts specialise (for training logs)."""
    sp = m["specialisation"]
    return {"fg_ari": m["fg_ari"]["mean"], "ari": m["ari"]["mean"],
            "amodal_iou_occluded": m.get("amodal_iou_occluded", {}).get("mean", float("nan")),
            "depth_order_accuracy": m["depth_order_accuracy"]["mean"],
            "background_last": m["background_last"]["mean"],
            # how recognisable the decoded shapes of unoccluded objects are (nearest template)
            "shape_class_accuracy": m.get("shape_class_accuracy", {}).get("mean", float("nan")),
            # occluded objects explained before an occluder (the order that trains cut shapes)
            "occluded_before_occluder": m.get("occluded_before_occluder", {}).get(
                "mean", float("nan")),
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
    if "controlled_generation" in m:
        cg = m["controlled_generation"]
        lines.append(f"{'controlled gen.: layer class acc.':<32} "
                     f"{cg['layer_class_accuracy']:>8.3f}")
        lines.append(f"{'controlled gen.: all visible':<32} {cg['all_objects_visible']:>8.3f}")
        lines.append(f"{'controlled gen.: latent prior':<32} {cg.get('prior', 'N(0, I)'):>8}")
    if m.get("occluded_by_class"):
        lines.append("occluded objects by class (amodal IoU, explained before an occluder, n):")
        lines += [f"  class {c}: {v['amodal_iou']:.3f}  {v['before_occluder']:.3f}  {v['n']}"
                  for c, v in m["occluded_by_class"].items()]
    lines.append("class x expert (rows: background, circle, square, triangle, ...):")
    lines += ["  " + " ".join(f"{c:6d}" for c in row) for row in sp["contingency"]]
    return "\n".join(lines)
