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
