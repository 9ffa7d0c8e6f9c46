"""The paper's hyperparameter search (App. C.4) on Ray Tune.

Random search over a *space* (which config keys to sample, and from what
distribution) with an ASHA early-stopping scheduler.  Every trial is an
ordinary training run (``training.train``, its own run folder with checkpoints)
that reports after each evaluation: the validation loss (the paper's selection
objective) and, alongside, the dashboard metrics (FG-ARI, purity, ...), so one
can see whether the loss picks good decompositions.

Space file (JSON or YAML)::

    {"base": "cpu-unique",                       # preset every trial starts from
     "space": {"model.latent_dim": {"randint": [2, 3]},        # both ends inclusive
               "model.gamma": {"loguniform": [0.1, 10]},
               "model.beta": {"uniform": [0.5, 2]},
               "model.score": {"choice": ["area", "paper"]}},
     "fixed": {"train.max_time": 600}}            # optional overrides for every trial

Ray is an optional extra (``pip install 'econ-pyro[tune]'``); it starts
in-process on this machine's cores unless ``address`` names a running cluster.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from .config import ConfigError
from .training.config import (
    apply_override,
    load_config_file,
    parse_sets,
    resolve_config,
    validate,
)

DISTRIBUTIONS = ("uniform", "loguniform", "randint", "choice")

# App. C.4.  K = T = 4 (three objects + background) come from the base preset.
# The paper's best unique-colour model has beta = 9.54, outside its own stated
# range 0.5-2; the range is kept as stated.
SPACES = {
    "paper-unique": {
        "base": "paper-unique",
        "space": {"model.latent_dim": {"randint": [2, 3]},
                  "model.vae_layers": {"randint": [2, 4]},
                  "model.vae_features": {"randint": [4, 32]},
                  "model.beta": {"uniform": [0.5, 2.0]},
                  "model.gamma": {"loguniform": [0.1, 10.0]}},
    },
    "paper-random": {
        "base": "paper-random",
        "space": {"model.latent_dim": {"randint": [4, 5]},
                  "model.vae_layers": {"randint": [3, 4]},
                  "model.vae_features": {"randint": [16, 32]},
                  "model.beta": {"choice": [1.0]},
                  "model.gamma": {"loguniform": [0.5, 5.0]}},
    },
}
REPORTED = ("val_loss", "fg_ari", "purity", "distinct_experts", "depth_order_accuracy",
            "background_last", "amodal_iou_occluded")


MISSING_RAY = "econ-pyro tune needs Ray Tune: pip install 'econ-pyro[tune]'  (ray[tune] 2.x)"


def load_space(space: str | dict) -> dict:
    """A named space, a space file, or a dict; checked against the base preset's keys."""
    if isinstance(space, dict):
        spec = space
    elif space in SPACES:
        spec = SPACES[space]
    elif Path(space).suffix in (".json", ".yaml", ".yml") or Path(space).exists():
        spec = load_config_file(space)
    else:
        raise ConfigError(f"unknown space {space!r}: use {', '.join(SPACES)} or a JSON/YAML file")
    unknown = set(spec) - {"base", "space", "fixed"}
    if unknown or not isinstance(spec.get("space"), dict) or not spec["space"]:
        raise ConfigError("a space needs a non-empty 'space' mapping (and optionally 'base', "
                          f"'fixed'); got keys {sorted(spec)}")
    probe = resolve_config(spec.get("base"))  # apply_override raises for unknown keys
    for key, dist in spec["space"].items():
        if not isinstance(dist, dict) or len(dist) != 1 or next(iter(dist)) not in DISTRIBUTIONS:
            raise ConfigError(f"space entry {key!r} must be one of "
                              f"{{{'|'.join(DISTRIBUTIONS)}: ...}}, got {dist!r}")
        kind, args = next(iter(dist.items()))
        if kind == "choice":
            ok = isinstance(args, list) and len(args) > 0
        else:
            ok = (isinstance(args, list) and len(args) == 2
                  and all(isinstance(a, int | float) for a in args) and args[0] <= args[1]
                  and (kind != "loguniform" or args[0] > 0))
        if not ok:
            raise ConfigError(f"space entry {key!r}: bad arguments {args!r} for {kind}")
        apply_override(probe, key, args[0])
    for key, value in (spec.get("fixed") or {}).items():
        apply_override(probe, key, value)
    return {"base": spec.get("base"), "space": spec["space"], "fixed": spec.get("fixed") or {}}


