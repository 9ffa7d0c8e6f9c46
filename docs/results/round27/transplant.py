"""Round 27: a factorised expert VAE (model.shape_latent_dim 3, latent_dim 6) carrying the
shipped cpu-unique's attention nets and appearance path: each expert's attention U-Net and
encoder are copied (the encoder becomes the appearance encoder: same shapes, latent 3), its
decoder becomes the appearance decoder (input channels of the 3 appearance dims and the
coordinates copied, those of the 3 new shape dims zero; the RGB rows of the head); the shape
encoder and decoder are freshly initialised (seed 0).  Writes tF.pt (a checkpoint
train.init_from reads).  A one-off experiment, not a library step."""
import copy

import torch

from econ_pyro import ECON
from econ_pyro.config import ECONConfig
from econ_pyro.pretrained import path as pretrained_path

S = 3
unique = torch.load(pretrained_path("cpu-unique"), weights_only=False)
cfg = dict(unique["config"]["model"], latent_dim=unique["config"]["model"]["latent_dim"] + S,
           shape_latent_dim=S)
torch.manual_seed(0)
state = ECON(ECONConfig.from_dict(cfg)).state_dict()
src = unique["model"]
for key in state:
    _, _, e, rest = key.split(".", 3)  # experts.experts.E.REST
    old = f"experts.experts.{e}."
    if rest.startswith("attention."):
        state[key] = src[old + rest].clone()
    elif rest.startswith("encoder.appearance."):
        state[key] = src[old + rest.replace("encoder.appearance.", "encoder.")].clone()
    elif rest.startswith("decoder.appearance."):
        w = src[old + rest.replace("decoder.appearance.", "decoder.")]
        if rest == "decoder.appearance.convs.0.weight":  # inputs: [z_shape, z_app, x, y]
            state[key] = torch.cat([torch.zeros_like(w[:, :S]), w], dim=1)
        elif rest.startswith("decoder.appearance.head."):
            state[key] = w[:3].clone()
        else:
            state[key] = w.clone()
out = copy.deepcopy({k: v for k, v in unique.items() if k not in ("latents", "latent_prior")})
out["model"] = state
out["config"]["model"] = cfg
out["provenance"] = {"note": "round 27 transplant: cpu-unique's attention nets, encoders and "
                             "decoders as the appearance path of a factorised VAE (latent 6, "
                             "shape 3); fresh shape encoder/decoder"}
torch.save(out, "tF.pt")
print("wrote tF.pt; background expert", cfg.get("background_expert"))
