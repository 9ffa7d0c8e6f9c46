"""PNG figures: image grids, per-expert samples, layer-by-layer composition, Fig. 4 panels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image


def _to_rgb(t: torch.Tensor) -> np.ndarray:
    """[3,H,W] or [1,H,W] / [H,W] in [0,1] -> uint8 [H,W,3]."""
    t = t.detach().float().cpu().clamp(0, 1)
    if t.dim() == 2:
        t = t[None]
    if t.shape[0] == 1:
        t = t.expand(3, -1, -1)
    return (t.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)


def save_grid(rows: list[list[torch.Tensor]], path, scale: int = 4, pad: int = 2) -> Path:
    """Save a grid of images (rows of [3,H,W] / [H,W] tensors), upscaled by ``scale``."""
    h, w = rows[0][0].shape[-2:]
    ncol = max(len(r) for r in rows)
    H, W = h * scale, w * scale
    canvas = np.full((len(rows) * (H + pad) + pad, ncol * (W + pad) + pad, 3), 255, np.uint8)
    for i, row in enumerate(rows):
        for j, img in enumerate(row):
            tile = np.kron(_to_rgb(img), np.ones((scale, scale, 1), np.uint8))
            y, x = pad + i * (H + pad), pad + j * (W + pad)
            canvas[y:y + H, x:x + W] = tile
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(canvas).save(path)
    return path


def on_grey(appearance: torch.Tensor, shape: torch.Tensor, grey: float = 0.5) -> torch.Tensor:
    """An object shown unmasked: appearance where its shape is, grey elsewhere."""
    return shape * appearance + (1 - shape) * grey


def sample_rows(s: dict, per_row: int = 8) -> list[list[torch.Tensor]]:
    imgs = list(s["images"])
    return [imgs[i:i + per_row] for i in range(0, len(imgs), per_row)]


def layer_rows(s: dict) -> list[list[torch.Tensor]]:
    """Fig. 1C / 7: for each sample, the canvas after adding each layer (background first)."""
    rows = []
    shapes, apps = s["shapes"], s["appearances"]
    for b in range(len(shapes)):
        canvas = apps[b, 0]
        row = [canvas]
        for t in range(1, shapes.shape[1]):
            m = shapes[b, t][None]
            canvas = m * apps[b, t] + (1 - m) * canvas
            row.append(canvas)
        rows.append(row)
    return rows


def decomposition_panel(d: dict, i: int, image: torch.Tensor | None = None):
    """Fig. 4 layout for image ``i``: one row per inference step with scope, attended
    region, reconstruction within the region, full object, full shape."""
    rows = []
    if image is not None:
        rows.append([image, d["reconstruction"][i]])
    for j in range(d["regions"].shape[1]):
        r, m, a = d["regions"][i, j], d["shapes"][i, j], d["appearance"][i, j]
        rows.append([d["scope"][i, j], r, r[None] * a, on_grey(a, m[None]), m])
    return rows


def pyplot():
    """matplotlib.pyplot on the file-only Agg backend (for PNGs written by commands)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
