"""`econ-pyro inspect`."""

from __future__ import annotations

import json
from pathlib import Path

import click
import torch

from ..data import KINDS, DataError, SceneConfig, SceneDataset, image_tensor, open_folder
from ..data.datasets import scenes_to_tensors
from ..data.shapes import CLASS_NAMES
from ..inspection import competition_table, latents, plot_expert_latents, render_graph, trace_table
from .evaluate import _scenes
from .generate import _load


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def inspect():
    """Open up a trained model's Pyro traces, latents and graph."""


def _images(econ, image, data_dir, n, seed=0):
    size = econ.config.image_size
    try:
        if image:
            return image_tensor(image, size)[None]
        if data_dir:
            ds = open_folder(data_dir, size)
            return torch.stack([ds[i]["image"] for i in range(min(n, len(ds)))])
        return SceneDataset.generate(n, SceneConfig(image_size=size), seed=seed).tensors["image"]
    except DataError as e:
        raise click.ClickException(str(e)) from None


@inspect.command()
@click.argument("run")
@click.option("--image", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Image to explain (default: one generated scene).")
@click.option("--stochastic", is_flag=True, help="Sampled winners instead of argmax.")
def trace(run, image, stochastic):
    """Table of guide and model trace sites and the ELBO terms per step."""
    econ = _load(run)
    x = _images(econ, image, None, 1)
    torch.manual_seed(0)
    text, traces = trace_table(econ, x, deterministic=not stochastic)
    click.echo(traces["model"].format_shapes())
    click.echo(text)


@inspect.command()
@click.argument("run")
@click.option("--data", "data_dir", type=click.Path(file_okay=False), default=None,
              help="A generated dataset folder (with gt.npz). Default: generate scenes.")
@click.option("--kind", default=None, help=f"Generated scenes: {', '.join(KINDS)} "
              "(default: the run's training kind).")
@click.option("--n", "n", type=int, default=100, show_default=True, help="Number of scenes.")
@click.option("--seed", type=int, default=12345, show_default=True,
              help="Seed of the generated scenes (as in evaluate: not the training data).")
@click.option("--stochastic", is_flag=True, help="Sampled winners instead of argmax.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), default=None,
              help="Also write the table's numbers to this JSON file.")
def competition(run, data_dir, kind, n, seed, stochastic, json_out):
    """Every expert's proposal at every inference step: wins, attended area, score and its
    excess over the winner's, share on the background, and the class the winner's region
    mostly covers (where a run takes its background, and who explains what)."""
    econ = _load(run)
    if n < 1:
        raise click.BadParameter("must be at least 1", param_hint="--n")
    try:
        scenes = scenes_to_tensors(_scenes(econ, data_dir, kind, n, seed, None))
        text, table = competition_table(econ, scenes["image"], scenes["visible"],
                                        scenes["classes"], deterministic=not stochastic,
                                        class_names=CLASS_NAMES)
    except (DataError, ValueError) as e:
        raise click.ClickException(str(e)) from None
    click.echo(text)
    if json_out:
        Path(json_out).write_text(json.dumps(table, indent=1) + "\n")
        click.echo(f"wrote {json_out}")


@inspect.command("latents")
@click.argument("run")
@click.option("--data", "data_dir", type=click.Path(), default=None,
              help="Dataset or image folder (default: generated scenes).")
@click.option("--n", "n", type=int, default=200, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default="latents.nc", show_default=True,
              help="NetCDF file; a PNG of each expert's latents is written next to it.")
def latents_cmd(run, data_dir, n, out):
    """Guide latents (z means/scales per step, winners, ELBO terms) as arviz InferenceData."""
    econ = _load(run)
    x = _images(econ, None, data_dir, n)
    torch.manual_seed(0)
    idata = latents(econ, x)
    idata.to_netcdf(out)
    png = Path(out).with_suffix(".png")
    plot_expert_latents(idata, econ, png)
    click.echo(f"wrote {out} and {png}")


@inspect.command()
@click.argument("run")
@click.option("--out", type=click.Path(dir_okay=False), default="model.png", show_default=True)
def graph(run, out):
    """Render the generative model with pyro.render_model (needs graphviz)."""
    econ = _load(run)
    try:
        render_graph(econ, out)
    except RuntimeError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"wrote {out}")
