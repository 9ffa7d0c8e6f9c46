"""econ-pyro: ECON, a layered generative scene model with competing experts, in Pyro."""

__version__ = "0.1.0"

from .config import ConfigError, ECONConfig  # noqa: E402
from .econ import ECON  # noqa: E402
from .generate import decompose, sample  # noqa: E402
from .infer import ECONELBO, train_step  # noqa: E402
from .training import load  # noqa: E402

__all__ = ["ECON", "ECONConfig", "ECONELBO", "ConfigError", "__version__", "decompose", "load",
           "sample", "train_step"]
