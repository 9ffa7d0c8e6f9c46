"""The ``econ-pyro`` command line: a thin layer over the library functions."""

from __future__ import annotations

import time

import click

from ..config import ConfigError
from ..data import KINDS, DataError, SceneConfig, generate_dataset
from .options import parse_count

USER_ERRORS = (DataError, ConfigError)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="econ-pyro")
def cli():
    """ECON: layered generative scene models with competing experts, in Pyro.

    Typical use: `econ-pyro data generate` a sprite dataset, `econ-pyro train`
    a model, then `sample`, `decompose`, `evaluate` and `inspect` it.
    """


@cli.group()
def data():
    """Generate sprite-scene datasets with full ground truth (paper App. C.1)."""


@data.command("generate")
@click.option("--kind", default="unique", show_default=True,
              help=f"Dataset kind: {', '.join(KINDS)}. unique: red circle, green square, blue "
                   "triangle; random: object colours uniform 128..255; dsprites: square, ellipse, "
                   "heart; lowcontrast: object colours close to the background.")
@click.option("--n", "n", type=int, default=10000, show_default=True, help="Number of scenes.")
@click.option("--size", type=int, default=32, show_default=True, help="Image side in pixels.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--objects", default="3", show_default=True,
              help="Objects per scene: N or MIN-MAX (e.g. 4-5 for out-of-distribution tests).")
@click.option("--repeat-classes", is_flag=True,
              help="Draw object classes independently (repeats allowed); by default each class "
                   "appears once before any repeats.")
@click.option("--min-scale", type=float, default=SceneConfig.min_scale, show_default=True,
              help="Smallest object bounding-box side, as a fraction of the image side.")
@click.option("--max-scale", type=float, default=SceneConfig.max_scale, show_default=True,
              help="Largest object bounding-box side, as a fraction of the image side.")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Output folder (images/*.png, gt.npz, meta.json).")
@click.option("--overwrite", is_flag=True, help="Replace a non-empty output folder.")
def data_generate(kind, n, size, seed, objects, repeat_classes, min_scale, max_scale, out,
                  overwrite):
    """Generate N scenes with visible/amodal masks, classes, colours and depth order."""
    lo, hi = parse_count(objects)
    try:
        cfg = SceneConfig(kind=kind, image_size=size, min_objects=lo, max_objects=hi,
                          repeat_classes=repeat_classes, min_scale=min_scale, max_scale=max_scale)
        if n <= 0:
            raise DataError(f"--n must be positive, got {n}")
        start = time.perf_counter()
        meta = generate_dataset(out, n, cfg, seed=seed, overwrite=overwrite)
    except USER_ERRORS as e:
        raise click.ClickException(str(e)) from None
    occ = meta["occlusion"]
    click.echo(f"wrote {n} scenes ({kind}, {size}x{size}) to {out} in "
               f"{time.perf_counter() - start:.1f}s; {occ['occluded_fraction']:.0%} of objects "
               f"occluded, {occ['mean_hidden_area_occluded']:.0%} of an occluded object's area "
               "hidden on average")


@cli.command(context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(args):
    """Benchmark the training step: Pyro vs plain torch, loop vs vmap experts, FLOPs and the
    machine's matmul throughput (`econ-pyro bench --help` for options)."""
    from ..bench import main as bench_main

    bench_main(list(args))


@cli.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("runs", nargs=-1, required=True, type=click.Path(file_okay=False))
@click.option("--every", type=int, default=1, show_default=True,
              help="Print every N-th evaluation (the last one always).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              help="Also plot the curves of all RUNS into this PNG.")
def curves(runs, every, plot_path):
    """Dashboard metrics of training runs against minutes and steps (from metrics.jsonl),
    and the first evaluation with distinct experts, purity >= 0.9 and FG-ARI >= 0.9.  After
    a restart the steps are the last attempt's and the minutes count from the run's start.
    merge_share: at steps where a label-free check decomposed the validation scenes, the
    share of them in which one expert won two or more object steps (near 1: merged)."""
    from .. import curves as c

    try:
        hist = {run: c.history(run) for run in runs}
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    for run, rows in hist.items():
        click.echo(f"== {run}")
        for r in c.restarts(run):
            click.echo(f"restarted: seed {r['seed']} abandoned at step {r['step']} "
                       f"({r['elapsed'] / 60:.1f} min, {r.get('reason', '?')})")
        click.echo(c.format_history(rows, every))
        hit = c.first_reaching(rows)
        if hit is None:
            click.echo("targets (distinct, purity >= 0.9, FG-ARI >= 0.9): not met")
            continue
        held, n = c.held_after(rows, hit)
        click.echo(f"targets (distinct, purity >= 0.9, FG-ARI >= 0.9): first met at step "
                   f"{hit['step']}, {hit['minutes']:.1f} min; met at {held} of the {n} "
                   "evaluations from there on")
    if plot_path:
        click.echo(f"wrote {c.plot(hist, plot_path)}")


@cli.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("run", type=click.Path(exists=True))
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--which", type=click.Choice(["last", "best"]), default="last", show_default=True,
              help="Which checkpoint of a run folder.")
@click.option("--note", default="", help="Free-text provenance stored in the file.")
def export(run, out, which, note):
    """Write a run's weights and config (no optimiser state) to OUT, a small .pt file
    that `econ_pyro.load(OUT)` and every RUN argument accept."""
    from pathlib import Path

    from ..pretrained import export as do_export
    from ..training import load_checkpoint

    p = Path(run)
    try:
        ckpt = load_checkpoint(p / f"{which}.pt" if p.is_dir() else p)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    path = do_export(ckpt, out, note)
    click.echo(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB, step "
               f"{ckpt.get('state', {}).get('step')})")


@cli.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("run", type=click.Path(exists=True))
@click.option("--n", "n", type=int, default=1000, show_default=True,
              help="Images of the run's training distribution to fit on.")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, exists=True), default=None,
              help="Fit on this image folder instead (default: scenes generated as in "
                   "training, or the run's own training folder).")
def standardise(run, n, data_dir):
    """Fit each expert's latent standardisation and store it in RUN's checkpoints.

    RUN is a run folder (its last.pt and best.pt) or one .pt file.  Each expert's
    latent is shifted and scaled so that its posteriors over N images average to
    N(0, I), the prior: prior samples (`sample`, controlled generation) then land
    where the decoder was trained, while decompositions stay exactly the same.
    Then, in the standardised latents, a Gaussian mixture is fitted to each
    expert's posteriors (the number of components by held-out likelihood): the
    model samples z_t from it unless `--standard-prior` is given to `sample` or
    `evaluate` (a deviation from the paper's N(0, I); econ_pyro/latent_prior.py).
    `econ-pyro train` does both when it stops (train.standardise_latents); this
    command is for runs from before that.  See econ_pyro/latents.py.
    """
    from ..training.trainer import standardise_run

    if n <= 0:
        raise click.BadParameter(f"must be positive, got {n}", param_hint="--n")
    try:
        standardise_run(run, n, data_dir, log=click.echo)
    except USER_ERRORS as e:
        raise click.ClickException(str(e)) from None


from .evaluate import evaluate  # noqa: E402
from .generate import decompose, figures, sample  # noqa: E402
from .inspect import inspect  # noqa: E402
from .train import train  # noqa: E402
from .tune import tune  # noqa: E402

for _command in (train, tune, sample, decompose, figures, evaluate, inspect):
    cli.add_command(_command)
