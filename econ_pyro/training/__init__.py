"""Training ECON: presets, configuration, and the training loop."""

from .config import resolve_config
from .presets import DEFAULT_PRESET, PRESETS
from .trainer import (
    Trainer,
    TrainingError,
    load,
    load_checkpoint,
    temperature_at,
    train,
    training_kind,
)

__all__ = ["DEFAULT_PRESET", "PRESETS", "Trainer", "TrainingError", "load", "load_checkpoint",
           "resolve_config", "temperature_at", "train", "training_kind"]
