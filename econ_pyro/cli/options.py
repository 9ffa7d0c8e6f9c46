"""Option parsing shared by several commands."""

from __future__ import annotations

import click


def parse_count(value: str) -> tuple[int, int]:
    """'3' -> (3, 3); '4-5' -> (4, 5)."""
    try:
        lo, _, hi = str(value).partition("-")
        lo, hi = int(lo), int(hi or lo)
    except ValueError:
        raise click.BadParameter(f"expected N or MIN-MAX, got {value!r}") from None
    if lo < 1 or hi < lo:
        raise click.BadParameter(f"invalid object count range {value!r}")
    return lo, hi


def refine_options(f):
    """``--refine N`` and ``--refine-lr``: iterative refinement of the winners' latents."""
    f = click.option("--refine-lr", type=click.FloatRange(min=0, min_open=True), default=0.1,
                     show_default=True,
                     help="Adam's step size for --refine, in latent units.")(f)
    return click.option(
        "--refine", type=click.IntRange(min=0), default=0, show_default=True,
        help="Refine each winner's latent by this many Adam steps on its own step loss "
             "(regions and experts unchanged; occluded shapes are completed better; a "
             "deviation: the paper's inference is amortised; 0: off; 30 was chosen on "
             "validation scenes, docs/SPECIALISATION.md round 15).")(f)


def prior_option(f):
    """``--standard-prior``: sample z_t from the paper's N(0, I), not a fitted mixture."""
    return click.option(
        "--standard-prior", is_flag=True,
        help="Draw z_t from the paper's N(0, I) (on the standardised latents) instead of "
             "the mixture prior fitted to each expert's posteriors after training and stored "
             "with the model (econ_pyro/latent_prior.py; a deviation; models without one "
             "use N(0, I) anyway).")(f)
