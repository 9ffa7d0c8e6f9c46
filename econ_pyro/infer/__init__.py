"""Objective and optimisation step of ECON; refinement of the winners' latents at decomposition."""

from .elbo import ECONELBO, ELBOResult
from .refine import refine_latents, step_loss
from .step import train_step

__all__ = ["ECONELBO", "ELBOResult", "refine_latents", "step_loss", "train_step"]
