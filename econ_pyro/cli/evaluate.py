"""`econ-pyro evaluate`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..data import KINDS, DataError, SceneConfig, generate_scenes, read_dataset
from ..evaluation import evaluate as run_evaluate
from ..evaluation import format_table
from .generate import _load


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("run", type=click.Path(exists=True))
@click.option("--data", "data_dir", type=click.Path(), default=None,
              help="A generated dataset folder (with gt.npz). Default: generate scenes.")
@click.option("--kind", default=None, help=f"Generated scenes: {', '.join(KINDS)} "
              "(default: the run's training kind).")
@click.option("--n", "n", type=int, default=1000, show_default=True)
@click.option("--seed", type=int, default=12345, show_default=True,
              help="Seed of the generated evaluation scenes (differs from training data).")
@click.option("--objects", type=int, default=None, help="Objects per generated scene.")
@click.option("--n-steps", type=int, default=None,
              help="Inference steps (default: the model's T; raise it for more objects).")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write JSON here.")
def evaluate(run, data_dir, kind, n, seed, objects, n_steps, out):
    """Measure segmentation (ARI, FG-ARI, mSC), expert specialisation, amodal completion
    and depth order on scenes with ground truth, next to simple baselines."""
    econ = _load(run)
    try:
        if data_dir:
            scenes, _ = read_dataset(data_dir)
            if n:
                scenes = scenes.subset(slice(0, n))
        else:
            cfg_path = Path(run) / "config.json" if Path(run).is_dir() else None
            train_kind = json.loads(cfg_path.read_text())["data"]["kind"] \
                if cfg_path and cfg_path.exists() else "unique"
            k = objects or 3
            scenes = generate_scenes(n, SceneConfig(kind=kind or train_kind,
                                                    image_size=econ.config.image_size,
                                                    min_objects=k, max_objects=k), seed=seed)
        m = run_evaluate(econ, scenes, n_steps=n_steps)
    except (DataError, ValueError) as e:
        raise click.ClickException(str(e)) from None
    click.echo(format_table(m))
    if out:
        Path(out).write_text(json.dumps(m, indent=2) + "\n")
        click.echo(f"wrote {out}")
