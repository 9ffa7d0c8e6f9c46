"""Refinement charging the prior the networks were trained with: beta |u|^2 / 2 for the raw
latent u = loc + scale * z the decoder sees (the ELBO's N(0, I) on u), instead of the
standardised z's N(0, I) or the fitted mixture.  Usage: refine_trainprior.py MODEL OUT.json"""
import sys

import torch

import econ_pyro.infer.refine as refine
from econ_pyro.cli.main import cli
from econ_pyro.layers import appearance_nll, region_kl


def step_loss(econ, k, x, region, scope, z, groups=None):
    cfg = econ.config
    loc = torch.stack([e.latent_loc for e in econ.experts.experts])[k]
    scale = torch.stack([e.latent_scale for e in econ.experts.experts])[k]
    appearance, shape = econ.experts.select("decode", k if groups is None else groups, z)
    return (appearance_nll(x, region, appearance, cfg.sigma_x)
            + cfg.gamma * region_kl(region, scope, shape)
            + cfg.beta * 0.5 * (loc + scale * z).pow(2).sum(-1))


refine.step_loss = step_loss
cli(["evaluate", sys.argv[1], "--n", "1000", "--controlled", "0", "--refine", "30",
     "--out", sys.argv[2]])
