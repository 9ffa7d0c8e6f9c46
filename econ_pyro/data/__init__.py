"""Sprite scene datasets (paper App. C.1) with visible/amodal ground truth."""

from .datasets import (
    ImageFolder,
    ProceduralScenes,
    SceneDataset,
    collate,
    image_tensor,
    open_folder,
    scenes_to_tensors,
)
from .generator import KINDS, DataError, SceneConfig, Scenes, generate_scenes, occlusion_stats
from .io import generate_dataset, load_image, read_dataset, write_dataset

__all__ = [
    "KINDS", "DataError", "ImageFolder", "ProceduralScenes", "SceneConfig", "SceneDataset",
    "Scenes", "generate_dataset", "generate_scenes", "load_image", "occlusion_stats",
    "read_dataset", "scenes_to_tensors", "write_dataset", "collate", "image_tensor",
    "open_folder",
]
