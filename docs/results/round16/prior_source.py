"""Round 16: which latents should the mixture prior be fitted to?  Each expert's (a) encoder
posterior means over all its wins, (b) the same refined by 30 Adam steps (--refine 30), (c)
encoder means at the front-most step only (never occluded).  Per source: GMM (16 comps,
full cov) per expert, 2000 prior samples per expert, nearest-template class accuracy of
the decoded shape.  Fitted on 1000 training-distribution scenes (seed 4242), not the
evaluation scenes.  usage: python prior_source.py MODEL "{class: expert}" """
import sys

import numpy as np
import torch
from sklearn.mixture import GaussianMixture

import econ_pyro
from econ_pyro.data import SceneConfig, generate_scenes, scenes_to_tensors
from econ_pyro.generate import decompose
from econ_pyro.infer.refine import refine_latents
from econ_pyro.metrics import classify_shapes

torch.set_num_threads(1)
econ = econ_pyro.load(sys.argv[1], fitted_prior=False)
assign = eval(sys.argv[2])
x = scenes_to_tensors(generate_scenes(1000, SceneConfig(kind="unique", image_size=32),
                                      seed=4242))["image"]
torch.manual_seed(0)
d = decompose(econ, x, posterior_mean=True)
N, T = d["experts"].shape
k = d["experts"].T.reshape(-1)  # step-major
z = d["z_loc"].transpose(0, 1).reshape(N * T, -1)
region = d["regions"].transpose(0, 1).reshape(N * T, 1, 32, 32)
scope = d["scope"].transpose(0, 1).reshape(N * T, 1, 32, 32)
xr = x.repeat(T, 1, 1, 1)
zr = torch.cat([refine_latents(econ, k[i:i + 500], xr[i:i + 500], region[i:i + 500],
                               scope[i:i + 500], z[i:i + 500], 30, 0.1)
                for i in range(0, N * T, 500)])
front = torch.zeros(N * T, dtype=torch.bool)
front[:N] = True  # step i = 0 is t = T
for c, e in sorted(assign.items()):
    if c == 0:
        continue
    sel = k == e
    row = []
    for name, data in (("means", z[sel]), ("refined", zr[sel]), ("front", z[sel & front])):
        gm = GaussianMixture(16, covariance_type="full", random_state=0).fit(data.numpy())
        s, _ = gm.sample(2000)
        with torch.no_grad():
            _, m = econ.experts.experts[e].decode(torch.as_tensor(s, dtype=torch.float32))
        acc = np.mean(classify_shapes((m[:, 0] > 0.5).numpy(), [1, 2, 3]) == c)
        row.append(f"{name} {acc:.3f} (n {int(len(data))})")
    print(f"class {c} expert {e}: " + "  ".join(row), flush=True)
