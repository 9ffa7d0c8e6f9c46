"""`econ-pyro sample` and `econ-pyro decompose`."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
import torch

from ..config import ConfigError
from ..data import DataError, SceneConfig, SceneDataset, image_tensor, open_folder
from ..generate import decompose as run_decompose
from ..generate import sample as run_sample
from ..training import load, training_kind
from ..viz import decomposition_panel, layer_rows, on_grey, sample_rows, save_grid
from .options import prior_option, refine_options


def _load(run, standard_prior: bool = False):
    try:
        return load(run, fitted_prior=not standard_prior)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None


def _npz(path: Path, arrays: dict) -> None:
    np.savez_compressed(path, **{k: v.cpu().numpy() for k, v in arrays.items()})


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("run")
@click.option("--experts", default="random", show_default=True,
              help="Expert per layer, background first, e.g. 3,0,1,2 (any length, repeats "
                   "allowed), or 'random' to draw the order from the prior.")
@click.option("--n", "n", type=int, default=16, show_default=True, help="Number of scenes.")
@click.option("--n-steps", type=int, default=None, help="Layers for --experts random.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--temperature", type=float, default=1.0, show_default=True,
              help="Scale of the latent prior (z = temperature * eps; with a mixture prior, "
                   "of each component's spread).")
@prior_option
@click.option("--per-expert", is_flag=True,
              help="Instead: one row per expert of unmasked objects (Fig. 1B / Fig. 6).")
@click.option("--layers", is_flag=True,
              help="Instead: layer-by-layer composition, one row per scene (Fig. 1C / Fig. 7).")
@click.option("--out", type=click.Path(dir_okay=False), default="samples.png", show_default=True,
              help="PNG to write; the raw arrays go to the same name with .npz.")
def sample(run, experts, n, n_steps, seed, temperature, standard_prior, per_expert, layers,
           out):
    """Sample scenes from a trained model (RUN: run folder, checkpoint, or a shipped
    pretrained model: cpu-unique, monet-k1)."""
    econ = _load(run, standard_prior)
    out = Path(out)
    try:
        if per_expert:
            rows, arrays = [], {}
            for k in range(econ.config.n_experts):
                s = run_sample(econ, experts=[k], n=n, temperature=temperature, seed=seed + k)
                rows.append([on_grey(a, m[None]) for a, m in
                             zip(s["appearances"][:, 0], s["shapes"][:, 0], strict=True)])
                arrays[f"expert{k}_appearances"] = s["appearances"][:, 0]
                arrays[f"expert{k}_shapes"] = s["shapes"][:, 0]
            save_grid(rows, out)
        else:
            order = None if experts == "random" else [int(v) for v in experts.split(",")]
            arrays = run_sample(econ, experts=order, n=n, n_steps=n_steps,
                                temperature=temperature, seed=seed)
            save_grid(layer_rows(arrays) if layers else sample_rows(arrays), out)
    except ValueError as e:
        raise click.ClickException(str(e)) from None
    _npz(out.with_suffix(".npz"), arrays)
    click.echo(f"wrote {out} and {out.with_suffix('.npz')}")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("run")
@click.argument("images", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--data", "data_dir", type=click.Path(), default=None,
              help="A generated dataset folder or any image folder (instead of IMAGES).")
@click.option("--n", "n", type=int, default=None, help="Decompose only the first N images.")
@click.option("--deterministic/--stochastic", default=True, show_default=True,
              help="Argmax competition (default) or sampled winners.")
@click.option("--panels", type=int, default=16, show_default=True,
              help="Write Fig. 4 panels for this many images.")
@click.option("--seed", type=int, default=0, show_default=True)
@refine_options
@click.option("--out", required=True, type=click.Path(file_okay=False))
def decompose(run, images, data_dir, n, deterministic, panels, seed, refine, refine_lr, out):
    """Decompose images front to back into objects with amodal shapes.

    Writes OUT/decomposition.npz (regions, shapes, appearance, experts, scope:
    index 0 = front-most inference step; reconstruction) and OUT/panels/*.png.
    Images must have the model's training size (non-square or larger images
    from a folder are centre-cropped and resized, see README).
    """
    econ = _load(run)
    size = econ.config.image_size
    try:
        if data_dir:
            ds = open_folder(data_dir, size)
            count = len(ds) if n is None else min(n, len(ds))
            x = torch.stack([ds[i]["image"] for i in range(count)])
        elif images:
            x = torch.stack([image_tensor(f, size) for f in images[:n]])
        else:
            raise click.UsageError("give IMAGES or --data")
        torch.manual_seed(seed)
        d = run_decompose(econ, x, deterministic=deterministic, refine=refine,
                          refine_lr=refine_lr)
    except (DataError, ValueError) as e:
        raise click.ClickException(str(e)) from None
    out = Path(out)
    (out / "panels").mkdir(parents=True, exist_ok=True)
    _npz(out / "decomposition.npz", {**d, "images": x})
    for i in range(min(panels, len(x))):
        save_grid(decomposition_panel(d, i, x[i]), out / "panels" / f"{i:06d}.png")
    click.echo(f"decomposed {len(x)} images into {out / 'decomposition.npz'}")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("run")
@click.option("--out", type=click.Path(file_okay=False), default="docs/figures", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--n", "n", type=int, default=8, show_default=True, help="Samples per row.")
def figures(run, out, seed, n):
    """Regenerate the paper-style figures of a run with a fixed seed.

    per_expert.png (Fig. 1B / 6: one row per expert), layers.png (Fig. 1C / 7:
    layer-by-layer composition with a random expert order), samples.png, and
    decomposition_*.png (Fig. 4: held-out scenes of the run's training kind),
    ood_*.png (Fig. 8: 4-5 objects with repeated classes, decomposed in 6 steps).
    """
    econ = _load(run)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    K = econ.config.n_experts
    rows = []
    for k in range(K):
        s = run_sample(econ, experts=[k], n=n, seed=seed + k)
        rows.append([on_grey(a, m[None]) for a, m in
                     zip(s["appearances"][:, 0], s["shapes"][:, 0], strict=True)])
    written = [save_grid(rows, out / "per_expert.png")]
    s = run_sample(econ, n=4, seed=seed)
    written.append(save_grid(layer_rows(s), out / "layers.png"))
    written.append(save_grid(sample_rows(run_sample(econ, n=2 * n, seed=seed), n),
                             out / "samples.png"))
    scenes = SceneDataset.generate(4, SceneConfig(kind=training_kind(econ),
                                                  image_size=econ.config.image_size),
                                   seed=seed + 999)
    x = scenes.tensors["image"]
    torch.manual_seed(seed)
    d = run_decompose(econ, x)
    for i in range(len(x)):
        written.append(save_grid(decomposition_panel(d, i, x[i]),
                                 out / f"decomposition_{i}.png"))
    # Fig. 8: out of distribution -- 4-5 objects, classes may repeat, T = 6 steps
    ood = SceneDataset.generate(2, SceneConfig(kind=training_kind(econ),
                                               image_size=econ.config.image_size,
                                               min_objects=4, max_objects=5,
                                               repeat_classes=True), seed=seed + 1999)
    x = ood.tensors["image"]
    d = run_decompose(econ, x, n_steps=6)
    for i in range(len(x)):
        written.append(save_grid(decomposition_panel(d, i, x[i]), out / f"ood_{i}.png"))
    for p in written:
        click.echo(str(p))
