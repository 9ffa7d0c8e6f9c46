"""Generative model of ECON (paper sec. 4.1)."""

from .layered import layered_model

__all__ = ["layered_model"]