def trial_config(spec: dict, sampled: dict) -> dict:
    """The full run config of one trial: base preset <- fixed <- sampled values."""
    cfg = resolve_config(spec["base"])
    for key, value in {**spec["fixed"], **sampled}.items():
        apply_override(cfg, key, value)
    validate(cfg)
    return cfg


def _ray_space(spec: dict) -> dict:
    from ray import tune

    make = {"uniform": lambda a: tune.uniform(*a), "loguniform": lambda a: tune.loguniform(*a),
            "randint": lambda a: tune.randint(a[0], a[1] + 1), "choice": tune.choice}
    return {k: make[next(iter(d))](next(iter(d.values()))) for k, d in spec["space"].items()}


def _report(metrics: dict) -> None:
    from ray import tune

    report = getattr(tune, "report", None)
    if report is None:  # Ray < 2.41
        from ray import train as ray_train
        report = ray_train.report
    report(metrics)


def _trial(sampled: dict, spec: dict, runs_dir: str, threads: int) -> None:
    """One trial: an ordinary training run that reports after every evaluation."""
    import torch
    from ray import tune

    from .training import train

    torch.set_num_threads(threads)
    cfg = trial_config(spec, sampled)
    out = Path(runs_dir) / tune.get_context().get_trial_id()
    resume = (out / "last.pt").exists()  # a restored search continues the trial's run

    def on_eval(rec: dict) -> None:
        dash = rec.get("dashboard", {})
        metrics = {"val_loss": rec["val_loss"], "step": rec["step"], "run": str(out)}
        for k in REPORTED[1:]:
            if k in dash:
                metrics[k] = float(dash[k])
        _report(metrics)

    train(cfg, out, resume=resume, log=lambda *a: None, on_eval=on_eval)


def search(space, out, trials: int = 16, address: str | None = None, cpus_per_trial: float = 1,
           gpus_per_trial: float = 0, max_time_per_trial: float | None = None, asha: bool = True,
           grace_evals: int = 2, seed: int = 0, sets=(), log=print) -> dict:
    """Run (or resume) a random search; write results.csv/.json, best_config.json and
    summary.png to ``out``; return ``{"best": ..., "trials": [...]}``."""
    try:
        import ray
        from ray import tune
        from ray.tune.schedulers import ASHAScheduler
    except ImportError:
        raise ConfigError(MISSING_RAY) from None
    spec = load_space(space)
    spec["fixed"].update(parse_sets(sets))
    if max_time_per_trial is not None:
        spec["fixed"]["train.max_time"] = max_time_per_trial
    spec["fixed"].setdefault("train.device", "cuda" if gpus_per_trial > 0 else "cpu")
    # validate early: fixed values together with each distribution's first value
    trial_config(spec, {k: next(iter(d.values()))[0] for k, d in spec["space"].items()})
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / "space.json").write_text(json.dumps(spec, indent=2) + "\n")

    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 **({} if address else {"num_cpus": os.cpu_count()}))
    threads = max(int(cpus_per_trial), 1)
    trainable = tune.with_resources(
        tune.with_parameters(_trial, spec=spec, runs_dir=str(out / "runs"), threads=threads),
        {"cpu": cpus_per_trial, "gpu": gpus_per_trial})
    name = "search"
    if tune.Tuner.can_restore(str(out / name)):
        log(f"resuming the search in {out / name}")
        tuner = tune.Tuner.restore(str(out / name), trainable, resume_errored=True)
    else:
        scheduler = ASHAScheduler(grace_period=grace_evals, reduction_factor=3,
                                  max_t=10_000) if asha else None
        tuner = tune.Tuner(
            trainable, param_space=_ray_space(spec),
            tune_config=tune.TuneConfig(
                metric="val_loss", mode="min", num_samples=trials, scheduler=scheduler,
                search_alg=tune.search.BasicVariantGenerator(random_state=seed)),
            run_config=_run_config(str(out), name))
    grid = tuner.fit()
    return _write_results(grid, spec, out, log)


