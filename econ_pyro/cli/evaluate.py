"""`econ-pyro evaluate`."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

from ..data import KINDS, DataError, SceneConfig, generate_scenes, read_dataset
from ..data.shapes import CLASS_NAMES
from ..evaluation import evaluate as run_evaluate
from ..evaluation import format_table
from ..training import training_kind
from ..viz import pyplot
from .generate import _load
from .options import parse_count, prior_option, refine_options


def _scenes(econ, data_dir, kind, n, seed, objects, repeat_classes=False):
    if data_dir:
        scenes, _ = read_dataset(data_dir)
        return scenes.subset(slice(0, n)) if n else scenes
    lo, hi = parse_count(objects or "3")
    return generate_scenes(n, SceneConfig(kind=kind or training_kind(econ),
                                          image_size=econ.config.image_size,
                                          min_objects=lo, max_objects=hi,
                                          repeat_classes=repeat_classes), seed=seed)


def _confusion_png(m: dict, path: Path) -> None:
    try:
        plt = pyplot()
    except ImportError:
        click.echo("matplotlib not installed: no confusion-matrix plot")
        return
    table = np.array(m["specialisation"]["contingency"])
    fig, ax = plt.subplots(figsize=(4, 3.5))
    ax.imshow(table, cmap="Blues")
    for (i, j), v in np.ndenumerate(table):
        ax.text(j, i, str(v), ha="center", va="center", fontsize=8)
    ax.set_xlabel("winning expert")
    ax.set_ylabel("ground-truth class")
    names = [CLASS_NAMES.get(i, str(i)) for i in range(table.shape[0])]
    ax.set_yticks(range(table.shape[0]), names)
    ax.set_xticks(range(table.shape[1]))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _histograms_png(m: dict, path: Path) -> None:
    try:
        plt = pyplot()
    except ImportError:
        return
    values = {**m.get("per_scene", {}), **m.get("per_object", {})}
    if not values:
        return
    fig, axes = plt.subplots(1, len(values), figsize=(2.6 * len(values), 2.4), squeeze=False)
    for ax, (name, v) in zip(axes[0], values.items(), strict=True):
        ax.hist(v, bins=20)
        ax.set_title(f"{name}\nmean {np.nanmean(v):.3f}", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _mean_sd(vals: list[float], ddof: int) -> dict:
    """Mean and sd (``ddof`` 1: the sample sd; nan where fewer than ddof + 1 values) of the
    non-nan values; ``n`` counts all of them."""
    v = np.asarray(vals, dtype=float)
    ok = v[~np.isnan(v)]
    sd = float(np.std(ok, ddof=ddof)) if ok.size > ddof else float("nan")
    return {"mean": float(ok.mean()) if ok.size else float("nan"), "sd": sd, "n": len(vals)}


def aggregate(results: list[dict], ddof: int = 1) -> dict:
    """Mean and sd across runs (e.g. training seeds) of every per-run mean: the sample sd
    (``ddof`` 1) by default; ``ddof`` 0 gives the population sd (round 11's records)."""
    keys = [k for k, v in results[0].items() if isinstance(v, dict) and "mean" in v]
    agg = {k: _mean_sd([r[k]["mean"] for r in results], ddof) for k in keys}
    for key in ("purity", "matched_accuracy", "distinct_experts"):
        agg[key] = _mean_sd([float(r["specialisation"][key]) for r in results], ddof)
    if all("controlled_generation" in r for r in results):
        agg["controlled_generation"] = _mean_sd(
            [r["controlled_generation"]["layer_class_accuracy"] for r in results], ddof)
    return agg


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("runs", nargs=-1, required=True)
@click.option("--data", "data_dir", type=click.Path(), default=None,
              help="A generated dataset folder (with gt.npz). Default: generate scenes.")
@click.option("--kind", default=None, help=f"Generated scenes: {', '.join(KINDS)} "
              "(default: the run's training kind).")
@click.option("--n", "n", type=int, default=1000, show_default=True)
@click.option("--seed", type=int, default=12345, show_default=True,
              help="Seed of the generated evaluation scenes (differs from training data).")
@click.option("--objects", default=None,
              help="Objects per generated scene: N or MIN-MAX (default 3).")
@click.option("--repeat-classes", is_flag=True,
              help="Generated scenes draw classes i.i.d. (repeats allowed; out of distribution).")
@click.option("--n-steps", type=int, default=None,
              help="Inference steps (default: the model's T; raise it for more objects).")
@click.option("--controlled", type=int, default=100, show_default=True,
              help="Scenes sampled for the controlled-generation check (0: skip).")
@prior_option
@click.option("--baseline", "baseline_run", type=click.Path(exists=True), default=None,
              help="Another run (e.g. the K=1 model) evaluated with the same code on the "
                   "same scenes and reported beside the first run.")
@click.option("--min-region", type=click.FloatRange(min=0), default=None,
              help="Competition bar for this evaluation: a proposal attending fewer than this "
                   "many pixels loses to every larger one unless all are smaller "
                   "(model.min_region; 0: off; default: each model's own, e.g. 10 for "
                   "cpu-unique runs since session 9, 0 for older ones).")
@click.option("--max-region", type=click.FloatRange(min=0), default=None,
              help="Competition bar for this evaluation: a proposal attending more than this "
                   "many pixels loses to every smaller one unless all are larger, so the "
                   "background cannot win an object step (model.max_region; 0: off; "
                   "default: each model's own, 0 unless set in training).")
@refine_options
@click.option("--posterior-mean", is_flag=True,
              help="Decode each winner's posterior mean of z instead of a sample of it.")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write JSON here, plus a confusion-matrix PNG (.png) and histograms of the "
                   "per-scene/per-object values (_hist.png) next to it.")
