"""On-disk dataset format and readers for user image folders.

A generated dataset folder holds::

    images/000000.png ...   RGB PNGs, one per scene (open with any image tool)
    gt.npz                  ground truth: images [N,S,S,3] uint8, visible/amodal
                            [N,O+1,S,S] bool, classes/depth [N,O+1] int16 (-1 = absent),
                            colours [N,O+1,3] uint8; slot 0 is the background
    meta.json               generator options, seed, version, occlusion statistics

Folders are written to a temporary sibling and renamed into place, so an
interrupted write never leaves a half-written dataset.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from .generator import DataError, SceneConfig, Scenes, generate_scenes, occlusion_stats

FORMAT_VERSION = 1
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}


def _prepare_out(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise DataError(f"output path {out} exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise DataError(f"output folder {out} exists and is not empty (use --overwrite)")


def write_dataset(out, scenes: Scenes, meta: dict, overwrite: bool = False) -> Path:
    """Write ``scenes`` to ``out`` atomically (temp folder + rename)."""
    out = Path(out)
    _prepare_out(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        (tmp / "images").mkdir()
        for i, img in enumerate(scenes.images):
            Image.fromarray(img).save(tmp / "images" / f"{i:06d}.png", compress_level=1)
        np.savez_compressed(tmp / "gt.npz", **scenes.arrays())
        meta = {"format_version": FORMAT_VERSION, "n": len(scenes), **meta}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def generate_dataset(out, n: int, cfg: SceneConfig, seed: int = 0,
                     overwrite: bool = False) -> dict:
    """Generate and write a dataset; returns its meta dict."""
    from .. import __version__

    _prepare_out(Path(out), overwrite)  # fail before spending time generating
    scenes = generate_scenes(n, cfg, seed)
    meta = {"generator": cfg.to_dict(), "seed": seed, "econ_pyro_version": __version__,
            "occlusion": occlusion_stats(scenes)}
    write_dataset(out, scenes, meta, overwrite=overwrite)
    return {"n": n, **meta}


def read_dataset(path) -> tuple[Scenes, dict]:
    """Read a folder written by :func:`write_dataset`."""
    path = Path(path)
    if not (path / "gt.npz").is_file() or not (path / "meta.json").is_file():
        raise DataError(f"{path} is not a generated dataset (gt.npz and meta.json missing)")
    try:
        meta = json.loads((path / "meta.json").read_text())
        with np.load(path / "gt.npz") as z:
            scenes = Scenes(**{k: z[k] for k in Scenes.FIELDS})
    except (OSError, ValueError, KeyError) as e:
        raise DataError(f"cannot read dataset {path}: {e}") from e
    return scenes, meta


def list_images(folder) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"image folder {folder} does not exist")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DataError(f"image folder {folder} contains no PNG or JPEG images")
    return files


def load_image(path, size: int) -> np.ndarray:
    """Read one image as uint8 RGB ``[size, size, 3]``.

    Grayscale and palette images are converted to RGB; RGBA images are
    composited over black (transparent pixels become background).  Non-square
    images are centre-cropped to a square, then resized with bilinear filtering.
    """
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
                im = im.convert("RGBA")
                canvas = Image.new("RGBA", im.size, (0, 0, 0, 255))
                im = Image.alpha_composite(canvas, im)
            im = im.convert("RGB")
            w, h = im.size
            side = min(w, h)
            left, top = (w - side) // 2, (h - side) // 2
            im = im.crop((left, top, left + side, top + side))
            if side != size:
                im = im.resize((size, size), Image.BILINEAR)
            return np.asarray(im, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError) as e:
        raise DataError(f"cannot read image {path}: {e}") from e
