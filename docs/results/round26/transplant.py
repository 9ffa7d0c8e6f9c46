"""Round 26: cpu-unique with the attention nets of experts 0, 2 and 3 replaced by the shipped
cpu-random model's expert 0's (the one attending the front object of random-colour scenes);
writes tA.pt (a checkpoint train.init_from reads).  A one-off experiment, not a library step."""
import copy

import torch

from econ_pyro.pretrained import path as pretrained_path

unique = torch.load(pretrained_path("cpu-unique"), weights_only=False)
random = torch.load(pretrained_path("cpu-random"), weights_only=False)
out = copy.deepcopy(unique)
for key in out["model"]:
    for e in (0, 2, 3):
        prefix = f"experts.experts.{e}.attention."
        if key.startswith(prefix):
            out["model"][key] = random["model"][key.replace(f"experts.experts.{e}.",
                                                            "experts.experts.0.")].clone()
out["provenance"] = {"note": "round 26 transplant: cpu-unique, attention nets of experts 0, 2, 3 "
                             "from cpu-random's expert 0"}
out["config"]["data"] = {**out["config"]["data"], "kind": "random"}
torch.save(out, "tA.pt")
