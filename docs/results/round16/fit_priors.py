"""Round 16: add the mixture prior of z_t (econ_pyro.latent_prior) to shipped or trained
checkpoints, keeping the latent standardisation they already store (decompositions and
the stored maps unchanged; only prior samples change).  Fitted on the 1000 images that
`econ-pyro standardise` uses (the run's training distribution, its own seed).

usage: python fit_priors.py CKPT.pt [CKPT.pt ...]
"""
import sys
from pathlib import Path

import torch

from econ_pyro.latent_prior import fit_latent_prior
from econ_pyro.latents import apply_standardisation, winning_posteriors
from econ_pyro.training.trainer import _atomic_save, _Data, _econ_from, load_checkpoint

for path in sys.argv[1:]:
    ckpt = load_checkpoint(path)
    cfg, tr = ckpt["config"], ckpt["config"]["train"]
    batch = _Data(cfg, cfg["model"]["image_size"], tr["batch_size"], tr["seed"],
                  tr["val_size"]).fit_batch(1000)
    gt = batch["visible"] if tr.get("supervise_regions") else None
    econ = _econ_from(ckpt).eval()
    apply_standardisation(econ, ckpt["latents"])
    torch.manual_seed(0)
    prior = fit_latent_prior(econ, posteriors=winning_posteriors(econ, batch["image"],
                                                                 gt_regions=gt))
    ckpt["latent_prior"] = prior
    _atomic_save(ckpt, Path(path))
    print(path, "wins", prior["wins"], "fitted on (front wins, else all)", prior["fitted_on"],
          "components", prior["components"])
