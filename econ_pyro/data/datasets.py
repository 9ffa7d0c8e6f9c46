"""Torch datasets: procedural (no disk), generated folders, and plain image folders.

Every dataset yields dicts with ``image`` (float32 ``[3, S, S]`` in [0, 1]);
datasets with ground truth add ``visible``/``amodal`` (float ``[O+1, S, S]``),
``classes`` and ``depth`` (long ``[O+1]``).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import Dataset

from .generator import SceneConfig, Scenes, generate_scenes
from .io import list_images, load_image, read_dataset


def scenes_to_tensors(scenes: Scenes) -> dict[str, torch.Tensor]:
    """Batch of scenes as tensors (images scaled to [0, 1], channels first)."""
    return {
        "image": torch.from_numpy(scenes.images).permute(0, 3, 1, 2).float().div_(255),
        "visible": torch.from_numpy(scenes.visible).float(),
        "amodal": torch.from_numpy(scenes.amodal).float(),
        "classes": torch.from_numpy(scenes.classes).long(),
        "depth": torch.from_numpy(scenes.depth).long(),
    }


class SceneDataset(Dataset):
    """In-memory scenes with ground truth (from the generator or a dataset folder)."""

    def __init__(self, scenes: Scenes):
        self.tensors = scenes_to_tensors(scenes)

    @classmethod
    def from_folder(cls, path) -> SceneDataset:
        return cls(read_dataset(path)[0])

    @classmethod
    def generate(cls, n: int, cfg: SceneConfig | None = None, seed=0) -> SceneDataset:
        return cls(generate_scenes(n, cfg, seed))

    def __len__(self) -> int:
        return len(self.tensors["image"])

    def __getitem__(self, i):
        return {k: v[i] for k, v in self.tensors.items()}


class ProceduralScenes:
    """Endless on-the-fly batches: batch ``i`` is ``generate_scenes(B, cfg, (seed, i))``.

    No disk needed; batch ``i`` is reproducible, which makes resumed training exact.
    """

    def __init__(self, cfg: SceneConfig | None = None, batch_size: int = 32, seed: int = 0):
        self.cfg, self.batch_size, self.seed = cfg or SceneConfig(), batch_size, seed

    def batch(self, i: int) -> dict[str, torch.Tensor]:
        return scenes_to_tensors(generate_scenes(self.batch_size, self.cfg, (self.seed, i)))


def image_tensor(path, image_size: int) -> torch.Tensor:
    """One image file as float ``[3, S, S]`` in [0, 1] (converted as in :func:`load_image`)."""
    return torch.from_numpy(load_image(path, image_size).copy()).permute(2, 0, 1).float() / 255


def collate(items: list[dict]) -> dict[str, torch.Tensor]:
    """Stack a list of dataset items into a batch."""
    return {k: torch.stack([it[k] for it in items]) for k in items[0]}


def open_folder(path, image_size: int) -> Dataset:
    """A generated dataset (``gt.npz`` present: with ground truth) or any image folder."""
    path = Path(path)
    if (path / "gt.npz").is_file():
        return SceneDataset.from_folder(path)
    return ImageFolder(path, image_size)


class ImageFolder(Dataset):
    """Any folder of PNG/JPEG images (recursively), resized as in :func:`load_image`."""

    def __init__(self, folder, image_size: int = 32):
        self.files: list[Path] = list_images(folder)
        self.image_size = image_size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i):
        return {"image": image_tensor(self.files[i], self.image_size)}
