"""Training ECON: presets, configuration, and the training loop."""

from .config import resolve_config
from .presets import DEFAULT_PRESET, PRESETS
from .remedies import WinShares, revive_expert
from .schedule import temperature_at
from .trainer import (
    Trainer,
    TrainingError,
    load,
    load_checkpoint,
    train,
    training_kind,
)

__all__ = ["DEFAULT_PRESET", "PRESETS", "Trainer", "TrainingError", "load", "load_checkpoint",
           "WinShares", "resolve_config", "revive_expert", "temperature_at", "train",
           "training_kind"]