def _run_config(storage: str, name: str):
    from ray import tune

    cls = getattr(tune, "RunConfig", None)
    if cls is None:  # Ray < 2.41
        from ray.train import RunConfig as cls
    return cls(storage_path=storage, name=name, verbose=0)


def _write_results(grid, spec: dict, out: Path, log) -> dict:
    rows = []
    for res in grid:
        hist = res.metrics_dataframe
        if hist is None or hist.empty or "val_loss" not in hist:
            rows.append({"trial": Path(res.path).name, "status": "error",
                         "error": str(res.error).splitlines()[0] if res.error else "no report",
                         **{k: res.config.get(k) for k in spec["space"]}})
            continue
        best = hist.loc[hist["val_loss"].idxmin()]
        row = {"trial": Path(str(best.get("run", res.path))).name, "status": "ok",
               **{k: res.config[k] for k in spec["space"]},
               "best_val_loss": float(best["val_loss"]), "evals": int(len(hist)),
               "steps": int(hist["step"].max()), "run": str(best.get("run", ""))}
        for k in REPORTED[1:]:
            if k in hist:
                row[k] = float(best[k])  # the metrics at the best validation loss
        rows.append(row)
    ok = [r for r in rows if r["status"] == "ok"]
    if not ok:
        raise ConfigError(f"no trial reported a validation loss; see {out / 'search'}")
    ok.sort(key=lambda r: r["best_val_loss"])
    best = ok[0]
    best_cfg = trial_config(spec, {k: best[k] for k in spec["space"]})
    (out / "best_config.json").write_text(json.dumps(best_cfg, indent=2) + "\n")
    (out / "results.json").write_text(json.dumps(rows, indent=2) + "\n")
    keys = sorted({k for r in rows for k in r})
    import csv

    with open(out / "results.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
    agreement = rank_agreement(ok)
    summary = {"best": best, "trials": rows, "rank_agreement": agreement,
               "best_config": str(out / "best_config.json")}
    (out / "summary.json").write_text(json.dumps(
        {k: v for k, v in summary.items() if k != "trials"}, indent=2) + "\n")
    _plot(ok, spec, out / "summary.png")
    log(f"{len(ok)}/{len(rows)} trials reported; best validation loss "
        f"{best['best_val_loss']:.2f} ({best['trial']}); best config {out / 'best_config.json'}")
    if agreement is not None:
        log(f"Spearman rank correlation of validation loss with -FG-ARI: {agreement:.2f}")
    return summary


def rank_agreement(rows: list[dict]) -> float | None:
    """Spearman correlation between validation loss and -FG-ARI over trials (1: the
    loss ranks trials exactly as FG-ARI does); None if undefined."""
    pairs = [(r["best_val_loss"], -r["fg_ari"]) for r in rows
             if "fg_ari" in r and math.isfinite(r["fg_ari"])]
    if len(pairs) < 3:
        return None
    from scipy.stats import spearmanr

    rho = spearmanr([p[0] for p in pairs], [p[1] for p in pairs]).statistic
    return None if not math.isfinite(rho) else float(rho)


def _plot(rows: list[dict], spec: dict, path: Path) -> None:
    from .viz import pyplot

    plt = pyplot()

    keys = list(spec["space"])
    metrics = [m for m in ("best_val_loss", "fg_ari") if any(m in r for r in rows)]
    fig, axes = plt.subplots(len(metrics), len(keys), squeeze=False,
                             figsize=(3 * len(keys), 2.6 * len(metrics)))
    for i, m in enumerate(metrics):
        for j, k in enumerate(keys):
            pts = [(r[k], r[m]) for r in rows if m in r and isinstance(r[k], int | float)]
            ax = axes[i][j]
            if pts:
                ax.scatter(*zip(*pts, strict=True), s=14)
            ax.set_xlabel(k.split(".")[-1])
            if j == 0:
                ax.set_ylabel(m)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