def evaluate(runs, data_dir, kind, n, seed, objects, repeat_classes, n_steps, controlled,
             standard_prior, min_region, max_region, refine, refine_lr, posterior_mean,
             baseline_run, out):
    """Measure segmentation (ARI, FG-ARI, mSC), expert specialisation, amodal completion,
    depth order, object counts and controlled generation on scenes with ground truth,
    next to simple baselines.  Several RUNS (e.g. training seeds) are aggregated as
    mean ± sample sd across runs."""
    if min_region is not None and max_region and max_region <= min_region:
        raise click.BadParameter(f"must exceed --min-region ({min_region}), got {max_region}",
                                 param_hint="--max-region")

    def load_run(run):
        econ = _load(run, standard_prior)
        if min_region is not None:
            econ.competition.min_region = min_region
        if max_region is not None:
            econ.competition.max_region = max_region
        return econ

    def bars(econ) -> dict:  # the bars and refinement used, recorded with the metrics
        return {"min_region": econ.competition.min_region,
                "max_region": econ.competition.max_region,
                "refine": refine, "refine_lr": refine_lr if refine else None,
                "posterior_mean": posterior_mean or bool(refine)}

    results = []
    for run in runs:
        econ = load_run(run)
        try:
            scenes = _scenes(econ, data_dir, kind, n, seed, objects, repeat_classes)
            m = run_evaluate(econ, scenes, n_steps=n_steps, controlled=controlled,
                             refine=refine, refine_lr=refine_lr, posterior_mean=posterior_mean)
        except (DataError, ValueError) as e:
            raise click.ClickException(str(e)) from None
        m.update(run=str(run), **bars(econ))
        results.append(m)
        if len(runs) > 1:
            click.echo(f"== {run}")
        click.echo(format_table(m))
    report = results[0] if len(results) == 1 else {"runs": results,
                                                   "across_runs": aggregate(results)}
    if baseline_run:
        econ = load_run(baseline_run)
        try:
            scenes = _scenes(econ, data_dir, kind, n, seed, objects, repeat_classes)
            base = run_evaluate(econ, scenes, n_steps=n_steps, controlled=0, refine=refine,
                                refine_lr=refine_lr, posterior_mean=posterior_mean)
        except (DataError, ValueError) as e:
            raise click.ClickException(str(e)) from None
        base.update(run=str(baseline_run), **bars(econ))
        report = {**report, "baseline_run": base}
        click.echo(f"== baseline run {baseline_run}")
        click.echo(format_table(base))
    if len(results) > 1:
        click.echo("== across runs (mean ± sample sd of per-run means)")
        for k, v in report["across_runs"].items():
            click.echo(f"{k:<32} {v['mean']:>8.3f} ± {v['sd']:.3f}")
    if out:
        Path(out).write_text(json.dumps(report, indent=2) + "\n")
        _confusion_png(results[0], Path(out).with_suffix(".png"))
        _histograms_png(results[0], Path(out).with_name(Path(out).stem + "_hist.png"))
        click.echo(f"wrote {out}")
