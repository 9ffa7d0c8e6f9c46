"""Small trained models shipped with the package (weights + run config, no optimiser).

``econ_pyro.load("cpu-unique")`` and ``econ-pyro sample cpu-unique ...`` use them.
How each was trained and measured: docs/RESULTS.md.  ``export`` writes such a
file from any run.
"""

from __future__ import annotations

from pathlib import Path

import torch

HERE = Path(__file__).parent


def available() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.pt"))


def path(name: str) -> Path | None:
    p = HERE / f"{name}.pt"
    return p if p.is_file() else None


def export(ckpt: dict, out, note: str = "") -> Path:
    """Write a run checkpoint's weights + config (+ provenance) to ``out`` (a .pt file)."""
    out = Path(out)
    slim = {"model": {k: v.clone() for k, v in ckpt["model"].items()}, "config": ckpt["config"],
            "versions": ckpt.get("versions", {}),
            "provenance": {"step": ckpt.get("state", {}).get("step"),
                           "elapsed_s": ckpt.get("state", {}).get("elapsed"), "note": note}}
    if ckpt.get("latents") is not None:  # the fitted latent standardisation (econ_pyro.latents)
        slim["latents"] = ckpt["latents"]
    if ckpt.get("latent_prior") is not None:  # its mixture prior (econ_pyro.latent_prior)
        slim["latent_prior"] = ckpt["latent_prior"]
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(slim, out)
    return out
