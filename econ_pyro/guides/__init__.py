"""Guide (approximate posterior with competition) of ECON (paper secs 4.2, 5)."""

from .competition import competition_guide

__all__ = ["competition_guide"]
