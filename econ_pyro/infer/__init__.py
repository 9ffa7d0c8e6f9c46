"""Objective and optimisation step of ECON."""

from .elbo import ECONELBO, ELBOResult
from .step import train_step

__all__ = ["ECONELBO", "ELBOResult", "train_step"]
