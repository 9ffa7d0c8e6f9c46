"""Round 16: which prior over each expert's u gives decoded shapes of the expert's class?
Posteriors of 2000 training-distribution scenes (seed 4242; deterministic competition);
per object expert 2000 samples of each scheme, nearest-template class accuracy of the
decoded shape (m~ > 0.5), its mean area and the fraction under 40 pixels.
usage: python prior_fit.py MODEL "{class: expert}" """
import sys

import numpy as np
import torch
from pyro import poutine
from sklearn.mixture import GaussianMixture

import econ_pyro
from econ_pyro.data import scenes_to_tensors
from econ_pyro.data.generator import SceneConfig, generate_scenes
from econ_pyro.generate import competition_mode
from econ_pyro.handlers import without_param_sites
from econ_pyro.metrics import classify_shapes

torch.set_num_threads(1)
assign = eval(sys.argv[2])  # class -> expert
econ = econ_pyro.load(sys.argv[1], fitted_prior=False)
T = econ.config.n_steps
sc = generate_scenes(2000, SceneConfig(kind=econ.run_config["data"]["kind"],
                                       image_size=econ.config.image_size, min_objects=3,
                                       max_objects=3), seed=4242)
x = scenes_to_tensors(sc)["image"]
mus = {k: [] for k in range(econ.config.n_experts)}
vs = {k: [] for k in mus}
with torch.no_grad(), competition_mode(econ, "deterministic"), without_param_sites():
    for i in range(0, len(x), 250):
        tr = poutine.trace(econ.guide).get_trace(x[i:i + 250])
        for t in range(1, T + 1):
            k = tr.nodes[f"k_{t}"]["value"]
            q = tr.nodes[f"z_{t}"]["fn"].base_dist
            for e in k.unique().tolist():
                ex, sel = econ.experts.experts[e], k == e
                mus[e].append(ex.latent_loc + ex.latent_scale * q.loc[sel])
                vs[e].append((ex.latent_scale * q.scale[sel]) ** 2)
g = torch.Generator().manual_seed(0)
N = 2000
for c, k in sorted(assign.items()):
    if c == 0:
        continue
    mu, v = torch.cat(mus[k]).double(), torch.cat(vs[k]).double()
    ex = econ.experts.experts[k]
    L = mu.shape[1]
    mean, cov = mu.mean(0), torch.cov(mu.T) + torch.diag(v.mean(0))
    eps = torch.randn(N, L, generator=g, dtype=torch.double)
    schemes = {
        "diag(shipped)": ex.latent_loc.double() + ex.latent_scale.double() * eps,
        "diag t0.8": ex.latent_loc.double() + 0.8 * ex.latent_scale.double() * eps,
        "diag t0.6": ex.latent_loc.double() + 0.6 * ex.latent_scale.double() * eps,
        "fullcov": mean + eps @ torch.linalg.cholesky(cov).T,
        "fullcov t0.8": mean + 0.8 * eps @ torch.linalg.cholesky(cov).T,
    }
    idx = torch.randint(len(mu), (N,), generator=g)
    schemes["agg posterior"] = mu[idx] + v[idx].sqrt() * eps
    schemes["agg post means"] = mu[idx]
    for nc in (5, 10):
        gm = GaussianMixture(nc, covariance_type="full", random_state=0).fit(mu.numpy())
        s, _ = gm.sample(N)
        schemes[f"gmm{nc}"] = torch.as_tensor(s) + v.mean(0).sqrt() * eps
    print(f"class {c} expert {k}: wins {len(mu)}, L {L}")
    for nm, u in schemes.items():
        with torch.no_grad():
            _, m = ex.decoder(u.float())
        m = (m[:, 0] > 0.5).numpy()
        pred = classify_shapes(m, [1, 2, 3])
        area = m.sum((1, 2))
        print(f"  {nm:16s} acc {np.mean(pred == c):.3f}  area mean {area.mean():6.1f}  "
              f"<40px {np.mean(area < 40):.3f}")
